// `ip -j`: iproute2's own view of links, addresses and routes, the witness the kernel tier reads.
import { run } from './run.js';

/** The fields of `ip -j` objects the tests read; which are present depends on the command. */
export interface IpJsonObject {
  ifindex?: number;
  ifname?: string;
  flags?: string[];
  linkinfo?: { info_kind?: string };
  addr_info?: Array<{ local: string; prefixlen: number }>;
  dst?: string;
  dev?: string;
  gateway?: string;
  prefsrc?: string;
}

export const ipJson = (...args: string[]): IpJsonObject[] =>
  JSON.parse(run('ip', ['-j', ...args])) as IpJsonObject[];
