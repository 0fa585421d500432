// `lvscare care <args>` read and checked without running anything: the lvscare CLI runs the
// result, and kha checks with it the flags it will put in the static pod (--lvscare-arg).
import type { Argv } from 'yargs';
import { type CareConfig, careFlagShape, checkCareFlags } from '../config/care-config.js';
import type { Notes } from '../config/care-flags.js';
import { camel, flagsOf } from '../config/flag.js';
import { UsageError } from '../exit.js';
import { cliParser, yargsOptions } from './cli-parser.js';
import { type ReadArgs, readPflagArgs } from './pflag-argv.js';

/** Every flag of `lvscare care`, by kebab-case name. */
export const CARE_FLAGS = flagsOf(careFlagShape());
export const CARE_DESCRIBE = 'keep the VIP balanced over the healthy masters';
export const CARE_ENV_PREFIX = 'CARE';
/** Words after `care` are accepted and ignored with a warning, as sealos (cobra) ignores them. */
export const CARE_COMMAND = 'care [ignored..]';

/** The care command's options on a yargs instance (help shows defaults and CARE_* names). */
export const careOptions = (parser: Argv, envPrefix?: string): Argv =>
  parser
    .positional('ignored', {
      type: 'string',
      array: true,
      describe: 'words after care: sealos ignores them, and so does this, with a warning',
    })
    .options(yargsOptions(CARE_FLAGS, envPrefix));

/** pflag's reading of the arguments after `care`, with CARE_* from `vars` when given. */
export const readCareArgs = (args: readonly string[], vars?: NodeJS.ProcessEnv): ReadArgs =>
  readPflagArgs(args, CARE_FLAGS, vars ? { prefix: CARE_ENV_PREFIX, vars } : undefined);

type FlagValue = string | boolean | string[];

/**
 * The configuration from what yargs parsed and pflag's reading: every problem at once, and notes
 * for what was ignored or read leniently, as sealos does, that the caller logs as warnings.
 */
export function careFromParsed(
  parsed: Record<string, unknown>,
  read: ReadArgs,
  /** yargs' `ignored` positional: the words after `care`. */
  words: unknown,
): { config: CareConfig; notes: Notes } {
  if (read.problems.length > 0) throw new UsageError(read.problems);
  const values: Record<string, FlagValue> = {};
  for (const [name, meta] of CARE_FLAGS) {
    const v = parsed[name];
    if (typeof v === 'string' || typeof v === 'boolean') values[camel(name)] = v;
    // a list flag the yargs parser filled
    else if (Array.isArray(v) && meta.kind === 'list') values[camel(name)] = v.map(String);
  }
  const { config, notes } = checkCareFlags(values, (name) => read.fromEnv.get(name));
  const ignored = Array.isArray(words) ? words.map(String) : [];
  for (const [name, word] of read.afterBoolean) {
    const i = ignored.indexOf(word);
    if (i < 0) continue;
    ignored.splice(i, 1);
    notes.push(
      `--${name} ${word}: a boolean flag takes its value only as --${name}=${word}; it stays ${String(parsed[name])} and "${word}" is ignored, as sealos does`,
    );
  }
  if (ignored.length > 0)
    notes.push(
      `ignored the argument${ignored.length > 1 ? 's' : ''} ${ignored.map((w) => JSON.stringify(w)).join(' ')}: care takes flags only (sealos ignores them too)`,
    );
  return { config, notes };
}

/**
 * `lvscare care <args>` parsed and checked as the CLI would (CARE_* variables only from `vars`),
 * the CA file not read: on a worker about to join it does not exist yet (kubeadm join writes it).
 */
export async function parseCareArgs(
  args: readonly string[],
  vars?: NodeJS.ProcessEnv,
): Promise<{ config: CareConfig; notes: Notes; given: Set<string> }> {
  const read = readCareArgs(args, vars);
  let result: { config: CareConfig; notes: Notes } | undefined;
  await cliParser(
    'lvscare',
    ['care', ...read.args],
    '',
    CARE_FLAGS.map(([n]) => n),
  )
    .version(false)
    .help(false)
    .command(CARE_COMMAND, CARE_DESCRIBE, careOptions, (argv) => {
      result = careFromParsed(argv, read, argv.ignored);
    })
    .demandCommand(1)
    .parseAsync();
  if (!result) throw new UsageError('not a care command line');
  return { ...result, given: read.given };
}

/** Just the configuration of parseCareArgs: what `lvscare care <args>` would run with. */
export async function careConfigFromArgs(args: readonly string[]): Promise<CareConfig> {
  return (await parseCareArgs(args)).config;
}
