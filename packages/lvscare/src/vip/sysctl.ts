import { readFileSync, writeFileSync } from 'node:fs';

/**
 * Sets a sysctl under /proc/sys when it differs. Returns an error text instead of throwing: in a
 * container /proc/sys is often read-only, and the installer sets these on the host as well.
 */
export function ensureSysctl(name: string, value: string): string | undefined {
  const path = `/proc/sys/${name.replace(/\./g, '/')}`;
  try {
    if (readFileSync(path, 'utf8').trim() === value) return undefined;
    writeFileSync(path, `${value}\n`);
    return undefined;
  } catch (err) {
    return `${name}=${value} not set: ${(err as NodeJS.ErrnoException).code ?? (err as Error).message}`;
  }
}

/** Connections to a removed real server end on their next packet instead of hanging. */
export const EXPIRE_NODEST_CONN = 'net.ipv4.vs.expire_nodest_conn';
/** IPVS keeps conntrack entries, so the link mode's masquerade rule sees its connections. */
export const VS_CONNTRACK = 'net.ipv4.vs.conntrack';
