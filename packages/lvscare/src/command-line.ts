import yargs, { type Argv } from 'yargs';
import { UsageError } from './exit.js';

/**
 * The parser both CLIs start from: strict (an unknown flag is bad input), no process exit of its
 * own, and every parse error thrown as a UsageError so the caller prints one line and exits 2.
 */
export function commandLine(argv: string[], name: string): Argv {
  const parser: Argv = yargs(argv);
  return parser
    .scriptName(name)
    .strict()
    .help()
    .version(false)
    .exitProcess(false)
    .fail((msg, err) => {
      throw err ?? new UsageError(msg);
    })
    .middleware((args) => lastWins(args, declaredLists(parser)), true);
}

/** The flags declared as lists (getOptions is public in yargs but missing from its types). */
function declaredLists(parser: Argv): string[] {
  return (parser as unknown as { getOptions(): { array: string[] } }).getOptions().array;
}

const camel = (flag: string) => flag.replace(/-([a-z])/g, (_, c: string) => c.toUpperCase());

/**
 * A single-valued flag given twice keeps its last value, as in sealos' lvscare (cobra); yargs
 * would hand over an array. Flags declared as lists (--rs, --master) keep every value.
 */
function lastWins(args: Record<string, unknown>, lists: string[]): void {
  const keep = new Set(['_', '--', ...lists, ...lists.map(camel)]);
  for (const [key, value] of Object.entries(args)) {
    if (Array.isArray(value) && !keep.has(key)) args[key] = value[value.length - 1];
  }
}
