// The last discovered masters, kept on the node (hostPath) so that a restart during an API outage
// starts from them instead of from the seed alone. Written atomically; on read, anything not
// exactly right is ignored with a reason, never half-used.
import { promises as fs } from 'node:fs';
import { dirname } from 'node:path';
import type { AddressFamily } from '@kha/netlink-ffi';
import { type Endpoint, formatEndpoint, parseEndpoint } from '../config/endpoint.js';
import { writeFileAtomically } from '../files/atomic-write.js';
import { FileRefused, readRegularFile } from '../files/bounded-read.js';
import { MAX_MASTERS, MAX_STATE_FILE_BYTES } from './limits.js';

const STATE_VERSION = 1;

interface MastersState {
  version: typeof STATE_VERSION;
  masters: string[];
  updatedAt: string;
}

export function renderMastersState(masters: Endpoint[], now: Date): string {
  const state: MastersState = {
    version: STATE_VERSION,
    masters: masters.map(formatEndpoint).sort(),
    updatedAt: now.toISOString(),
  };
  return `${JSON.stringify(state, null, 2)}\n`;
}

export type StateRead = { masters: Endpoint[] } | { problem: string };

/** Validates a state file's text: version, a list of IP:PORT of the VIP's family, nothing else. */
export function parseMastersState(text: string, family: AddressFamily): StateRead {
  let doc: unknown;
  try {
    doc = JSON.parse(text);
  } catch {
    return { problem: 'not JSON' };
  }
  const d = doc as Partial<MastersState> | null;
  if (typeof d !== 'object' || d === null || Array.isArray(d)) return { problem: 'not an object' };
  if (d.version !== STATE_VERSION)
    return { problem: `version ${String(d.version)} is not ${STATE_VERSION}` };
  if (!Array.isArray(d.masters)) return { problem: 'no masters list' };
  if (d.masters.length > MAX_MASTERS) return { problem: `more than ${MAX_MASTERS} masters` };
  const masters: Endpoint[] = [];
  for (const text of d.masters) {
    const e = typeof text === 'string' ? parseEndpoint(text) : undefined;
    if (!e) return { problem: `${JSON.stringify(text)} is not an IP:PORT` };
    if (e.family !== family) return { problem: `${text} is not of the VIP's address family` };
    if (!masters.some((m) => m.address === e.address && m.port === e.port)) masters.push(e);
  }
  return { masters };
}

export function readMastersState(path: string, family: AddressFamily): StateRead {
  let text: string;
  try {
    text = readRegularFile(path, MAX_STATE_FILE_BYTES).toString('utf8');
  } catch (err) {
    if (err instanceof FileRefused) return { problem: err.why };
    throw err;
  }
  return parseMastersState(text, family);
}

/** Why the reader would refuse this list, so that it is never written. */
function unreadable(masters: Endpoint[]): string | undefined {
  if (masters.length > MAX_MASTERS) return `more than ${MAX_MASTERS} masters`;
  const family = masters[0]?.family;
  if (masters.some((m) => m.family !== family)) return 'masters of both address families';
  return undefined;
}

/**
 * Replaces the state file whole (temp file beside it, fsync, rename, fsync of the directory);
 * returns false without writing when it already lists the same masters. A list the reader would
 * refuse is not written (an error saying why): a restart must find what was written usable.
 */
export async function writeMastersState(
  path: string,
  masters: Endpoint[],
  now: Date = new Date(),
): Promise<boolean> {
  const problem = unreadable(masters);
  if (problem) throw new Error(`not written: ${problem}`);
  const family = masters[0]?.family ?? 'inet';
  const current = readMastersState(path, family);
  const wanted = masters.map(formatEndpoint).sort();
  if ('masters' in current && current.masters.map(formatEndpoint).sort().join() === wanted.join())
    return false;
  await fs.mkdir(dirname(path), { recursive: true, mode: 0o755 });
  return writeFileAtomically(path, renderMastersState(masters, now), { mode: 0o644 });
}
