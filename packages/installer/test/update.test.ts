// kha update: the manifest and lvscare's state file rewritten for a new list of masters.
import assert from 'node:assert/strict';
import { mkdirSync, mkdtempSync, readFileSync, readdirSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import { main } from '../src/cli.js';

async function kha(argv: string[]): Promise<{ status: number; out: string; err: string }> {
  let out = '';
  let err = '';
  const sink = (f: (s: string) => void) =>
    ({ write: (s: string) => (f(s), true) }) as unknown as NodeJS.WritableStream;
  const status = await main(
    argv,
    sink((s) => (out += s)),
    sink((s) => (err += s)),
  );
  return { status, out, err };
}

test('kha update rewrites the manifest as kha manifest prints it, and the state file, once', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'kha-update-'));
  const manifests = join(dir, 'manifests');
  const state = join(dir, 'lvscare', 'masters.json');
  mkdirSync(manifests);
  mkdirSync(join(dir, 'lvscare'));
  const flags = ['--manifest-dir', manifests, '--discover-state-file', state];
  const old = await kha([
    'manifest',
    '--master',
    '192.168.0.2-192.168.0.4',
    '--discover-state-file',
    state,
  ]);
  writeFileSync(join(manifests, 'kube-lvscare.yaml'), old.out);
  writeFileSync(
    state,
    JSON.stringify({ version: 1, masters: ['192.168.0.9:6443'], updatedAt: 'x' }),
  );
  const r = await kha(['update', '--master', '192.168.0.2', '--master', '192.168.0.5', ...flags]);
  assert.equal(r.status, 0, r.err);
  const wanted = await kha([
    'manifest',
    '--master',
    '192.168.0.2',
    '--master',
    '192.168.0.5',
    '--discover-state-file',
    state,
  ]);
  assert.equal(readFileSync(join(manifests, 'kube-lvscare.yaml'), 'utf8'), wanted.out);
  assert.deepEqual(JSON.parse(readFileSync(state, 'utf8')).masters, [
    '192.168.0.2:6443',
    '192.168.0.5:6443',
  ]);
  assert.deepEqual(readdirSync(manifests), ['kube-lvscare.yaml'], 'no temp file left');
  const again = await kha([
    'update',
    '--master',
    '192.168.0.2',
    '--master',
    '192.168.0.5',
    ...flags,
  ]);
  assert.match(again.out, /already up to date[\s\S]*already up to date/);
});

test('kha update on a node kha did not join changes nothing and says so; bad input is exit 2', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'kha-update-'));
  const r = await kha(['update', '--master', '192.168.0.2', '--manifest-dir', dir]);
  assert.equal(r.status, 1);
  assert.match(r.out, /not joined by kha/);
  assert.deepEqual(readdirSync(dir), []);
  const bad = await kha(['update', '--master', 'nope', '--manifest-dir', dir]);
  assert.equal(bad.status, 2);
});
