// lvscare's discovery client against the stand-in API server on loopback, which authenticates and
// authorizes as a kubeadm cluster does (test/support/api-authz.ts): with a kubelet's own rights it
// polls endpoints/kubernetes; with kha's RBAC grant it lists and watches the kubernetes
// EndpointSlice (events, bookmarks, re-list after 410); it moves between the two without an error;
// it carries on through a client certificate rotation; it stays within its request budget; and
// refusals it cannot work around (another CA, no identity) are errors. No kernel needed.
import assert from 'node:assert/strict';
import {
  mkdirSync,
  mkdtempSync,
  readFileSync,
  renameSync,
  symlinkSync,
  writeFileSync,
} from 'node:fs';
import { readFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, test } from 'node:test';
import { formatEndpoint } from '@kha/lvscare';
import {
  type DiscoveryErrorReason,
  type DiscoveryPath,
  MAX_CHANGES_PER_WATCH,
  MasterDiscovery,
  type Registration,
  loadKubeconfig,
} from '@kha/lvscare/parts';
import {
  type FakeApiserver,
  startFakeApiserver,
  startRegistryApiserver,
} from '../support/apiserver.js';
import { writeKubeconfig } from '../support/kubeconfig-file.js';
import { makePki } from '../support/pki.js';
import { compact, flood, grantDiscovery, publishMasters, stopFlood } from '../support/registry.js';

const dir = mkdtempSync(join(tmpdir(), 'kha-discovery-'));
const pki = makePki(join(dir, 'pki'));
const other = makePki(join(dir, 'other'), 'other-ca');
const registry = join(dir, 'registry.json');
const BOOKMARK_MS = 200;
const TIMINGS = {
  requestTimeoutMs: 3000,
  periodMs: 1000,
  burst: 3,
  minBackoffMs: 100,
  maxBackoffMs: 400,
  retryWatchMs: 3000,
  answerGapMs: 50,
};
/** Generous: the machine is shared and may be slow; every wait ends as soon as its event comes. */
const WAIT_MS = 15_000;
/** The stand-in reads its registry file every 50 ms: what a test changes there is seen by then. */
const REGISTRY_SEEN_MS = 300;
let api: FakeApiserver;

before(async () => {
  publishMasters(registry, [
    { ip: '10.0.0.11', port: 6443 },
    { ip: '10.0.0.12', port: 6443 },
  ]);
  api = await startRegistryApiserver(pki, registry, BOOKMARK_MS);
});
after(() => api.close());

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

async function withGrant<T>(on: boolean, body: () => Promise<T>): Promise<T> {
  grantDiscovery(registry, on);
  await sleep(REGISTRY_SEEN_MS);
  try {
    return await body();
  } finally {
    grantDiscovery(registry, false);
    await sleep(REGISTRY_SEEN_MS);
  }
}

/** A kubelet.conf as kubeadm writes it, for the stand-in on loopback. */
const kubeconfig = (
  name: string,
  client: { cert: string; key: string } | undefined,
  ca = pki.caCert,
): string => writeKubeconfig(dir, name, `https://127.0.0.1:${api.port}`, ca, client);

class Recorder {
  answers: Array<{ masters: string[]; overflow: boolean; path: DiscoveryPath }> = [];
  errors: Array<{ reason: DiscoveryErrorReason; message: string }> = [];
  notes: string[] = [];
  syncs: DiscoveryPath[] = [];
  private waiters: Array<() => void> = [];
  readonly listener = {
    answer: (r: Registration, path: DiscoveryPath) => {
      this.answers.push({
        masters: r.masters.map(formatEndpoint).sort(),
        overflow: r.overflow,
        path,
      });
      this.poke();
    },
    synced: (path: DiscoveryPath) => {
      this.syncs.push(path);
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
const stats = () => structuredClone(api.apiStats!);

test('the kubelet kubeconfig is read as kubectl reads it', async () => {
  const conf = kubeconfig('kubelet', node());
  const creds = await loadKubeconfig(conf);
  assert.equal(creds.server.href, `https://127.0.0.1:${api.port}/`);
  assert.match(creds.ca!.toString(), /BEGIN CERTIFICATE/);
  assert.match(creds.cert!.toString(), /BEGIN CERTIFICATE/);
  assert.match(creds.key!.toString(), /PRIVATE KEY/);
  assert.equal(creds.insecureSkipVerify, false);
});

test("a kubelet's own rights: one refused list, then endpoints/kubernetes polled, no error", async () => {
  const rec = new Recorder();
  const before = stats();
  const d = discovery(kubeconfig('kubelet', node()), rec);
  try {
    await rec.until(() => rec.answers.length > 0, 'the first answer');
    assert.deepEqual(rec.answers[0], {
      masters: ['10.0.0.11:6443', '10.0.0.12:6443'],
      overflow: false,
      path: 'poll',
    });
    publishMasters(registry, [
      { ip: '10.0.0.11', port: 6443 },
      { ip: '10.0.0.12', port: 6443 },
      { ip: '10.0.0.14', port: 6443 },
    ]);
    await rec.until(() => rec.last()?.length === 3, 'the fourth master seen by a later poll');
    publishMasters(registry, [
      { ip: '10.0.0.11', port: 6443 },
      { ip: '10.0.0.14', port: 6443, ready: false },
    ]);
    await rec.until(() => rec.last()?.length === 1, 'a not-ready master left out');
    const after = stats();
    assert.equal(after.forbidden - before.forbidden, 1, 'the list, refused once, never again');
    assert.equal(after.lists.EndpointSlice - before.lists.EndpointSlice, 0);
    assert.ok(after.gets.Endpoints - before.gets.Endpoints >= 2, 'polled');
    assert.deepEqual(rec.errors, [], 'a kubelet without the grant is working as designed');
    assert.ok(rec.syncs.every((p) => p === 'poll'));
  } finally {
    await d.stop();
  }
});

test('with the RBAC grant: list, watch events, bookmarks; one list, every change reported', async () => {
  await withGrant(true, async () => {
    const rec = new Recorder();
    const before = stats();
    const d = discovery(kubeconfig('kubelet', node()), rec);
    try {
      await rec.until(() => rec.answers.length > 0, 'the first answer');
      assert.equal(rec.answers[0]!.path, 'watch');
      publishMasters(registry, [
        { ip: '10.0.0.11', port: 6443 },
        { ip: '10.0.0.12', port: 6443 },
        { ip: '10.0.0.14', port: 6443 },
      ]);
      await rec.until(() => rec.last()?.length === 3, 'the fourth master reported');
      assert.deepEqual(rec.last(), ['10.0.0.11:6443', '10.0.0.12:6443', '10.0.0.14:6443']);
      // Bookmarks and renewed watches keep it in step with nothing changing: no new answer.
      const answers = rec.answers.length;
      const syncs = rec.syncs.length;
      await rec.until(() => rec.syncs.length >= syncs + 3, 'three bookmarks');
      assert.equal(rec.answers.length, answers, 'a bookmark is not an answer');
      const after = stats();
      assert.equal(after.lists.EndpointSlice - before.lists.EndpointSlice, 1, 'never re-listed');
      assert.equal(after.forbidden - before.forbidden, 0);
      assert.equal(after.gets.Endpoints - before.gets.Endpoints, 0, 'no poll while watching');
      assert.deepEqual(rec.errors, []);
    } finally {
      await d.stop();
    }
  });
});

test('410 Gone: the history compacted under an open watch, it lists again and goes on', async () => {
  await withGrant(true, async () => {
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
});

test('the grant removed while watching: polling at the next renewal; applied again: watching', async () => {
  grantDiscovery(registry, true);
  await sleep(REGISTRY_SEEN_MS);
  const rec = new Recorder();
  const d = discovery(kubeconfig('kubelet', node()), rec);
  try {
    await rec.until(() => rec.syncs.includes('watch'), 'watching');
    grantDiscovery(registry, false);
    await rec.until(() => rec.syncs.at(-1) === 'poll', 'polling once the watch is refused');
    publishMasters(registry, [{ ip: '10.0.0.16', port: 6443 }]);
    await rec.until(() => rec.last()?.join() === '10.0.0.16:6443', 'a change seen by a poll');
    grantDiscovery(registry, true);
    await rec.until(() => rec.syncs.at(-1) === 'watch', 'watching again (retryWatchMs)');
    publishMasters(registry, [{ ip: '10.0.0.17', port: 6443 }]);
    await rec.until(() => rec.last()?.join() === '10.0.0.17:6443', 'a change seen by the watch');
    assert.deepEqual(rec.errors, [], 'neither switch is an error');
  } finally {
    await d.stop();
    grantDiscovery(registry, false);
    await sleep(REGISTRY_SEEN_MS);
  }
});

test('on either path, no more requests than one per period and the burst, however the server answers', async () => {
  for (const grant of [false, true]) {
    await withGrant(grant, async () => {
      const rec = new Recorder();
      const user = 'system:node:budget';
      const before = api.apiStats!.byUser[user] ?? 0;
      const started = performance.now();
      const d = discovery(kubeconfig('budget', pki.client(user, 'system:nodes')), rec);
      try {
        await sleep(5 * TIMINGS.periodMs);
        // A server ending every watch at once would be answered no faster either: the budget.
        compact(registry);
      } finally {
        await d.stop();
      }
      const requests = (api.apiStats!.byUser[user] ?? 0) - before;
      const periods = (performance.now() - started) / TIMINGS.periodMs;
      assert.ok(requests > 0, 'it asked');
      assert.ok(
        requests <= Math.ceil(periods) + TIMINGS.burst,
        `${requests} requests in ${periods.toFixed(1)} periods (grant: ${grant})`,
      );
    });
  }
});

test("kubelet's certificate rotation: the symlink repointed, the old one refused, discovery goes on", async () => {
  // kubelet.conf names kubelet-client-current.pem for both certificate and key: a symlink kubelet
  // repoints to a new dated file holding both (k8s.io/client-go/util/certificate, file store).
  const pkiDir = join(dir, 'kubelet-pki');
  const dated = (name: string, seconds: number): string => {
    const c = pki.shortLivedClient('system:node:w1', 'system:nodes', seconds, name);
    const both = join(dir, `${name}-both.pem`);
    writeFileSync(both, readFileSync(c.cert, 'utf8') + readFileSync(c.key, 'utf8'));
    return both;
  };
  mkdirSync(pkiDir, { recursive: true });
  const current = join(pkiDir, 'kubelet-client-current.pem');
  const old = dated('kubelet-client-old', 4);
  symlinkSync(old, current);
  const rec = new Recorder();
  const d = discovery(kubeconfig('rotating', { cert: current, key: current }), rec);
  try {
    await rec.until(() => rec.answers.length > 0, 'answers with the old certificate');
    // Rotation: a new file, the symlink replaced atomically (a new link renamed over it).
    const fresh = dated('kubelet-client-new', 3600);
    symlinkSync(fresh, `${current}.tmp`);
    renameSync(`${current}.tmp`, current);
    await sleep(4500); // the old certificate has expired: the API refuses it from now on
    const unauthorized = api.apiStats!.unauthorized;
    publishMasters(registry, [{ ip: '10.0.0.18', port: 6443 }]);
    await rec.until(() => rec.last()?.join() === '10.0.0.18:6443', 'a change after rotation');
    assert.equal(api.apiStats!.unauthorized, unauthorized, 'no request with the old certificate');
    assert.deepEqual(rec.errors, []);
    // And the old one is truly refused now: a client that kept it gets 401.
    const stale = new Recorder();
    const s = discovery(kubeconfig('stale', { cert: old, key: old }), stale);
    try {
      await stale.until(() => stale.errors.length > 0, 'the expired certificate refused');
      assert.equal(stale.errors[0]!.reason, 'unauthorized');
    } finally {
      await s.stop();
    }
  } finally {
    await d.stop();
  }
});

test('no client certificate: anonymous, refused (403) on both paths, an error', async () => {
  const rec = new Recorder();
  const d = discovery(kubeconfig('anonymous', undefined), rec);
  try {
    await rec.until(() => rec.errors.length >= 1, 'a refusal');
    assert.equal(rec.errors[0]!.reason, 'forbidden');
    assert.match(rec.errors[0]!.message, /system:anonymous/);
    assert.deepEqual(rec.answers, []);
  } finally {
    await d.stop();
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
    await rec.until(() => rec.last()?.length === 2, 'a resync');
    assert.deepEqual(rec.last(), ['10.0.0.11:6443', '10.0.0.12:6443']);
  } finally {
    await d.stop();
    await api2.close();
  }
});

/** One GET to the stand-in with a client certificate (or none), its status and Status body. */
async function ask(
  path: string,
  client: { cert: string; key: string } | undefined,
): Promise<{ code: number; body: { message?: string; reason?: string; code?: number } }> {
  const { request } = await import('node:https');
  return new Promise((resolve, reject) => {
    const req = request(
      {
        host: '127.0.0.1',
        port: api.port,
        path,
        ca: readFileSync(pki.caCert),
        servername: 'kubernetes',
        ...(client && { cert: readFileSync(client.cert), key: readFileSync(client.key) }),
      },
      (res) => {
        let text = '';
        res.setEncoding('utf8');
        res.on('data', (c: string) => (text += c));
        res.on('end', () => {
          let body = {};
          try {
            body = JSON.parse(text) as object;
          } catch {
            // a watch: newline-delimited events, not one document
          }
          resolve({ code: res.statusCode ?? 0, body });
        });
      },
    );
    req.on('error', reject);
    req.end();
  });
}

test("the stand-in authorizes as Node,RBAC with kha's manifest: only what that file grants", async () => {
  const kubelet = node();
  const slices = '/apis/discovery.k8s.io/v1/namespaces/default/endpointslices';
  const byName = `${slices}?fieldSelector=metadata.name%3Dkubernetes`;
  // A kubelet's own rights (Node authorizer): get endpoints, nothing of the slices.
  assert.equal((await ask('/api/v1/namespaces/default/endpoints/kubernetes', kubelet)).code, 200);
  const refused = await ask(byName, kubelet);
  assert.equal(refused.code, 403);
  assert.equal(refused.body.reason, 'Forbidden');
  assert.equal(
    refused.body.message,
    'endpointslices.discovery.k8s.io "kubernetes" is forbidden: User "system:node:w1" cannot list resource "endpointslices" in API group "discovery.k8s.io" in the namespace "default"',
  );
  assert.equal((await ask('/api/v1/namespaces/default/endpoints', kubelet)).code, 403);
  await withGrant(true, async () => {
    assert.equal((await ask(byName, kubelet)).code, 200);
    assert.equal((await ask(`${slices}/kubernetes`, kubelet)).code, 200);
    assert.equal((await ask(`${byName}&watch=1&timeoutSeconds=1`, kubelet)).code, 200);
    // resourceNames: a list that does not name the object, or names another, is still refused.
    assert.equal((await ask(slices, kubelet)).code, 403);
    assert.equal((await ask(`${slices}?fieldSelector=metadata.name%3Dother`, kubelet)).code, 403);
    assert.equal(
      (await ask(`${slices}?labelSelector=kubernetes.io%2Fservice-name%3Dkubernetes`, kubelet))
        .code,
      403,
    );
    // Only system:nodes: anyone else authenticated is refused, and so is nobody (anonymous).
    assert.equal((await ask(byName, pki.client('jane', 'developers'))).code, 403);
    assert.equal((await ask(byName, undefined)).code, 403);
  });
  // Another CA's certificate does not authenticate at all: 401, not anonymous.
  const stranger = await ask(byName, other.client('system:node:w1', 'system:nodes'));
  assert.equal(stranger.code, 401);
  assert.equal(stranger.body.reason, 'Unauthorized');
});

test('a watch re-sent every 50 ms is a flood: ended, an error, and no more watches than the budget allows', async () => {
  await withGrant(true, async () => {
    const rec = new Recorder();
    const user = 'system:node:flooded';
    const d = discovery(kubeconfig('flooded', pki.client(user, 'system:nodes')), rec);
    try {
      await rec.until(() => rec.answers.length > 0, 'the first answer');
      const before = api.apiStats!.byUser[user] ?? 0;
      const started = performance.now();
      flood(registry, 3, 10, 50);
      await rec.until(
        () => rec.errors.some((e) => /changes in one watch/.test(e.message)),
        'the flood recognised',
      );
      await sleep(4 * TIMINGS.periodMs);
      const requests = (api.apiStats!.byUser[user] ?? 0) - before;
      const periods = (performance.now() - started) / TIMINGS.periodMs;
      assert.ok(
        requests <= Math.ceil(periods) + TIMINGS.burst,
        `${requests} requests in ${periods.toFixed(1)} periods`,
      );
      // Each watch (one request) ends at the first change past the bound.
      assert.ok(
        rec.answers.length <= (requests + 1) * (MAX_CHANGES_PER_WATCH + 1),
        `${rec.answers.length} answers from ${requests} requests`,
      );
    } finally {
      await d.stop();
      stopFlood(registry);
    }
  });
});
