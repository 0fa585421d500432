// The yargs set-up both CLIs start from: commands, strict about flags and command names (with a
// suggestion for a typo), help per command showing each flag's default and CARE_* variable,
// --version, shell completion, no process exit of its own, and every parse error thrown as a
// UsageError so the caller prints it and exits 2.
import yargs, { type Argv, type Options } from 'yargs';
import { type FlagMeta, camel } from '../config/flag.js';
import { UsageError } from '../exit.js';
import { COMMIT, platformName } from '../version.js';
import { envName } from './pflag-argv.js';

/** The `version` command's one flag, the same in both CLIs. */
export const versionFlags = (parser: Argv) =>
  parser.option('short', {
    type: 'boolean',
    default: false,
    describe: 'print just the version number',
  });

/**
 * What `version` prints: the bare number with --short, else the program, the version, the commit
 * it was built from, the platform it runs on and Node's version.
 */
export function versionText(program: string, version: string, short: boolean): string {
  return short
    ? `${version}\n`
    : `${program} ${version} (commit ${COMMIT}, ${platformName()}, node ${process.version})\n`;
}

export function cliParser(
  program: string,
  argv: string[],
  version: string,
  knownFlags: string[],
): Argv {
  return yargs(argv)
    .scriptName(program)
    .parserConfiguration({
      // List flags keep every value; pflag's last-wins for the others is done by readPflagArgs.
      'duplicate-arguments-array': true,
      'greedy-arrays': false,
      'parse-numbers': false,
      'parse-positional-numbers': false,
      'strip-aliased': true,
      'populate--': true,
    })
    .strictCommands()
    .strictOptions()
    .recommendCommands()
    .help()
    .alias('help', 'h')
    .version(version)
    .completion(
      'completion',
      `print the bash completion script (${program} completion bash >> ~/.bashrc)`,
    )
    .wrap(100)
    .exitProcess(false)
    .fail((message, err) => {
      if (err) throw err;
      // recommendCommands' own message does not say which word it is about: the last of the
      // command words, those before the first flag ("ipvs lst --json": "lst")
      const firstFlag = argv.findIndex((a) => a.startsWith('-'));
      const word = (firstFlag === -1 ? argv : argv.slice(0, firstFlag)).at(-1);
      if (message.startsWith('Did you mean'))
        throw new UsageError(`unknown command ${JSON.stringify(word)}: ${message}`);
      throw new UsageError(withSuggestion(message, knownFlags));
    });
}

/** yargs options for flags described by FlagMeta; with an env prefix, help names each variable. */
export function yargsOptions(
  flags: ReadonlyArray<[string, FlagMeta]>,
  envPrefix?: string,
): Record<string, Options> {
  const options: Record<string, Options> = {};
  for (const [name, meta] of flags) {
    const env = envPrefix ? ` [env ${envName(envPrefix, name)}]` : '';
    options[name] = {
      type: meta.kind === 'boolean' ? 'boolean' : 'string',
      // yargs leaves a flag that is both string and number as text and helps it as [number]
      number: meta.shownAs === 'number',
      array: meta.kind === 'list',
      alias: [...(meta.alias ?? []), ...(meta.short ? [meta.short] : [])],
      describe: `${meta.describe}${meta.kind === 'list' ? ' (repeatable)' : ''}${env}`,
      // lists start empty in the schema; an empty array as yargs' default would show as "[]"
      ...(meta.default === undefined || Array.isArray(meta.default)
        ? {}
        : { default: meta.default }),
      ...(meta.shownAs === 'number' && meta.default !== undefined
        ? { defaultDescription: String(meta.default) }
        : {}),
      ...(meta.kind === 'boolean' ? {} : { requiresArg: true }),
    };
  }
  return options;
}

/** "Unknown argument: mdoe" gains "(did you mean --mode?)" when one flag is that close. */
function withSuggestion(message: string, knownFlags: string[]): string {
  const m = /^Unknown arguments?: (.+)$/.exec(message);
  if (!m) return message;
  // yargs lists a camelCase twin of each unknown kebab-case flag; one is enough
  const all = m[1]!.split(', ');
  const words = all.filter((w) => !all.some((o) => o !== w && o.includes('-') && camel(o) === w));
  message = `Unknown argument${words.length > 1 ? 's' : ''}: ${words.join(', ')}`;
  const hints = words.flatMap((word) => {
    const best = closest(word.replace(/^-+/, ''), knownFlags);
    return best ? [words.length > 1 ? `--${best} for ${word}` : `--${best}`] : [];
  });
  return hints.length ? `${message} (did you mean ${hints.join(', ')}?)` : message;
}

function closest(word: string, candidates: string[]): string | undefined {
  let best: string | undefined;
  let bestDistance = Math.max(2, Math.floor(word.length / 3)) + 1;
  for (const c of candidates) {
    const d = editDistance(word, c);
    if (d < bestDistance) {
      best = c;
      bestDistance = d;
    }
  }
  return best;
}

/** Damerau-Levenshtein distance (a swap of neighbours counts one), enough for flag typos. */
function editDistance(a: string, b: string): number {
  const d = Array.from({ length: a.length + 1 }, (_, i) => [i, ...Array<number>(b.length).fill(0)]);
  for (let j = 1; j <= b.length; j++) d[0]![j] = j;
  for (let i = 1; i <= a.length; i++)
    for (let j = 1; j <= b.length; j++) {
      const cost = a[i - 1] === b[j - 1] ? 0 : 1;
      let v = Math.min(d[i - 1]![j]! + 1, d[i]![j - 1]! + 1, d[i - 1]![j - 1]! + cost);
      if (i > 1 && j > 1 && a[i - 1] === b[j - 2] && a[i - 2] === b[j - 1])
        v = Math.min(v, d[i - 2]![j - 2]! + 1);
      d[i]![j] = v;
    }
  return d[a.length]![b.length]!;
}

/**
 * The words both CLIs read as cobra does: `help care` is `care --help` (cobra's help command), and
 * `completion bash` is yargs' `completion`.
 */
export function helpAndCompletionWords(argv: readonly string[]): string[] {
  if (argv[0] === 'help') return [...argv.slice(1), '--help'];
  if (argv[0] === 'completion' && argv[1] === 'bash') return ['completion', ...argv.slice(2)];
  return [...argv];
}
