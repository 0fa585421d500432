// The hosts entry on a real file system (a temp directory): backup once, byte-identical undo.
import assert from 'node:assert/strict';
import { chmodSync, existsSync, mkdtempSync, readFileSync, statSync, writeFileSync } from 'node:fs';
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
  assert.equal(await addHostsEntry(path, VIP), true);
  const joined = readFileSync(path, 'utf8');
  assert.ok(joined.includes(`${entryLine(VIP)}\n`));
  assert.ok(!joined.includes('10.0.0.5 apiserver.cluster.local'), 'the old entry is replaced');
  assert.equal(readFileSync(path + BACKUP_SUFFIX, 'utf8'), original);
  assert.equal(await addHostsEntry(path, VIP), false, 'a re-run changes nothing');
  assert.equal(await removeHostsEntry(path, VIP), 'restored');
  assert.equal(readFileSync(path, 'utf8'), original);
  assert.equal(statSync(path).mode & 0o777, 0o640);
  assert.equal(existsSync(path + BACKUP_SUFFIX), false);
  assert.equal(await removeHostsEntry(path, VIP), 'unchanged', 'a second reset changes nothing');
});

test('the backup is the file before kha first changed it, not after a second join', async () => {
  const path = hostsFile();
  await addHostsEntry(path, VIP);
  await addHostsEntry(path, '10.103.97.9');
  assert.equal(readFileSync(path + BACKUP_SUFFIX, 'utf8'), original);
  assert.equal(await removeHostsEntry(path, '10.103.97.9'), 'restored');
  assert.equal(readFileSync(path, 'utf8'), original);
});

test('an edit made after join survives reset; only our line goes', async () => {
  const path = hostsFile();
  await addHostsEntry(path, VIP);
  writeFileSync(path, `${readFileSync(path, 'utf8')}192.168.9.9 added-later\n`);
  assert.equal(await removeHostsEntry(path, VIP), 'entry removed');
  const after = readFileSync(path, 'utf8');
  assert.ok(after.includes('192.168.9.9 added-later'));
  assert.ok(!after.includes(entryLine(VIP)));
});
