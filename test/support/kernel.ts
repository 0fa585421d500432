import { existsSync } from 'node:fs';

/**
 * Kernel-tier tests run only where IPVS exists (the VM, or a host with ip_vs, in a throw-away
 * network namespace). Outside it they fail loudly instead of skipping, so a missing tier can never
 * pass as green.
 */
export function assertKernelTier(): void {
  if (!existsSync('/proc/net/ip_vs')) {
    throw new Error(
      'kernel tier: this kernel has no IPVS; run the tests through test/kernel-tier.sh',
    );
  }
}
