// The arguments of one command read the way cobra/pflag reads them, rewritten into the plain
// `--name=value` form yargs then parses: `-iVALUE`, `-i VALUE`, `-i=VALUE`, `-C=t`, grouped
// booleans (`-Ci eth0`), booleans only as `--flag` or `--flag=<Go ParseBool>` (a following word is
// a positional argument, as in pflag), and CARE_<FLAG> for a flag the command line leaves out
// when the variable is not empty. Anything this does not know is left to yargs to refuse.
import { goBool, type FlagMeta } from '../config/flag.js';

export interface ReadArgs {
  /** The command's arguments for yargs. */
  args: string[];
  /** Flags (kebab case) the arguments themselves set, under their canonical names. */
  given: Set<string>;
  /** Flags (kebab case) whose value came from the environment, with the variable's name. */
  fromEnv: Map<string, string>;
  /** Words pflag leaves as positional arguments right after a boolean flag ("--flag false"). */
  afterBoolean: Map<string, string>;
  problems: string[];
}

const BOOL_HINT =
  "not a boolean (Go's ParseBool: true, false, 1, 0, t, f, TRUE, FALSE, True, False)";

export const envName = (prefix: string, flagName: string): string =>
  `${prefix}_${flagName.replace(/-/g, '_').toUpperCase()}`;

export function readPflagArgs(
  argv: readonly string[],
  flags: ReadonlyArray<[string, FlagMeta]>,
  env?: { prefix: string; vars: NodeJS.ProcessEnv },
): ReadArgs {
  const long = new Map<string, [string, FlagMeta]>();
  const short = new Map<string, [string, FlagMeta]>();
  for (const entry of flags) {
    long.set(entry[0], entry);
    for (const a of entry[1].alias ?? []) long.set(a, entry);
    if (entry[1].short) short.set(entry[1].short, entry);
  }
  const given = new Set<string>();
  const out: ReadArgs = {
    args: [],
    given,
    fromEnv: new Map(),
    afterBoolean: new Map(),
    problems: [],
  };
  // pflag: a single-valued flag given twice keeps its last value; a list keeps every one.
  const lastAt = new Map<string, number>();
  const dropped = new Set<number>();
  const emit = (name: string, meta: FlagMeta, token: string) => {
    const before = lastAt.get(name);
    if (meta.kind !== 'list' && before !== undefined) dropped.add(before);
    lastAt.set(name, out.args.push(token) - 1);
  };
  const set = (name: string, meta: FlagMeta, value: string | true, shown: string) => {
    given.add(name);
    if (meta.kind !== 'boolean')
      return emit(name, meta, `--${name}=${value === true ? '' : value}`);
    const b = value === true ? true : goBool(value);
    if (b === undefined) out.problems.push(`${shown} ${JSON.stringify(value)}: ${BOOL_HINT}`);
    else emit(name, meta, `--${name}=${b}`);
  };
  for (let i = 0; i < argv.length; i++) {
    const token = argv[i]!;
    if (token === '--') {
      out.args.push(...argv.slice(i));
      break;
    }
    const longForm = /^--([^=]+)(?:=([\s\S]*))?$/.exec(token);
    if (longForm) {
      const [, key = '', inline] = longForm;
      const entry = long.get(key);
      if (!entry && short.has(key)) {
        out.problems.push(`unknown flag: --${key} (the shorthand is -${key})`); // as pflag
        continue;
      }
      if (!entry) {
        // unknown, or --no-<flag>: yargs decides
        const negated = /^no-(.+)$/.exec(key)?.[1];
        if (negated && long.get(negated)?.[1].kind === 'boolean') given.add(long.get(negated)![0]);
        out.args.push(token);
        continue;
      }
      const [name, meta] = entry;
      if (meta.kind === 'boolean') {
        set(name, meta, inline ?? true, `--${key}`);
        const next = argv[i + 1];
        if (inline === undefined && next !== undefined && goBool(next) !== undefined)
          out.afterBoolean.set(name, next);
      } else if (inline !== undefined) set(name, meta, inline, `--${key}`);
      else if (i + 1 < argv.length) set(name, meta, argv[++i]!, `--${key}`);
      else out.problems.push(`--${key} needs a value`);
      continue;
    }
    if (token.length < 2 || token[0] !== '-') {
      out.args.push(token);
      continue;
    }
    // Shorthands, pflag's way: booleans may be grouped; a value flag takes the rest of the token.
    for (let j = 1; j < token.length; j++) {
      const c = token[j]!;
      const entry = short.get(c);
      if (!entry) {
        out.args.push(`-${token.slice(j)}`); // yargs reports the unknown letters
        break;
      }
      const [name, meta] = entry;
      const rest = token.slice(j + 1);
      if (rest.startsWith('=')) {
        set(name, meta, rest.slice(1), `-${c}`);
        break;
      }
      if (meta.kind === 'boolean') {
        set(name, meta, true, `-${c}`);
        continue;
      }
      if (rest !== '') set(name, meta, rest, `-${c}`);
      else if (i + 1 < argv.length) set(name, meta, argv[++i]!, `-${c}`);
      else out.problems.push(`-${c} needs a value`);
      break;
    }
  }
  out.args = out.args.filter((_, i) => !dropped.has(i));
  if (env) {
    const fromEnv: string[] = [];
    for (const [name, meta] of flags) {
      const variable = envName(env.prefix, name);
      const value = env.vars[variable];
      if (given.has(name) || value === undefined || value === '') continue;
      out.fromEnv.set(name, variable);
      if (meta.kind === 'boolean') {
        const b = goBool(value);
        if (b === undefined)
          out.problems.push(`${variable} ${JSON.stringify(value)}: ${BOOL_HINT}`);
        else fromEnv.push(`--${name}=${b}`);
      } else fromEnv.push(`--${name}=${value}`);
    }
    out.args.unshift(...fromEnv);
  }
  return out;
}
