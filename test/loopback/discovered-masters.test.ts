// DiscoveredMasters against the stand-in API server: it starts from a good state file and
// ignores a bad one, takes answers under the admission rules, remembers them atomically, and
// keeps failures out of the membership while showing them (trouble, events). No kernel needed.
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, test } from 'node:test';
import { formatEndpoint, parseCidr, parseEndpoint } from '@kha/lvscare';
import { DiscoveredMasters, type DiscoveryEvent, type Membership } from '@kha/lvscare/parts';
import { type FakeApiserver, startRegistryApiserver } from '../support/apiserver.js';
import { writeNodeKubeconfig } from '../support/kubeconfig-file.js';
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
  kubeconfig = writeNodeKubeconfig(
    join(dir, 'kubelet.conf'),
    `https://127.0.0.1:${api.port}`,
    pki.caCert,
    client,
  );
});
after(() => api.close());

function harness(stateFile: string, cidr?: string) {
  const events: DiscoveryEvent[] = [];
  const of = <T extends DiscoveryEvent['type']>(type: T) =>
    events.filter((e): e is Extract<DiscoveryEvent, { type: T }> => e.type === type);
  const failed = (reason: string): number =>
    of('discovery-failed').filter((e) => e.reason === reason).length;
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
      events: { emit: (event) => events.push(event) },
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
  return { d, events, of, failed, changes, until, discovered };
}

test('a good state file is the start; answers then change the membership and are remembered', async () => {
  const state = join(dir, 'good.json');
  writeFileSync(state, JSON.stringify({ version: 1, masters: ['10.0.0.13:6443'], updatedAt: 'x' }));
  const h = harness(state);
  await h.d.start();
  try {
    assert.equal(
      h.of('discovery-resumed')[0]?.masters.map(formatEndpoint).join(),
      '10.0.0.13:6443',
    );
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
    assert.equal(h.of('discovery-answered').at(-1)?.count, 2);
    assert.ok(h.of('discovery-synced').length > 0, 'in step with the API');
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
    assert.match(h.of('discovery-state-unused')[0]?.problem ?? '', /not an IP:PORT/);
    await h.until(() => h.discovered().join() === '10.0.0.12:6443', 'the admitted view');
    // An answer from before the publish may come first: wait for the one that lists all three.
    await h.until(() => h.of('discovery-ignored').length > 0, 'the address outside the CIDR');
    assert.deepEqual(h.of('discovery-ignored')[0]?.ignored.byWhy, { 'outside-cidr': 1 });
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
    assert.ok(h.failed('status') > 0, 'the 503s reported as "status"');
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

test('more masters than the limit: a bad answer, reported, the set kept', async () => {
  const h = await settled('flood.json');
  try {
    const before = h.d.membership;
    publishMasters(registry, flooded(1000));
    await h.until(() => h.failed('too-many-masters') >= 3, 'three bad answers');
    assert.equal(h.d.membership, before, 'the masters known so far are kept');
    assert.match(h.d.trouble()!, /too-many-masters.*more than 64 masters/);
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
    await h.until(() => h.failed('bad-answer') >= 1, 'a bad answer');
    assert.match(h.d.trouble()!, /larger than \d+ bytes/);
    assert.equal(h.d.membership, before);
  } finally {
    await h.d.stop();
    publishMasters(registry, [{ ip: '10.0.0.11', port: 6443 }]);
  }
});

test('the path in use is reported once, not at every poll', async () => {
  const h = await settled('path.json');
  try {
    await h.until(() => h.of('discovery-path').at(-1)?.path === 'poll', 'the poll path');
    await new Promise((r) => setTimeout(r, 4 * TIMINGS.periodMs));
    const polling = h.of('discovery-path').filter((e) => e.path === 'poll');
    assert.equal(polling.length, 1, 'said once, not at every poll');
    assert.deepEqual(h.of('discovery-failed'), [], 'no failure on a cluster working as designed');
  } finally {
    await h.d.stop();
  }
});
