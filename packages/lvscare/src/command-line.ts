// The command-line parser both CLIs use: commands with declared flags, the way sealos' lvscare
// (cobra) reads them. `--flag value`, `--flag=value`, short aliases, booleans bare or `=true|false`,
// a single-valued flag given twice keeps its last value, list flags keep every value, anything
// undeclared is bad input, and `--` hands the rest to a command that takes it. Flags not on the
// command line can come from PREFIX_<FLAG> environment variables. Small on purpose: the daemon
// lives for months and a general-purpose parser cost it 4.5 MiB of resident memory.
import { UsageError } from './exit.js';

export type FlagType = 'string' | 'boolean' | 'list';

export interface Flag {
  type: FlagType;
  alias?: string[];
  default?: string | boolean;
  describe?: string;
}

/** Flags by their long name, in kebab case. */
export type Flags = Record<string, Flag>;

export interface CommandSpec {
  /** One or more words: "care", "ipvs list". */
  name: string;
  describe: string;
  flags: Flags;
  /** Takes `-- <arguments>` and hands them over as `rest`. */
  rest?: string;
}

export type FlagValue = string | boolean | string[];

export interface ParsedCommand {
  command: CommandSpec;
  /** Values by camelCase name (health-ca-file -> healthCaFile), defaults filled in. */
  values: Record<string, FlagValue | undefined>;
  rest: string[];
}

export type ParseResult = ParsedCommand | { help: string };

export const camelCase = (flag: string): string =>
  flag.replace(/-([a-z])/g, (_, c: string) => c.toUpperCase());

function helpFor(program: string, commands: CommandSpec[], command?: CommandSpec): string {
  if (!command) {
    const width = Math.max(...commands.map((c) => c.name.length));
    return [
      `usage: ${program} <command> [flags]`,
      '',
      ...commands.map((c) => `  ${c.name.padEnd(width)}  ${c.describe}`),
      '',
      `${program} <command> --help shows a command's flags.`,
      '',
    ].join('\n');
  }
  const rows = Object.entries(command.flags).map(([name, f]) => {
    const names = [
      ...(f.alias ?? []).map((a) => (a.length === 1 ? `-${a}` : `--${a}`)),
      `--${name}`,
    ];
    const value = f.type === 'boolean' ? '' : ' <value>';
    const def =
      (f.type === 'list' ? ' (repeatable)' : '') +
      (f.default === undefined || f.default === '' ? '' : ` (default ${String(f.default)})`);
    return [`${names.join(', ')}${value}`, `${f.describe ?? ''}${def}`] as const;
  });
  const width = Math.max(0, ...rows.map(([a]) => a.length));
  return [
    `usage: ${program} ${command.name} [flags]${command.rest ? ` -- <${command.rest}>` : ''}`,
    '',
    command.describe,
    '',
    ...rows.map(([a, b]) => `  ${a.padEnd(width)}  ${b}`.trimEnd()),
    '',
  ].join('\n');
}

function booleanOf(name: string, text: string): boolean {
  if (/^(true|1|yes)$/i.test(text)) return true;
  if (/^(false|0|no)$/i.test(text)) return false;
  throw new UsageError(`--${name} ${JSON.stringify(text)}: must be true or false`);
}

/**
 * Finds the command and reads its flags. Throws UsageError for bad input; returns { help } when
 * --help or -h was asked for (or when nothing was given and help is the useful answer).
 */
export function parseCommandLine(
  program: string,
  commands: CommandSpec[],
  argv: string[],
  env?: { prefix: string; vars: NodeJS.ProcessEnv },
): ParseResult {
  const firstFlag = argv.findIndex((a) => a.startsWith('-'));
  const words = firstFlag < 0 ? argv : argv.slice(0, firstFlag);
  const command = [...commands]
    .sort((a, b) => b.name.split(' ').length - a.name.split(' ').length)
    .find((c) => c.name.split(' ').every((w, i) => words[i] === w));
  if (argv.includes('--help') || argv.includes('-h')) {
    const before = argv.indexOf('--') < 0 ? argv : argv.slice(0, argv.indexOf('--'));
    if (before.includes('--help') || before.includes('-h'))
      return { help: helpFor(program, commands, command) };
  }
  if (!command) {
    const names = commands.map((c) => c.name).join(', ');
    if (words.length === 0) throw new UsageError(`name a command: ${names}`);
    throw new UsageError(`unknown command "${words.join(' ')}": one of ${names}`);
  }
  const byName = new Map<string, [string, Flag]>();
  for (const [name, flag] of Object.entries(command.flags)) {
    byName.set(name, [name, flag]);
    for (const a of flag.alias ?? []) byName.set(a, [name, flag]);
  }
  const given = new Map<string, FlagValue>();
  let rest: string[] = [];
  const tokens = argv.slice(command.name.split(' ').length);
  for (let i = 0; i < tokens.length; i++) {
    const token = tokens[i]!;
    if (token === '--') {
      if (!command.rest)
        throw new UsageError(`${program} ${command.name} takes no arguments after --`);
      rest = tokens.slice(i + 1);
      break;
    }
    const m = /^--?([^=]+)(?:=(.*))?$/s.exec(token);
    if (!m || token === '-') throw new UsageError(`Unknown argument: ${token}`);
    const [, key, inline] = m as unknown as [string, string, string | undefined];
    const entry = byName.get(key);
    if (!entry) throw new UsageError(`Unknown argument: ${key}`);
    const [name, flag] = entry;
    if (flag.type === 'boolean') {
      given.set(name, inline === undefined ? true : booleanOf(name, inline));
      continue;
    }
    let value = inline;
    if (value === undefined) {
      if (i + 1 >= tokens.length) throw new UsageError(`--${name} needs a value`);
      value = tokens[++i]!;
    }
    if (flag.type === 'list') {
      const list = (given.get(name) as string[] | undefined) ?? [];
      given.set(name, [...list, value]);
    } else {
      given.set(name, value); // given twice: the last one counts, as in cobra
    }
  }
  const values: Record<string, FlagValue | undefined> = {};
  for (const [name, flag] of Object.entries(command.flags)) {
    let v = given.get(name);
    if (v === undefined && env) {
      const text = env.vars[`${env.prefix}_${name.replace(/-/g, '_').toUpperCase()}`];
      if (text !== undefined)
        v = flag.type === 'boolean' ? booleanOf(name, text) : flag.type === 'list' ? [text] : text;
    }
    values[camelCase(name)] = v ?? flag.default;
  }
  return { command, values, rest };
}
