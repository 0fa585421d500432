// What `lvscare ipvs list` shows: pure rendering of what the kernel holds.
import {
  ServiceFlag,
  type DestinationExtended,
  type IpvsInfo,
  type ServiceExtended,
  type IpvsStats,
} from '@kha/netlink-ffi';
import { formatEndpoint } from './config/endpoint.js';

export interface ServiceWithDestinations {
  service: ServiceExtended;
  destinations: DestinationExtended[];
}

const flagNames: Array<[number, string]> = [
  [ServiceFlag.PERSISTENT, 'persistent'],
  [ServiceFlag.ONEPACKET, 'one-packet'],
  [ServiceFlag.SCHED1, 'sched1'],
  [ServiceFlag.SCHED2, 'sched2'],
  [ServiceFlag.SCHED3, 'sched3'],
];

function serviceFlagNames(flags: number): string[] {
  return flagNames.filter(([bit]) => flags & bit).map(([, name]) => name);
}

function serviceLabel(s: ServiceExtended): string {
  if (s.fwmark !== undefined) return `FWM  ${s.fwmark}${s.family === 'inet6' ? ' IPv6' : ''}`;
  return `${s.protocol.toUpperCase().padEnd(4)} ${formatEndpoint(s)}`;
}

const statColumns = (st: IpvsStats): string =>
  [st.conns, st.inPackets, st.outPackets, st.inBytes, st.outBytes]
    .map((n) => String(n).padStart(10))
    .join('');

/** A table in the spirit of `ipvsadm -Ln --stats`, with scheduler, forwarding and weights too. */
export function renderTable(info: IpvsInfo, entries: ServiceWithDestinations[]): string {
  const lines = [
    `IP Virtual Server version ${info.version} (size=${info.connTableSize})`,
    `${'Prot LocalAddress:Port Scheduler Flags'.padEnd(48)}${['Conns', 'InPkts', 'OutPkts', 'InBytes', 'OutBytes'].map((h) => h.padStart(10)).join('')}`,
    `${'  -> RemoteAddress:Port Forward Weight Active InAct'.padEnd(48)}`,
  ];
  for (const { service: s, destinations } of entries) {
    const extra = [s.scheduler, ...serviceFlagNames(s.flags)];
    if (s.flags & ServiceFlag.PERSISTENT) extra.push(`timeout ${s.timeout}`);
    const head = `${serviceLabel(s)} ${extra.join(' ')}`;
    lines.push(`${head.padEnd(48)}${statColumns(s.stats)}`);
    for (const d of destinations) {
      const row = `  -> ${formatEndpoint(d)} ${d.forward} ${d.weight} ${d.activeConns} ${d.inactiveConns}`;
      lines.push(`${row.padEnd(48)}${statColumns(d.stats)}`);
    }
  }
  return `${lines.join('\n')}\n`;
}

/** The JSON shape of `lvscare ipvs list --json`: one object per service, addresses as text. */
export function toJson(entries: ServiceWithDestinations[]): unknown[] {
  return entries.map(({ service: s, destinations }) => ({
    family: s.family,
    protocol: s.fwmark !== undefined ? null : s.protocol,
    address: s.fwmark !== undefined ? null : s.address,
    port: s.fwmark !== undefined ? null : s.port,
    fwmark: s.fwmark ?? 0,
    scheduler: s.scheduler,
    flags: serviceFlagNames(s.flags),
    timeout: s.timeout,
    netmask: s.netmask,
    stats: s.stats,
    destinations: destinations.map((d) => ({
      address: d.address,
      port: d.port,
      forward: d.forward,
      weight: d.weight,
      upperThreshold: d.upperThreshold,
      lowerThreshold: d.lowerThreshold,
      activeConns: d.activeConns,
      inactiveConns: d.inactiveConns,
      stats: d.stats,
    })),
  }));
}
