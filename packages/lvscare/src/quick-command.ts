// Commands run before the full command-line parser is even loaded. Building the yargs parser
// and its zod schemas is most of a short command's start-up, the more so on a slow CPU, and
// `ipvs list` is what an operator types by hand in an incident (figures in bench/README.md:
// lvscare ipvs list). Only
// the exact plain forms are taken here; anything else (help, other flags) goes to the parser,
// which gives the same answer for these forms.
import { EXIT_OK, reportError } from './exit.js';
import { listIpvs } from './commands/ipvs-list.js';

export type Command = () => Promise<number>;

export function quickCommand(
  argv: readonly string[],
  out: NodeJS.WritableStream = process.stdout,
  err: NodeJS.WritableStream = process.stderr,
): Command | undefined {
  if (argv[0] !== 'ipvs' || argv[1] !== 'list' || argv.length > 3) return undefined;
  if (argv.length === 3 && argv[2] !== '--json') return undefined;
  return async () => {
    try {
      await listIpvs(argv[2] === '--json', out);
      return EXIT_OK;
    } catch (e) {
      return reportError('lvscare', e, err);
    }
  };
}
