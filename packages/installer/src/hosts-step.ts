// The hosts-file entry on disk: added with a backup of the file as it was before kha first
// changed it, removed by restoring that backup when nothing else changed since.
import { promises as fs } from 'node:fs';
import { writeFileAtomically } from './atomic-write.js';
import { withApiserverEntry, withoutApiserverEntry } from './hosts-file.js';

export const BACKUP_SUFFIX = '.kha-backup';

async function readIfPresent(path: string): Promise<string | undefined> {
  try {
    return await fs.readFile(path, 'utf8');
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
    throw err;
  }
}

/** What adding the entry would do, without doing it. */
export async function hostsEntryNeeded(path: string, vip: string): Promise<boolean> {
  const current = await fs.readFile(path, 'utf8');
  return withApiserverEntry(current, vip) !== current;
}

/** Adds (or re-points) the entry; returns whether the file changed. */
export async function addHostsEntry(path: string, vip: string): Promise<boolean> {
  const current = await fs.readFile(path, 'utf8');
  const next = withApiserverEntry(current, vip);
  if (next === current) return false;
  const backup = path + BACKUP_SUFFIX;
  // Kept once: a re-run (or a second join) must not overwrite the original with our own edit.
  if ((await readIfPresent(backup)) === undefined) {
    const { mode } = await fs.stat(path);
    await writeFileAtomically(backup, current, { mode: mode & 0o7777 });
  }
  await writeFileAtomically(path, next);
  return true;
}

/**
 * Takes the entry out: byte for byte the file from before join when nobody edited it since,
 * otherwise only our line goes. Returns what happened.
 */
export async function removeHostsEntry(
  path: string,
  vip: string,
): Promise<'restored' | 'entry removed' | 'unchanged'> {
  const current = await fs.readFile(path, 'utf8');
  const backup = path + BACKUP_SUFFIX;
  const original = await readIfPresent(backup);
  const { content, exact } = withoutApiserverEntry(current, original, vip);
  const changed = await writeFileAtomically(path, content);
  if (original !== undefined) await fs.rm(backup, { force: true });
  if (!changed) return 'unchanged';
  return exact ? 'restored' : 'entry removed';
}
