// --vip: an address (port 6443) or address:port; never one of the masters.
import { type Endpoint, UsageError, formatEndpoint, parseEndpoint } from '@kha/lvscare';
import { DEFAULT_APISERVER_PORT } from './masters.js';

export const DEFAULT_VIP = '10.103.97.2';

export function parseVip(text: string, masters: Endpoint[]): Endpoint {
  const vip = parseEndpoint(text, DEFAULT_APISERVER_PORT);
  if (!vip)
    throw new UsageError(
      `--vip ${JSON.stringify(text)}: not an address or address:port (IPv6 as [addr]:port)`,
    );
  const clash = masters.find((m) => m.address === vip.address);
  if (clash)
    throw new UsageError(
      `--vip ${JSON.stringify(text)}: is the master ${formatEndpoint(clash)}; the VIP must be an unused address`,
    );
  const mixed = masters.find((m) => m.family !== vip.family);
  if (mixed)
    throw new UsageError(
      `--master ${formatEndpoint(mixed)}: not the VIP's address family; IPVS cannot mix IPv4 and IPv6 in one service`,
    );
  return vip;
}
