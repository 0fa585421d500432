// `lvscare ipvs list [--json]`: what the kernel holds, read over one netlink socket.
import { IpvsClient } from '@kha/netlink-ffi';
import { type ServiceWithDestinations, renderTable, toJson } from '../ipvs-view.js';

export async function listIpvs(json: boolean, out: NodeJS.WritableStream): Promise<void> {
  const client = await IpvsClient.open();
  try {
    const info = await client.info();
    const entries: ServiceWithDestinations[] = [];
    for (const service of await client.services()) {
      entries.push({ service, destinations: await client.destinations(service) });
    }
    out.write(json ? `${JSON.stringify(toJson(entries), null, 2)}\n` : renderTable(info, entries));
  } finally {
    await client.close();
  }
}
