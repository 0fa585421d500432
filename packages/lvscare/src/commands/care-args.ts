// `lvscare care` arguments parsed without running anything: for kha, which validates the flags it
// will put in the static pod and runs the same set-up in-process.
import { type CommandSpec, parseCommandLine } from '../command-line.js';
import { type CareConfig, type RawCareFlags, careConfig } from '../config/care-config.js';
import { CARE_FLAGS } from './care.js';

export const CARE_COMMAND: CommandSpec = {
  name: 'care',
  describe: 'keep the VIP balanced over the healthy masters',
  flags: CARE_FLAGS,
};

/** The flags of `lvscare care <args>` as the CLI would see them (no CARE_* environment). */
export function parseCareFlags(args: string[]): RawCareFlags {
  const parsed = parseCommandLine('lvscare', [CARE_COMMAND], ['care', ...args]);
  if ('help' in parsed) throw new Error('--help is not a care flag here');
  return parsed.values as RawCareFlags;
}

/**
 * The configuration `lvscare care <args>` would run with, except that the CA file is not read:
 * on a worker about to join it does not exist yet (kubeadm join writes it).
 */
export function careConfigOf(args: string[]): CareConfig {
  return careConfig({ ...parseCareFlags(args), healthCaFile: undefined });
}
