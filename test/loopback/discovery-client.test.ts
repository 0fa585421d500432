// lvscare's discovery client against the stand-in API server on loopback: list, watch events,
// bookmarks, re-list after 410 Gone, the fallback to Endpoints when EndpointSlices are forbidden,
// and a client certificate from another CA refused. No kernel needed.
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, test } from 'node:test';
import {
  type DiscoveryErrorReason,
  type Endpoint,
  MasterDiscovery,
  formatEndpoint,
  loadKubeconfig,
} from '@kha/lvscare';
import {
  type FakeApiserver,
  startFakeApiserver,
  startRegistryApiserver,
} from '../support/apiserver.js';
import { makePki } from '../support/pki.js';
import { compact, forbid, publishMasters } from '../support/registry.js';

const dir = mkdtempSync(join(tmpdir(), 'kha-discovery-'));
const pki = makePki(join(dir, 'pki'));
const other = makePki(join(dir, 'other'), 'other-ca');
const registry = join(dir, 'registry.json');
const BOOKMARK_MS = 200;
const TIMINGS = { requestTimeoutMs: 3000, watchSeconds: 3, minBackoffMs: 100, maxBackoffMs: 400 };
/** Generous: the machine is shared and may be slow; every wait ends as soon as its event comes. */
const WAIT_MS = 10_000;
let api: FakeApiserver;

before(async () => {
  publishMasters(registry, [
    { ip: '10.0.0.11', port: 6443 },
    { ip: '10.0.0.12', port: 6443 },
  ]);
  api = await startRegistryApiserver(pki, registry, BOOKMARK_MS);
});
after(() => api.close());

/** A kubelet.conf as kubeadm writes it: CA inline, client certificate and key in files. */
function kubeconfig(name: string, client: { cert: string; key: string }, ca = pki.caCert): string {
  const path = join(dir, `${name}.conf`);
  const caData = readFileSync(ca).toString('base64');
  writeFileSync(
    path,
    [
      'apiVersion: v1',
      'kind: Config',
      'clusters:',
      '- cluster:',
      `    certificate-authority-data: ${caData}`,
      `    server: https://127.0.0.1:${api.port}`,
      '  name: default-cluster',
      'contexts:',
      '- context:',
      '    cluster: default-cluster',
      '    namespace: default',
      '    user: default-auth',
      '  name: default-context',
      'current-context: default-context',
      'preferences: {}',
      'users:',
      '- name: default-auth',
      '  user:',
      `    client-certificate: ${client.cert}`,
      `    client-key: ${client.key}`,
      '',
    ].join('\n'),
  );
  return path;
}

class Recorder {
  answers: Array<{ masters: string[]; source: string }> = [];
  errors: Array<{ reason: DiscoveryErrorReason; message: string }> = [];
  notes: string[] = [];
  syncs = 0;
  private waiters: Array<() => void> = [];
  readonly listener = {
    answer: (masters: Endpoint[], source: string) => {
      this.answers.push({ masters: masters.map(formatEndpoint).sort(), source });
      this.poke();
    },
    synced: () => {
      this.syncs++;
      this.poke();
    },
    error: (reason: DiscoveryErrorReason, message: string) => {
      this.errors.push({ reason, message });
      this.poke();
    },
    note: (message: string) => {
      this.notes.push(message);
      this.poke();
    },
  };
  private poke(): void {
    for (const w of this.waiters) w();
  }
  /** Resolves once `check` holds, checked on every report; fails after WAIT_MS. */
  until(check: () => boolean, what: string): Promise<void> {
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => {
        this.waiters = this.waiters.filter((w) => w !== tick);
        reject(new Error(`not within ${WAIT_MS}ms: ${what}; ${JSON.stringify(this.summary())}`));
      }, WAIT_MS);
      const tick = (): void => {
        if (!check()) return;
        clearTimeout(timer);
        this.waiters = this.waiters.filter((w) => w !== tick);
        resolve();
      };
      this.waiters.push(tick);
      tick();
    });
  }
  last(): string[] | undefined {
    return this.answers.at(-1)?.masters;
  }
  summary() {
    return { answers: this.answers.slice(-3), errors: this.errors.slice(-3), notes: this.notes };
  }
}

function discovery(conf: string, rec: Recorder): MasterDiscovery {
  const d = new MasterDiscovery(() => loadKubeconfig(conf), rec.listener, TIMINGS);
  d.start();
  return d;
}

const node = () => pki.client('system:node:w1', 'system:nodes');

test('the kubelet kubeconfig is read as kubectl reads it', async () => {
  const conf = kubeconfig('kubelet', node());
  const creds = await loadKubeconfig(conf);
  assert.equal(creds.server.href, `https://127.0.0.1:${api.port}/`);
  assert.match(creds.ca!.toString(), /BEGIN CERTIFICATE/);
  assert.match(creds.cert!.toString(), /BEGIN CERTIFICATE/);
  assert.match(creds.key!.toString(), /PRIVATE KEY/);
  assert.equal(creds.insecureSkipVerify, false);
});

test('list, then watch events, then bookmarks: one list, every change reported', async () => {
  const rec = new Recorder();
  const listsBefore = api.apiStats!.lists.EndpointSlice;
  const d = discovery(kubeconfig('kubelet', node()), rec);
  try {
    await rec.until(() => rec.answers.length > 0, 'the first answer');
    assert.deepEqual(rec.answers[0], {
      masters: ['10.0.0.11:6443', '10.0.0.12:6443'],
      source: 'EndpointSlice',
    });
    publishMasters(registry, [
      { ip: '10.0.0.11', port: 6443 },
      { ip: '10.0.0.12', port: 6443 },
      { ip: '10.0.0.14', port: 6443 },
    ]);
    await rec.until(() => rec.last()?.length === 3, 'the fourth master reported');
    assert.deepEqual(rec.last(), ['10.0.0.11:6443', '10.0.0.12:6443', '10.0.0.14:6443']);
    publishMasters(registry, [
      { ip: '10.0.0.11', port: 6443 },
      { ip: '10.0.0.14', port: 6443, ready: false },
    ]);
    await rec.until(
      () => rec.last()?.length === 1,
      'a deregistered and a not-ready master left out',
    );
    // Bookmarks keep it in step with nothing changing: synced, no new answer, no new list.
    const answers = rec.answers.length;
    const syncs = rec.syncs;
    await rec.until(() => rec.syncs >= syncs + 3, 'three bookmarks');
    assert.equal(rec.answers.length, answers, 'a bookmark is not an answer');
    assert.equal(api.apiStats!.lists.EndpointSlice - listsBefore, 1, 'watched, never re-listed');
    assert.deepEqual(rec.errors, []);
  } finally {
    await d.stop();
  }
});

test('410 Gone: the history compacted under an open watch, it lists again and goes on', async () => {
  const rec = new Recorder();
  const d = discovery(kubeconfig('kubelet', node()), rec);
  try {
    await rec.until(() => rec.answers.length > 0, 'the first answer');
    const lists = api.apiStats!.lists.EndpointSlice;
    const gone = api.apiStats!.gone;
    compact(registry);
    await rec.until(() => api.apiStats!.lists.EndpointSlice > lists, 'a new list');
    assert.ok(api.apiStats!.gone > gone, 'the stand-in answered 410');
    assert.ok(rec.notes.some((n) => n.includes('410')));
    publishMasters(registry, [
      { ip: '10.0.0.11', port: 6443 },
      { ip: '10.0.0.13', port: 6443 },
    ]);
    await rec.until(
      () => rec.last()?.join() === '10.0.0.11:6443,10.0.0.13:6443',
      'a change after the re-list',
    );
    assert.deepEqual(rec.errors, [], '410 is routine, not an error');
  } finally {
    await d.stop();
  }
});

test('EndpointSlices forbidden: it follows the Endpoints instead', async () => {
  forbid(registry, ['EndpointSlice']);
  // The stand-in reads its registry file every 50 ms: let it see the switch before listing.
  await new Promise((r) => setTimeout(r, 300));
  const rec = new Recorder();
  const d = discovery(kubeconfig('kubelet', node()), rec);
  try {
    await rec.until(() => rec.answers.length > 0, 'an answer');
    assert.equal(rec.answers[0]!.source, 'Endpoints');
    assert.ok(rec.notes.some((n) => n.includes('Endpoints')));
    const before = rec.answers.length;
    publishMasters(registry, [
      { ip: '10.0.0.11', port: 6443 },
      { ip: '10.0.0.12', port: 6443 },
      { ip: '10.0.0.15', port: 6443 },
    ]);
    await rec.until(() => rec.answers.length > before && rec.last()?.length === 3, 'watched');
    assert.equal(rec.answers.at(-1)!.source, 'Endpoints');
    assert.deepEqual(rec.errors, []);
  } finally {
    await d.stop();
    forbid(registry, []);
  }
});

test('a client certificate from another CA is refused (401), reported, retried, never an answer', async () => {
  const rec = new Recorder();
  const d = discovery(kubeconfig('stranger', other.client('system:node:w9', 'system:nodes')), rec);
  try {
    await rec.until(() => rec.errors.length >= 2, 'two refusals');
    assert.equal(rec.errors[0]!.reason, 'unauthorized');
    assert.deepEqual(rec.answers, []);
  } finally {
    await d.stop();
  }
});

test('a server certificate the kubeconfig CA did not sign fails with "tls"', async () => {
  const rec = new Recorder();
  const d = discovery(kubeconfig('wrong-ca', node(), other.caCert), rec);
  try {
    await rec.until(() => rec.errors.length >= 1, 'an error');
    assert.equal(rec.errors[0]!.reason, 'tls');
    assert.deepEqual(rec.answers, []);
  } finally {
    await d.stop();
  }
});

test('an unreadable kubeconfig is a "credentials" error', async () => {
  const rec = new Recorder();
  const d = discovery(join(dir, 'absent.conf'), rec);
  try {
    await rec.until(() => rec.errors.length >= 1, 'an error');
    assert.equal(rec.errors[0]!.reason, 'credentials');
    assert.match(rec.errors[0]!.message, /absent\.conf/);
  } finally {
    await d.stop();
  }
});

test('the API server going away: "unreachable" errors, then the same view again when it is back', async () => {
  const registry2 = join(dir, 'registry2.json');
  publishMasters(registry2, [{ ip: '10.0.0.11', port: 6443 }]);
  const cert = pki.server('apiserver2', ['127.0.0.1']);
  let api2 = await startFakeApiserver({
    name: 'm2',
    host: '127.0.0.1',
    port: 0,
    ...cert,
    registryFile: registry2,
    clientCa: pki.caCert,
    bookmarkMs: BOOKMARK_MS,
  });
  const port = api2.port;
  const conf = kubeconfig('kubelet2', node());
  writeFileSync(conf, (await readFile(conf, 'utf8')).replace(`:${api.port}`, `:${port}`));
  const rec = new Recorder();
  const d = discovery(conf, rec);
  try {
    await rec.until(() => rec.answers.length > 0, 'the first answer');
    await api2.close();
    await rec.until(() => rec.errors.length >= 2, 'errors while it is away');
    assert.ok(rec.errors.every((e) => e.reason === 'unreachable' || e.reason === 'timeout'));
    const answers = rec.answers.length;
    publishMasters(registry2, [
      { ip: '10.0.0.11', port: 6443 },
      { ip: '10.0.0.12', port: 6443 },
    ]);
    api2 = await startFakeApiserver({
      name: 'm2',
      host: '127.0.0.1',
      port,
      ...cert,
      registryFile: registry2,
      clientCa: pki.caCert,
    });
    await rec.until(() => rec.answers.length > answers, 'a resync');
    assert.deepEqual(rec.last(), ['10.0.0.11:6443', '10.0.0.12:6443']);
  } finally {
    await d.stop();
    await api2.close();
  }
});
