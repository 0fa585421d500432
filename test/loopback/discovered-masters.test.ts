// DiscoveredMasters against the stand-in API server: it starts from a good state file and
// ignores a bad one, takes answers under the admission rules, remembers them atomically, and
// keeps failures out of the membership while showing them (trouble, metrics). No kernel needed.
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Writable } from 'node:stream';
import { after, before, test } from 'node:test';
import {
  DiscoveredMasters,
  type DiscoveryCounters,
  type Membership,
  formatEndpoint,
  parseCidr,
  parseEndpoint,
} from '@kha/lvscare';
import pino from 'pino';
import { type FakeApiserver, startRegistryApiserver } from '../support/apiserver.js';
import { makePki } from '../support/pki.js';
import { floodAddress, publishMasters, setOutage } from '../support/registry.js';

const dir = mkdtempSync(join(tmpdir(), 'kha-discovered-'));
const pki = makePki(join(dir, 'pki'));
const registry = join(dir, 'registry.json');
const WAIT_MS = 10_000;
const TIMINGS = {
  requestTimeoutMs: 3000,
  periodMs: 500,
  burst: 3,
  minBackoffMs: 100,
  maxBackoffMs: 400,
  retryWatchMs: 60_000,
  answerGapMs: 50,
};
const vip = parseEndpoint('10.103.97.2:6443')!;
const seed = [parseEndpoint('10.0.0.11:6443')!];
let api: FakeApiserver;
let kubeconfig: string;

before(async () => {
  publishMasters(registry, [
    { ip: '10.0.0.11', port: 6443 },
    { ip: '10.0.0.12', port: 6443 },
  ]);
  api = await startRegistryApiserver(pki, registry, 300);
  const client = pki.client('system:node:w1', 'system:nodes');
  kubeconfig = join(dir, 'kubelet.conf');
  writeFileSync(
    kubeconfig,
    `clusters:
- name: c
  cluster: {server: "https://127.0.0.1:${api.port}", certificate-authority: ${pki.caCert}}
contexts:
- name: x
  context: {cluster: c, user: u}
current-context: x
users:
- name: u
  user: {client-certificate: ${client.cert}, client-key: ${client.key}}
`,
  );
});
after(() => api.close());

function harness(stateFile: string, cidr?: string) {
  const lines: Array<Record<string, unknown>> = [];
  const logger = pino(
    { level: 'debug' },
    new Writable({
      write(chunk: Buffer, _e, done) {
        for (const l of chunk.toString().split('\n'))
          if (l) lines.push(JSON.parse(l) as Record<string, unknown>);
        done();
      },
    }),
  );
  const counted = {
    discovered: -1,
    failed: {} as Record<string, number>,
    lastSync: 0,
    path: '' as string,
  };
  const counters: DiscoveryCounters = {
    discovered: (n) => (counted.discovered = n),
    failed: (reason) => (counted.failed[reason] = (counted.failed[reason] ?? 0) + 1),
    synced: (ms) => (counted.lastSync = ms),
    path: (p) => (counted.path = p),
  };
  const changes: Membership[] = [];
  const waiters = new Set<() => void>();
  const d = new DiscoveredMasters(
    vip,
    seed,
    {
      kubeconfig,
      cidr: cidr ? parseCidr(cidr) : undefined,
      stateFile,
      timings: TIMINGS,
    },
    {
      logger,
      metrics: counters,
      onChange: (m) => {
        changes.push(m);
        for (const w of waiters) w();
      },
    },
  );
  const until = (check: () => boolean, what: string): Promise<void> =>
    new Promise((resolve, reject) => {
      const end = Date.now() + WAIT_MS;
      const tick = (): void => {
        if (check()) return resolve();
        if (Date.now() > end) return reject(new Error(`not within ${WAIT_MS}ms: ${what}`));
        setTimeout(tick, 50);
      };
      tick();
    });
  const discovered = () => d.membership.discovered.map(formatEndpoint).sort();
  return { d, lines, changes, until, discovered, counted };
}

test('a good state file is the start; answers then change the membership and are remembered', async () => {
  const state = join(dir, 'good.json');
  writeFileSync(state, JSON.stringify({ version: 1, masters: ['10.0.0.13:6443'], updatedAt: 'x' }));
  const h = harness(state);
  await h.d.start();
  try {
    assert.ok(h.lines.some((l) => l.msg === 'starting from the masters last discovered'));
    await h.until(() => h.discovered().join() === '10.0.0.12:6443', 'the API view');
    assert.deepEqual(
      h.d.membership.retiring.map(formatEndpoint),
      ['10.0.0.13:6443'],
      'the remembered master no longer listed is retired, not cut',
    );
    await h.until(
      () =>
        (JSON.parse(readFileSync(state, 'utf8')) as { masters: string[] }).masters.join() ===
        '10.0.0.11:6443,10.0.0.12:6443',
      'the state file rewritten',
    );
    assert.equal(h.counted.discovered, 2);
    assert.ok(h.counted.lastSync > Date.now() - 60_000, 'a recent sync time');
  } finally {
    await h.d.stop();
  }
});

test('a bad state file is ignored with its reason; --discover-cidr keeps others out', async () => {
  const state = join(dir, 'bad.json');
  writeFileSync(state, '{"version":1,"masters":["not-an-address"]}');
  publishMasters(registry, [
    { ip: '10.0.0.11', port: 6443 },
    { ip: '10.0.0.12', port: 6443 },
    { ip: '192.168.7.7', port: 6443 },
  ]);
  const h = harness(state, '10.0.0.0/24');
  await h.d.start();
  try {
    const ignored = h.lines.find((l) => l.msg === 'state file not used: starting from --rs alone');
    assert.match(String(ignored?.problem), /not an IP:PORT/);
    await h.until(() => h.discovered().join() === '10.0.0.12:6443', 'the admitted view');
    // The stand-in may still have served the registration as the test before left it (it reads
    // its file every 50 ms): the view above does not prove the new one was answered yet.
    await h.until(
      () => h.lines.some((l) => l.msg === 'discovered addresses ignored'),
      'the address outside the CIDR answered and ignored',
    );
    const ignoredLines = h.lines.filter((l) => l.msg === 'discovered addresses ignored');
    assert.deepEqual(ignoredLines[0]?.byWhy, { 'outside-cidr': 1 });
    assert.equal(ignoredLines.length, 1, 'the same ignored set, polled again, is not logged again');
  } finally {
    await h.d.stop();
  }
});

test('an outage and an empty view change nothing, are counted and shown as trouble', async () => {
  publishMasters(registry, [
    { ip: '10.0.0.11', port: 6443 },
    { ip: '10.0.0.12', port: 6443 },
  ]);
  const h = harness(join(dir, 'outage.json'));
  await h.d.start();
  try {
    await h.until(() => h.discovered().length === 1, 'the first view');
    const before = h.d.membership;
    setOutage(registry, true);
    await h.until(() => h.d.trouble() !== undefined, 'trouble reported');
    assert.match(h.d.trouble()!, /discovery failing for \d+s: status/);
    assert.equal(h.d.membership, before);
    assert.ok((h.counted.failed.status ?? 0) > 0, 'the 503s counted as "status"');
    setOutage(registry, false);
    await h.until(() => h.d.trouble() === undefined, 'recovered');
    publishMasters(registry, []);
    await h.until(() => /empty-answer/.test(h.d.trouble() ?? ''), 'an empty view reported');
    assert.equal(h.d.membership, before, 'an empty view changes nothing');
  } finally {
    await h.d.stop();
  }
});

/** A harness in step with two registered masters (one of them the seed). */
async function settled(stateName: string) {
  publishMasters(registry, [
    { ip: '10.0.0.11', port: 6443 },
    { ip: '10.0.0.12', port: 6443 },
  ]);
  const h = harness(join(dir, stateName));
  await h.d.start();
  await h.until(() => h.discovered().join() === '10.0.0.12:6443', 'the first view');
  return h;
}

const flooded = (n: number) =>
  Array.from({ length: n }, (_, i) => ({ ip: floodAddress(i), port: 6443 }));

test('more masters than the limit: a bad answer, counted and logged once, the set kept', async () => {
  const h = await settled('flood.json');
  try {
    const before = h.d.membership;
    publishMasters(registry, flooded(1000));
    await h.until(() => (h.counted.failed['too-many-masters'] ?? 0) >= 3, 'three bad answers');
    assert.equal(h.d.membership, before, 'the masters known so far are kept');
    assert.match(h.d.trouble()!, /too-many-masters.*more than 64 masters/);
    const logged = h.lines.filter((l) => l.reason === 'too-many-masters');
    assert.equal(logged.length, 1, 'logged once, then counted');
    assert.equal(
      (JSON.parse(readFileSync(join(dir, 'flood.json'), 'utf8')) as { masters: string[] }).masters
        .length,
      2,
      'the state file is not touched by a bad answer',
    );
  } finally {
    await h.d.stop();
  }
});

test('an answer larger than the bound is refused unread: a bad answer, the set kept', async () => {
  const h = await settled('huge.json');
  try {
    const before = h.d.membership;
    // 125,000 addresses: megabytes of JSON, far past what discovery reads of one answer.
    publishMasters(registry, flooded(125_000));
    await h.until(() => (h.counted.failed['bad-answer'] ?? 0) >= 1, 'a bad answer');
    assert.match(h.d.trouble()!, /larger than \d+ bytes/);
    assert.equal(h.d.membership, before);
  } finally {
    await h.d.stop();
    publishMasters(registry, [{ ip: '10.0.0.11', port: 6443 }]);
  }
});

test('the path in use is reported once, for the metric and one log line', async () => {
  const h = await settled('path.json');
  try {
    await h.until(() => h.counted.path === 'poll', 'the poll path');
    await new Promise((r) => setTimeout(r, 4 * TIMINGS.periodMs));
    const lines = h.lines.filter(
      (l) => l.level === 30 && l.path === 'poll' && /polling/.test(String(l.msg)),
    );
    assert.equal(lines.length, 1, 'said once, not at every poll');
    assert.ok(
      !h.lines.some((l) => Number(l.level) >= 40),
      'no warning on a cluster working as designed',
    );
  } finally {
    await h.d.stop();
  }
});
