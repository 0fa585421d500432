// Each kha command's flags as the command line, its help and the flag reference read them.
import { type FlagMeta, flagsOf } from '@kha/lvscare/cli-kit';
import { adoptFlags, joinFlags, podFlags, resetFlags, updateFlags } from './settings.js';

export const COMMAND_FLAGS: Record<string, Array<[string, FlagMeta]>> = {
  join: flagsOf(joinFlags()),
  adopt: flagsOf(adoptFlags()),
  reset: flagsOf(resetFlags()),
  manifest: flagsOf(podFlags()),
  update: flagsOf(updateFlags()),
};
