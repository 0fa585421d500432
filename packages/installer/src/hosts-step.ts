// The hosts-file entry on disk: added with a backup of the file as it was before kha first
// changed it, removed by restoring that backup when nothing else changed since. Bytes throughout:
// nothing in the file or its backup is re-encoded. A hosts file that is a symbolic link is
// written through to the file it points at (the link itself stays a link).
import { promises as fs } from 'node:fs';
import { dirname, resolve } from 'node:path';
import { writeFileAtomically } from '@kha/lvscare';
import type { Deployment } from './deployment.js';
import { readIfPresent } from './file-plan.js';
import { entryLine, withApiserverEntry, withoutApiserverEntry } from './hosts-file.js';
import type { Step } from './step.js';
import { unifiedDiff } from './unified-diff.js';

export const BACKUP_SUFFIX = '.kha-backup';

/** Where the hosts file's bytes live: the file itself, or the target of a symbolic link. */
interface HostsTarget {
  /** The file to read and replace. */
  file: string;
  /** Set when `path` is a symbolic link: the file behind it, written in its place. */
  linkTarget: string | undefined;
}

async function hostsTarget(path: string): Promise<HostsTarget> {
  const st = await fs.lstat(path);
  if (!st.isSymbolicLink()) return { file: path, linkTarget: undefined };
  let target: string;
  try {
    target = await fs.realpath(path);
  } catch (err) {
    throw new Error(
      `${path} is a symbolic link to ${resolve(dirname(path), await fs.readlink(path))}, which cannot be read (${(err as NodeJS.ErrnoException).code}); point it at a file or replace it with one`,
    );
  }
  if (!(await fs.stat(target)).isFile())
    throw new Error(`${path} is a symbolic link to ${target}, which is not a regular file`);
  try {
    await fs.access(dirname(target), fs.constants.W_OK);
  } catch (err) {
    throw new Error(
      `${path} is a symbolic link to ${target}, whose directory cannot be written (${(err as NodeJS.ErrnoException).code}); kha writes through links and will not replace one with a file: make ${target} writable or replace the link with a regular file`,
    );
  }
  return { file: target, linkTarget: target };
}

export interface HostsChange {
  changed: boolean;
  /** The file written in place of a symbolic link `path`, if it is one. */
  linkTarget: string | undefined;
}

/** Adds (or re-points) the entry; says whether the file changed and where it was written. */
export async function addHostsEntry(path: string, vip: string): Promise<HostsChange> {
  const target = await hostsTarget(path);
  const current = await fs.readFile(target.file);
  const next = withApiserverEntry(current, vip);
  if (next.equals(current)) return { changed: false, linkTarget: target.linkTarget };
  const backup = path + BACKUP_SUFFIX;
  // Kept once: a re-run (or a second join) must not overwrite the original with our own edit.
  if ((await readIfPresent(backup)) === undefined) {
    const { mode } = await fs.stat(target.file);
    await writeFileAtomically(backup, current, { mode: mode & 0o7777 });
  }
  await writeFileAtomically(target.file, next);
  return { changed: true, linkTarget: target.linkTarget };
}

export type HostsRemoval = 'restored' | 'entry removed' | 'unchanged';

/**
 * Takes the entry out: byte for byte the file from before join when nobody edited it since,
 * otherwise only our line goes. The backup is deleted only once it has been restored; when the
 * file was edited since join it stays, for the operator to compare.
 */
export async function removeHostsEntry(
  path: string,
  vip: string,
): Promise<{
  result: HostsRemoval;
  backupKept: string | undefined;
  linkTarget: string | undefined;
}> {
  const target = await hostsTarget(path);
  const current = await fs.readFile(target.file);
  const backup = path + BACKUP_SUFFIX;
  const original = await readIfPresent(backup);
  const { content, exact } = withoutApiserverEntry(current, original, vip);
  const changed = await writeFileAtomically(target.file, content);
  const restored = exact && changed;
  if (original !== undefined && (restored || content.equals(original)))
    await fs.rm(backup, { force: true });
  const backupKept =
    original !== undefined && !restored && !content.equals(original) ? backup : undefined;
  const result: HostsRemoval = !changed ? 'unchanged' : exact ? 'restored' : 'entry removed';
  return { result, backupKept, linkTarget: target.linkTarget };
}

// Bytes shown one char per byte, so the diff shows the file exactly, whatever its encoding.
const diffOf = (path: string, from: Buffer, to: Buffer) =>
  unifiedDiff(path, from.toString('latin1'), to.toString('latin1'));

/** The hosts entry `VIP apiserver.cluster.local`, as a step. */
export function hostsStep(deployment: Pick<Deployment, 'hostsFile' | 'care'>): Step {
  const path = deployment.hostsFile;
  const vip = deployment.care.vip.address;
  const linked = (target: string | undefined) =>
    target ? [`${path} is a symbolic link: written through to ${target}`] : [];
  return {
    name: 'hosts',
    title: `hosts file ${path}`,
    async plan() {
      const current = await fs.readFile(path);
      return diffOf(path, current, withApiserverEntry(current, vip));
    },
    async apply() {
      const { changed, linkTarget } = await addHostsEntry(path, vip);
      return [
        ...linked(linkTarget),
        changed
          ? `added "${entryLine(vip)}" (the file as it was kept once as ${path}${BACKUP_SUFFIX})`
          : 'entry already in place',
      ];
    },
    async undoPlan() {
      const current = await fs.readFile(path);
      const original = await readIfPresent(path + BACKUP_SUFFIX);
      const { content, exact } = withoutApiserverEntry(current, original, vip);
      const diff = diffOf(path, current, content);
      if (diff.length === 0) return [];
      return [
        exact
          ? 'the file comes back byte for byte as it was before kha'
          : 'only the entry goes: the file was edited since',
        ...diff,
      ];
    },
    async undo() {
      const r = await removeHostsEntry(path, vip);
      return [
        ...linked(r.linkTarget),
        {
          restored: 'restored as it was before kha',
          'entry removed': 'entry removed; edits made since kept',
          unchanged: 'no entry: nothing to do',
        }[r.result],
        ...(r.backupKept
          ? [`the copy from before kha is kept as ${r.backupKept}: compare, then delete it`]
          : []),
      ];
    },
  };
}
