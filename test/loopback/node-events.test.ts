// lvscare's Events on its Node against the stand-in API server on loopback, which authorizes as
// kube-apiserver's Node authorizer does and validates Events as the API does
// (test/support/kube-events.ts): created in `default` about the Node, a repeat patched onto the
// first, nothing waiting on an API that is down, and a full queue dropped and counted.
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, test } from 'node:test';
import {
  MAX_QUEUED_NODE_EVENTS,
  type NodeEventOutcome,
  NodeEvents,
  loadKubeconfig,
  nodeNameOfCertificate,
  systemClock,
} from '@kha/lvscare/parts';
import { type FakeApiserver, startRegistryApiserver } from '../support/apiserver.js';
import { storedEvents } from '../support/kube-events.js';
import { writeKubeconfig } from '../support/kubeconfig-file.js';
import { makePki } from '../support/pki.js';
import { publishMasters, setOutage } from '../support/registry.js';

const dir = mkdtempSync(join(tmpdir(), 'kha-node-events-'));
const pki = makePki(join(dir, 'pki'));
const registry = join(dir, 'registry.json');
const REGISTRY_SEEN_MS = 300;
let api: FakeApiserver;

before(async () => {
  publishMasters(registry, [{ ip: '10.0.0.11', port: 6443 }]);
  api = await startRegistryApiserver(pki, registry, 1000);
});
after(() => api.close());

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

function sink(name: string) {
  const client = pki.client(`system:node:${name}`, 'system:nodes');
  const conf = writeKubeconfig(dir, name, `https://127.0.0.1:${api.port}`, pki.caCert, client);
  const outcomes: Array<{ outcome: NodeEventOutcome; reason: string; why?: string }> = [];
  const nodeName = nodeNameOfCertificate(readFileSync(client.cert));
  assert.equal(nodeName, name);
  const events = new NodeEvents({
    nodeName,
    credentials: () => loadKubeconfig(conf),
    clock: systemClock,
    outcome: (outcome, note, why) =>
      outcomes.push({ outcome, reason: note.reason, ...(why ? { why } : {}) }),
  });
  return { events, outcomes };
}

async function until(check: () => boolean, what: string, ms = 15_000): Promise<void> {
  for (const end = Date.now() + ms; !check(); await sleep(25))
    if (Date.now() > end) assert.fail(`waited ${ms} ms for ${what}`);
}

test("the node's name comes from the kubelet's client certificate, and only from a node's", () => {
  const name = (cn: string, org: string) =>
    nodeNameOfCertificate(readFileSync(pki.client(cn, org).cert));
  assert.equal(name('system:node:worker-9', 'system:nodes'), 'worker-9');
  assert.equal(name('kubernetes-admin', 'system:masters'), undefined);
  assert.equal(nodeNameOfCertificate(Buffer.from('not a certificate')), undefined);
  assert.equal(nodeNameOfCertificate(undefined), undefined);
});

const ofNode = (name: string) =>
  storedEvents(registry).filter((e) => e.object.involvedObject?.name === name);

test('an Event on the Node, as the API keeps it; the same again is its count going up', async () => {
  const { events, outcomes } = sink('worker-1');
  const note = {
    type: 'Warning' as const,
    reason: 'APIServerOut',
    message: 'took 10.0.0.12:6443 out of 10.103.97.2:6443: connection refused',
  };
  events.record(note);
  await until(() => outcomes.length === 1, 'the first Event');
  assert.deepEqual(outcomes, [{ outcome: 'created', reason: 'APIServerOut' }]);
  events.record(note);
  events.record(note);
  await until(() => outcomes.length === 3, 'the repeats');
  assert.deepEqual(
    outcomes.map((o) => o.outcome),
    ['created', 'patched', 'patched'],
  );
  const stored = ofNode('worker-1');
  assert.equal(stored.length, 1, 'one Event, counted');
  const e = stored[0]!.object;
  assert.equal(stored[0]!.namespace, 'default');
  assert.equal(e.count, 3);
  assert.equal(e.reason, 'APIServerOut');
  assert.equal(e.type, 'Warning');
  assert.deepEqual(e.involvedObject, {
    apiVersion: 'v1',
    kind: 'Node',
    name: 'worker-1',
    uid: 'worker-1',
  });
  assert.equal(e.source?.host, 'worker-1');
  await events.stop();
});

test('an API that is down neither blocks record() nor keeps more than the queue; stop() ends it', async () => {
  const { events, outcomes } = sink('worker-2');
  setOutage(registry, true);
  await sleep(REGISTRY_SEEN_MS);
  try {
    const started = performance.now();
    for (let i = 0; i < MAX_QUEUED_NODE_EVENTS + 10; i++)
      events.record({ type: 'Warning', reason: 'APIServerOut', message: `master ${i}` });
    assert.ok(performance.now() - started < 200, 'record() returned at once');
    await until(
      () => outcomes.some((o) => o.outcome === 'failed'),
      'the first Event to fail',
      20_000,
    );
    const failed = outcomes.find((o) => o.outcome === 'failed')!;
    assert.match(failed.why ?? '', /HTTP 503/);
    // kubelet's spam filter passes a burst of 25; the first went straight to the sender, the
    // queue held MAX_QUEUED of the others, the rest of the burst found it full.
    const count = (o: NodeEventOutcome) => outcomes.filter((x) => x.outcome === o).length;
    assert.equal(count('throttled'), MAX_QUEUED_NODE_EVENTS + 10 - 25);
    assert.equal(count('queue-full'), 25 - 1 - MAX_QUEUED_NODE_EVENTS);
  } finally {
    setOutage(registry, false);
    await sleep(REGISTRY_SEEN_MS);
  }
  const stopping = performance.now();
  await events.stop();
  assert.ok(performance.now() - stopping < 6_000, 'stop() waits for at most the request in flight');
  assert.ok(ofNode('worker-2').length < MAX_QUEUED_NODE_EVENTS);
});
