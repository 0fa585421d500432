import yargs, { type Argv } from 'yargs';
import { UsageError } from './exit.js';

/**
 * The parser both CLIs start from: strict (an unknown flag is bad input), no process exit of its
 * own, and every parse error thrown as a UsageError so the caller prints one line and exits 2.
 */
export function commandLine(argv: string[], name: string): Argv {
  return yargs(argv)
    .scriptName(name)
    .strict()
    .help()
    .version(false)
    .exitProcess(false)
    .fail((msg, err) => {
      throw err ?? new UsageError(msg);
    });
}
