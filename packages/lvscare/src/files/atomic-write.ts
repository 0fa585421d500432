// Files kha and lvscare write (hosts file, manifest, state files) are replaced whole or not at all: written to a temp file
// beside the target, synced, given the target's mode and owner, then renamed over it.
import { randomBytes } from 'node:crypto';
import { promises as fs } from 'node:fs';
import { basename, dirname, join } from 'node:path';

export interface WriteOptions {
  /** Mode for a new file; an existing file keeps its own mode and owner. */
  mode?: number;
}

async function statOrUndefined(path: string) {
  try {
    return await fs.stat(path);
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
    throw err;
  }
}

/** Replaces `path` with `content` (text is written as UTF-8) atomically; returns false (nothing written) when it already holds it. */
export async function writeFileAtomically(
  path: string,
  content: string | Buffer,
  options: WriteOptions = {},
): Promise<boolean> {
  const bytes = typeof content === 'string' ? Buffer.from(content, 'utf8') : content;
  const existing = await statOrUndefined(path);
  if (existing && (await fs.readFile(path)).equals(bytes)) return false;
  const dir = dirname(path);
  const temp = join(dir, `.${basename(path)}.kha-${randomBytes(4).toString('hex')}`);
  const handle = await fs.open(
    temp,
    'wx',
    existing ? existing.mode & 0o7777 : (options.mode ?? 0o644),
  );
  try {
    await handle.writeFile(bytes);
    if (existing) {
      await handle.chmod(existing.mode & 0o7777);
      await handle.chown(existing.uid, existing.gid);
    }
    await handle.sync();
  } catch (err) {
    await handle.close();
    await fs.rm(temp, { force: true });
    throw err;
  }
  await handle.close();
  try {
    await fs.rename(temp, path);
  } catch (err) {
    await fs.rm(temp, { force: true });
    throw err;
  }
  // The rename itself is durable only once the directory is synced.
  const d = await fs.open(dir, 'r');
  try {
    await d.sync();
  } finally {
    await d.close();
  }
  return true;
}
