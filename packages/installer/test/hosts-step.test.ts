// The hosts entry on a real file system (a temp directory): backup once, byte-identical undo.
import assert from 'node:assert/strict';
import {
  chmodSync,
  existsSync,
  lstatSync,
  mkdtempSync,
  readFileSync,
  statSync,
  symlinkSync,
  writeFileSync,
} from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import { entryLine } from '../src/hosts-file.js';
import { BACKUP_SUFFIX, addHostsEntry, removeHostsEntry } from '../src/hosts-step.js';

const VIP = '10.103.97.2';
const original =
  '127.0.0.1\tlocalhost\r\n# keep me  \n10.0.0.5 apiserver.cluster.local\n::1 ip6-localhost'; // no final newline

function hostsFile(content = original): string {
  const path = join(mkdtempSync(join(tmpdir(), 'kha-hosts-')), 'hosts');
  writeFileSync(path, content);
  chmodSync(path, 0o640);
  return path;
}

test('join then reset gives the file back byte for byte, mode kept, backup gone', async () => {
  const path = hostsFile();
  assert.equal((await addHostsEntry(path, VIP)).changed, true);
  const joined = readFileSync(path, 'utf8');
  assert.ok(joined.includes(`${entryLine(VIP)}\n`));
  assert.ok(!joined.includes('10.0.0.5 apiserver.cluster.local'), 'the old entry is replaced');
  assert.equal(readFileSync(path + BACKUP_SUFFIX, 'utf8'), original);
  assert.equal((await addHostsEntry(path, VIP)).changed, false, 'a re-run changes nothing');
  assert.equal((await removeHostsEntry(path, VIP)).result, 'restored');
  assert.equal(readFileSync(path, 'utf8'), original);
  assert.equal(statSync(path).mode & 0o777, 0o640);
  assert.equal(existsSync(path + BACKUP_SUFFIX), false);
  assert.equal(
    (await removeHostsEntry(path, VIP)).result,
    'unchanged',
    'a second reset changes nothing',
  );
});

test('the backup is the file before kha first changed it, not after a second join', async () => {
  const path = hostsFile();
  await addHostsEntry(path, VIP);
  await addHostsEntry(path, '10.103.97.9');
  assert.equal(readFileSync(path + BACKUP_SUFFIX, 'utf8'), original);
  assert.equal((await removeHostsEntry(path, '10.103.97.9')).result, 'restored');
  assert.equal(readFileSync(path, 'utf8'), original);
});

test('an edit made after join survives reset; only our line goes', async () => {
  const path = hostsFile();
  await addHostsEntry(path, VIP);
  writeFileSync(path, `${readFileSync(path, 'utf8')}192.168.9.9 added-later\n`);
  const removed = await removeHostsEntry(path, VIP);
  assert.equal(removed.result, 'entry removed');
  assert.equal(removed.backupKept, path + BACKUP_SUFFIX, 'not restored: the backup stays');
  assert.equal(readFileSync(path + BACKUP_SUFFIX, 'utf8'), original);
  const after = readFileSync(path, 'utf8');
  assert.ok(after.includes('192.168.9.9 added-later'));
  assert.ok(!after.includes(entryLine(VIP)));
});

test('bytes that are not UTF-8 survive join and reset, in the file and in its backup', async () => {
  const odd = Buffer.concat([
    Buffer.from('127.0.0.1 localhost\r10.0.0.5 db\n10.0.0.7 caf'),
    Buffer.from([0xe9, 0xff]),
    Buffer.from('\n'),
  ]);
  const path = hostsFile();
  writeFileSync(path, odd);
  await addHostsEntry(path, VIP);
  assert.deepEqual(readFileSync(path + BACKUP_SUFFIX), odd);
  assert.deepEqual(readFileSync(path).subarray(0, odd.length), odd);
  assert.equal((await removeHostsEntry(path, VIP)).result, 'restored');
  assert.deepEqual(readFileSync(path), odd);
});

test('a symlinked hosts file is written through to its target; the link stays a link', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'kha-hosts-link-'));
  const target = join(dir, 'real-hosts');
  writeFileSync(target, original);
  const link = join(dir, 'hosts');
  symlinkSync('real-hosts', link);
  const added = await addHostsEntry(link, VIP);
  assert.deepEqual(added, { changed: true, linkTarget: target });
  assert.ok(lstatSync(link).isSymbolicLink(), 'still a link');
  assert.ok(readFileSync(target, 'utf8').includes(entryLine(VIP)));
  const removed = await removeHostsEntry(link, VIP);
  assert.equal(removed.result, 'restored');
  assert.ok(lstatSync(link).isSymbolicLink());
  assert.equal(readFileSync(target, 'utf8'), original);
});

test('a symlinked hosts file whose target cannot be written is refused with a clear message', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'kha-hosts-link-'));
  const link = join(dir, 'hosts');
  symlinkSync(join(dir, 'missing'), link);
  await assert.rejects(
    addHostsEntry(link, VIP),
    /is a symbolic link to .*missing, which cannot be read/,
  );
  assert.ok(lstatSync(link).isSymbolicLink());
});
