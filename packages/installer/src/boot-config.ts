// Files that make the node come back right after a reboot, before kubelet starts lvscare:
// the IPVS modules loaded at boot (systemd-modules-load runs before systemd-sysctl, so the
// net.ipv4.vs sysctls exist by the time they are applied) and those sysctls set.
import type { CareConfig } from '@kha/lvscare';

export const MODULES_LOAD_FILE = 'kha-lvscare.conf';
export const SYSCTL_FILE = '90-kha-lvscare.conf';

const HEADER = '# Written by kha join for kube-lvscare; kha reset removes it.\n';

export function modulesLoadContent(config: Pick<CareConfig, 'scheduler'>): string {
  return `${HEADER}ip_vs\nip_vs_${config.scheduler}\n`;
}

/** The sysctls lvscare wants; it cannot write /proc/sys from its container. */
export function sysctlEntries(config: Pick<CareConfig, 'mode'>): Array<[string, string]> {
  const entries: Array<[string, string]> = [['net.ipv4.vs.expire_nodest_conn', '1']];
  // Link mode's masquerade rule only sees IPVS connections when IPVS keeps conntrack entries.
  if (config.mode === 'link') entries.push(['net.ipv4.vs.conntrack', '1']);
  return entries;
}

export function sysctlContent(config: Pick<CareConfig, 'mode'>): string {
  return (
    HEADER +
    sysctlEntries(config)
      .map(([k, v]) => `${k} = ${v}\n`)
      .join('')
  );
}
