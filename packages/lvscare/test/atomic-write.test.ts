import assert from 'node:assert/strict';
import {
  chmodSync,
  mkdtempSync,
  readdirSync,
  readFileSync,
  statSync,
  writeFileSync,
} from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import { writeFileAtomically } from '../src/files/atomic-write.js';

const dir = () => mkdtempSync(join(tmpdir(), 'kha-write-'));

test('replaces the content, keeps the mode, leaves no temp file', async () => {
  const d = dir();
  const f = join(d, 'hosts');
  writeFileSync(f, 'old\n');
  chmodSync(f, 0o640);
  assert.equal(await writeFileAtomically(f, 'new\n'), true);
  assert.equal(readFileSync(f, 'utf8'), 'new\n');
  assert.equal(statSync(f).mode & 0o777, 0o640);
  assert.deepEqual(readdirSync(d), ['hosts']);
});

test('same content: nothing written (idempotent, mtime untouched)', async () => {
  const d = dir();
  const f = join(d, 'kube-lvscare.yaml');
  await writeFileAtomically(f, 'a: 1\n', { mode: 0o600 });
  assert.equal(statSync(f).mode & 0o777, 0o600);
  const before = statSync(f).mtimeMs;
  assert.equal(await writeFileAtomically(f, 'a: 1\n'), false);
  assert.equal(statSync(f).mtimeMs, before);
});

test('an unwritable directory: the error surfaces and the target is untouched', async () => {
  const d = dir();
  const f = join(d, 'missing-dir', 'x.yaml');
  await assert.rejects(writeFileAtomically(f, 'x'), { code: 'ENOENT' });
});
