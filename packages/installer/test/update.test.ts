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
  const flags = [
    '--manifest-dir',
    manifests,
    '--discover-state-file',
    state,
    '--state-dir',
    join(dir, 'kha'),
  ];
  mkdirSync(join(dir, 'kha'));
  const record = {
    vip: '10.103.97.2:6443',
    careArgs: ['--vs', '10.103.97.2:6443', '--rs', '192.168.0.2:6443'],
    hostsFile: '/etc/hosts',
    manifestPath: join(manifests, 'kube-lvscare.yaml'),
    modulesLoadDir: '/etc/modules-load.d',
    sysctlDir: '/etc/sysctl.d',
    kha: '0.1.0',
    at: 'then',
  };
  writeFileSync(
    join(dir, 'kha', 'state.json'),
    JSON.stringify({ version: 1, status: 'joined', joins: [record] }),
  );
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
  assert.deepEqual((JSON.parse(readFileSync(state, 'utf8')) as { masters: string[] }).masters, [
    '192.168.0.2:6443',
    '192.168.0.5:6443',
  ]);
  assert.deepEqual(readdirSync(manifests), ['kube-lvscare.yaml'], 'no temp file left');
  const khaState = JSON.parse(readFileSync(join(dir, 'kha', 'state.json'), 'utf8')) as {
    joins: Array<{ careArgs: string[] }>;
  };
  assert.deepEqual(
    khaState.joins[0]!.careArgs.filter((_, i, args) => args[i - 1] === '--rs'),
    ['192.168.0.2:6443', '192.168.0.5:6443'],
    "kha's join record names the new masters",
  );
  const otherVip = await kha([
    'update',
    '--master',
    '192.168.0.2',
    '--vip',
    '10.103.97.9',
    ...flags,
  ]);
  assert.equal(otherVip.status, 1);
  assert.match(otherVip.out, /joined with 10.103.97.2:6443, not 10.103.97.9:6443/);
  const again = await kha([
    'update',
    '--master',
    '192.168.0.2',
    '--master',
    '192.168.0.5',
    ...flags,
  ]);
  assert.equal(again.out.match(/already up to date/g)?.length, 3, again.out);
});

test('kha update on a node kha did not join changes nothing and says so; bad input is exit 2', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'kha-update-'));
  const r = await kha([
    'update',
    '--master',
    '192.168.0.2',
    '--manifest-dir',
    dir,
    '--state-dir',
    dir,
  ]);
  assert.equal(r.status, 1);
  assert.match(r.out, /not joined by kha/);
  assert.deepEqual(readdirSync(dir), []);
  const bad = await kha(['update', '--master', 'nope', '--manifest-dir', dir, '--state-dir', dir]);
  assert.equal(bad.status, 2);
});
