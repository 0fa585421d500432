// Which masters a load balancer gives no new connection, read from its own state: the kernel's
// /proc/net/ip_vs for an IPVS virtual server, HAProxy's `show stat` for a proxy. Pure.
import type { Target } from './contender.js';

/** IPv4 address and port as /proc/net/ip_vs spells them: 0A679702:192B. */
function procEndpoint(ip: string, port: number): string {
  const hex = (n: number, width: number) => n.toString(16).toUpperCase().padStart(width, '0');
  return `${ip
    .split('.')
    .map((b) => hex(Number(b), 2))
    .join('')}:${hex(port, 4)}`;
}

/**
 * The masters out of the virtual server `vip` in a /proc/net/ip_vs text: no destination, or one
 * at weight 0. A missing virtual server leaves every master out.
 */
export function ipvsOut(
  procText: string,
  vip: Target,
  masters: ReadonlyArray<{ name: string; ip: string; port: number }>,
): Set<string> {
  const service = `TCP  ${procEndpoint(vip.host, vip.port)} `;
  const weights = new Map<string, number>();
  let inService = false;
  for (const line of procText.split('\n')) {
    if (line.startsWith('TCP') || line.startsWith('UDP') || line.startsWith('FWM')) {
      inService = line.startsWith(service);
      continue;
    }
    const dest = /^\s+->\s+([0-9A-F]{8}:[0-9A-F]{4})\s+\S+\s+(\d+)/.exec(line);
    if (inService && dest) weights.set(dest[1]!, Number(dest[2]));
  }
  return new Set(
    masters.filter((m) => (weights.get(procEndpoint(m.ip, m.port)) ?? 0) === 0).map((m) => m.name),
  );
}

/** The servers of HAProxy's `apiserver` backend not UP in a `show stat` CSV (field 18: status). */
export function haproxyOut(csv: string, masters: ReadonlyArray<{ name: string }>): Set<string> {
  const status = new Map<string, string>();
  for (const line of csv.split('\n')) {
    const f = line.split(',');
    if (f[0] === 'apiserver' && f[1] !== undefined) status.set(f[1], f[17] ?? '');
  }
  return new Set(masters.filter((m) => !status.get(m.name)?.startsWith('UP')).map((m) => m.name));
}
