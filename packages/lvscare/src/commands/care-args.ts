// `lvscare care` arguments parsed without running anything: for kha, which validates the flags it
// will put in the static pod and runs the same set-up in-process.
import { commandLine } from '../command-line.js';
import { type CareConfig, type RawCareFlags, careConfig } from '../config/care-config.js';
import { careOptions } from './care.js';

/** The flags of `lvscare care <args>` as the CLI would see them (no CARE_* environment). */
export async function parseCareFlags(args: string[]): Promise<RawCareFlags> {
  let raw: RawCareFlags | undefined;
  await commandLine(['care', ...args], 'lvscare')
    .command(
      'care',
      '',
      (y) => careOptions(y),
      (a) => {
        raw = a as RawCareFlags;
      },
    )
    .parseAsync();
  return raw!;
}

/**
 * The configuration `lvscare care <args>` would run with, except that the CA file is not read:
 * on a worker about to join it does not exist yet (kubeadm join writes it).
 */
export async function careConfigOf(args: string[]): Promise<CareConfig> {
  const raw = await parseCareFlags(args);
  return careConfig({ ...raw, healthCaFile: undefined });
}
