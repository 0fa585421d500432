// Every bound discovery puts on a hostile or broken API and on the files it reads: the size of an
// answer, the number of masters, error texts, watch lines, the files, the state file writer, and
// the request budget that keeps a worker at one request per period.
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import { type Endpoint, formatEndpoint, parseEndpoint } from '../src/config/endpoint.js';
import { mastersOfEndpoints, mastersOfSlice } from '../src/discovery/api-objects.js';
import { DiscoveryError, LineSplitter, statusError } from '../src/discovery/kube-api.js';
import { KubeconfigError, loadKubeconfig } from '../src/discovery/kubeconfig.js';
import {
  MAX_ERROR_TEXT,
  MAX_KUBECONFIG_BYTES,
  MAX_MASTERS,
  boundedText,
} from '../src/discovery/limits.js';
import { RequestBudget } from '../src/discovery/request-budget.js';
import type { Clock } from '../src/time/clock.js';
import { readMastersState, writeMastersState } from '../src/discovery/state-file.js';
import { FileRefused, readRegularFile } from '../src/files/bounded-read.js';

const dir = mkdtempSync(join(tmpdir(), 'kha-bounds-'));
const ip = (i: number): string => `10.${(i >> 16) & 255}.${(i >> 8) & 255}.${i & 255}`;

function sliceOf(addresses: string[]): unknown {
  return {
    metadata: { name: 'kubernetes', resourceVersion: '1' },
    addressType: 'IPv4',
    ports: [{ name: 'https', port: 6443 }],
    endpoints: addresses.map((a) => ({ addresses: [a], conditions: { ready: true } })),
  };
}

test('an answer of 125,000 addresses is a bad answer: cut at the first one past the limit', () => {
  const addresses = Array.from({ length: 125_000 }, (_, i) => ip(i + 1));
  const slice = mastersOfSlice(sliceOf(addresses));
  assert.equal(slice.overflow, true);
  assert.equal(slice.masters.length, MAX_MASTERS);
  const endpoints = mastersOfEndpoints({
    subsets: [{ addresses: addresses.map((a) => ({ ip: a })), ports: [{ port: 6443 }] }],
  });
  assert.equal(endpoints.overflow, true);
  assert.equal(endpoints.masters.length, MAX_MASTERS);
});

test('exactly the limit is a good answer; duplicates do not count towards it', () => {
  const limit = Array.from({ length: MAX_MASTERS }, (_, i) => ip(i + 1));
  assert.deepEqual(mastersOfSlice(sliceOf(limit)).overflow, false);
  const copies = Array.from({ length: 100_000 }, (_, i) => ip((i % 3) + 1));
  const r = mastersOfSlice(sliceOf(copies));
  assert.equal(r.overflow, false);
  assert.deepEqual(r.masters.map(formatEndpoint), [
    '10.0.0.1:6443',
    '10.0.0.2:6443',
    '10.0.0.3:6443',
  ]);
});

test('error texts from the API are cut after parsing: a 3 MB Status message stays a line', () => {
  const huge = `etcd says ${'x'.repeat(3 << 20)}`;
  const status = JSON.stringify({ kind: 'Status', code: 500, message: huge });
  const e = statusError(500, status);
  assert.ok(e.message.length < MAX_ERROR_TEXT + 64, `kept ${e.message.length} characters`);
  assert.match(e.message, /^HTTP 500: etcd says x+… \(\d+ characters in all\)$/);
  // Any DiscoveryError, wherever its text comes from (a watch's ERROR event, a socket).
  assert.ok(new DiscoveryError('status', huge).message.length < MAX_ERROR_TEXT + 64);
  assert.equal(boundedText('two\nlines\u0000and\tcontrol'), 'two lines and control');
  assert.equal(boundedText('short'), 'short');
});

test('watch lines: split across chunks, each byte scanned once, one past the limit refused', () => {
  const lines = new LineSplitter(64);
  assert.deepEqual(lines.push(Buffer.from('{"a"')), []);
  assert.deepEqual(lines.push(Buffer.from(':1}\n\n{"b":2}\n{"c"')), ['{"a":1}', '{"b":2}']);
  assert.deepEqual(lines.push(Buffer.from(':3}\n')), ['{"c":3}']);
  const long = new LineSplitter(64);
  long.push(Buffer.alloc(40, 'x'));
  assert.throws(
    () => long.push(Buffer.alloc(40, 'x')),
    (e: Error) => e instanceof DiscoveryError && e.reason === 'bad-answer',
  );
});

test('files: only a regular file of bounded size is read; links are followed', () => {
  const file = join(dir, 'file');
  writeFileSync(file, 'abc');
  assert.equal(readRegularFile(file, 3).toString(), 'abc');
  symlinkSync(file, join(dir, 'link'));
  assert.equal(readRegularFile(join(dir, 'link'), 3).toString(), 'abc');
  const refused = (path: string, max: number, why: RegExp) =>
    assert.throws(
      () => readRegularFile(path, max),
      (e: Error) => e instanceof FileRefused && why.test(e.why),
    );
  refused(file, 2, /3 bytes, more than the 2 allowed/);
  refused(dir, 10, /not a regular file/);
  refused('/dev/zero', 10, /not a regular file/);
  const fifo = join(dir, 'fifo');
  execFileSync('mkfifo', [fifo]);
  refused(fifo, 10, /not a regular file/); // and returned at once: O_NONBLOCK, no writer needed
  refused(join(dir, 'absent'), 10, /cannot be read \(ENOENT\)/);
});

test('kubeconfig: too large refused before parsing; a certificate that is a FIFO is named', async () => {
  const big = join(dir, 'big.conf');
  writeFileSync(big, `# ${'x'.repeat(MAX_KUBECONFIG_BYTES)}\n`);
  await assert.rejects(loadKubeconfig(big), (e: Error) => {
    assert.ok(e instanceof KubeconfigError);
    assert.match(e.message, /more than the \d+ allowed/);
    return true;
  });
  const fifo = join(dir, 'cert-fifo');
  execFileSync('mkfifo', [fifo]);
  const conf = join(dir, 'fifo.conf');
  writeFileSync(
    conf,
    [
      'clusters: [{name: c, cluster: {server: "https://10.0.0.1:6443"}}]',
      'contexts: [{name: x, context: {cluster: c, user: u}}]',
      'current-context: x',
      `users: [{name: u, user: {client-certificate: ${fifo}}}]`,
    ].join('\n'),
  );
  await assert.rejects(loadKubeconfig(conf), /client-certificate .*cert-fifo: not a regular file/);
});

test('the state file writer refuses what its reader would refuse, so a restart can use it', async () => {
  const path = join(dir, 'state', 'masters.json');
  mkdirSync(join(dir, 'state'));
  const many: Endpoint[] = Array.from({ length: MAX_MASTERS + 1 }, (_, i) =>
    parseEndpoint(`${ip(i + 1)}:6443`)!,
  );
  await assert.rejects(writeMastersState(path, many), /more than 64 masters/);
  await assert.rejects(
    writeMastersState(path, [parseEndpoint('10.0.0.1:6443')!, parseEndpoint('[fd00::1]:6443')!]),
    /both address families/,
  );
  assert.equal(await writeMastersState(path, many.slice(0, MAX_MASTERS)), true);
  const back = readMastersState(path, 'inet');
  assert.ok('masters' in back && back.masters.length === MAX_MASTERS, 'the limit reads back');
});

/** Time that jumps to the end of every wait at once. */
class FakeClock implements Clock {
  t = 0;
  slept: number[] = [];
  now = (): number => this.t;
  wallNow = (): number => this.t;
  after = (ms: number, fn: () => void): (() => void) => {
    this.slept.push(ms);
    this.t += ms;
    queueMicrotask(fn);
    return () => {};
  };
}

test('the request budget: a burst, then one request per period however fast they are asked for', async () => {
  const clock = new FakeClock();
  const budget = new RequestBudget(60_000, 3, clock);
  const signal = new AbortController().signal;
  const at: number[] = [];
  for (let i = 0; i < 8; i++) {
    await budget.take(signal);
    at.push(clock.t);
  }
  assert.deepEqual(at, [0, 0, 0, 60_000, 120_000, 180_000, 240_000, 300_000]);
  // Spent at the pace it refills (a watch renewed each period): never waits.
  clock.slept = [];
  clock.t += 3 * 60_000;
  for (let i = 0; i < 10; i++) {
    clock.t += 60_000;
    await budget.take(signal);
  }
  assert.deepEqual(clock.slept, []);
});
