// lvscare's probe against fake API servers on loopback: outcomes, reasons, TLS verification and
// connection reuse. No kernel needed.
import assert from 'node:assert/strict';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, test } from 'node:test';
import { careConfigFromValues, loadCaFile } from '@kha/lvscare';
import { MasterProbe, type ProbeResult } from '@kha/lvscare/parts';
import { type FakeApiserver, startFakeApiserver } from '../support/apiserver.js';
import { makePki } from '../support/pki.js';

/** A failed probe's text for logs, undefined when it passed. */
const detail = (result: ProbeResult): string | undefined =>
  result.outcome.ok ? undefined : result.outcome.reason;

const dir = mkdtempSync(join(tmpdir(), 'kha-probe-'));
const pki = makePki(join(dir, 'pki'));
const other = makePki(join(dir, 'other'), 'other-ca');
let api: FakeApiserver;

before(async () => {
  const good = pki.server('m1', ['127.0.0.1']);
  const wrong = other.server('m1-wrong', ['127.0.0.1']);
  api = await startFakeApiserver({
    name: 'm1',
    host: '127.0.0.1',
    port: 0,
    ...good,
    altCert: wrong.cert,
    altKey: wrong.key,
  });
});
after(() => api.close());

function probeFor(flags: Record<string, unknown> = {}, onLost: () => void = () => {}) {
  const c = loadCaFile(
    careConfigFromValues({
      vs: '10.103.97.2:6443',
      rs: [`127.0.0.1:${api.port}`],
      healthTimeout: '300ms',
      ...flags,
    }),
  );
  return new MasterProbe(c.realServers[0]!, c.health, onLost);
}

test('a healthy master passes; 500 fails with reason "status"', async () => {
  const p = probeFor();
  api.setHealth('ok');
  assert.deepEqual((await p.probe()).outcome, { ok: true });
  api.setHealth('fail');
  const r = await p.probe();
  assert.equal(r.failure, 'status');
  assert.equal(detail(r), 'status 500');
  assert.ok(!r.outcome.ok && !r.outcome.noConnection, 'a 500 came over a connection');
  api.setHealth('ok');
  await p.close();
});

test('--health-status accepts an extra code', async () => {
  const p = probeFor({ healthStatus: ['500'] });
  api.setHealth('fail');
  assert.equal((await p.probe()).outcome.ok, true);
  api.setHealth('ok');
  await p.close();
});

test('slower than the timeout fails with reason "timeout", within the deadline', async () => {
  const p = probeFor();
  api.setHealth('slow', 2000);
  const r = await p.probe();
  assert.equal(r.failure, 'timeout');
  assert.ok(r.durationMs < 1500, `took ${r.durationMs}ms with a 300ms timeout`);
  assert.ok(!r.outcome.ok && !r.outcome.noConnection, 'connected, then no answer in time');
  api.setHealth('ok');
  await p.close();
});

test('with --health-ca-file the right certificate passes and a wrong one fails with "tls"', async () => {
  const p = probeFor({ healthCaFile: pki.caCert });
  assert.equal((await p.probe()).outcome.ok, true);
  await p.close();
  api.useAltCert(true);
  const q = probeFor({ healthCaFile: pki.caCert });
  const r = await q.probe();
  assert.equal(r.failure, 'tls');
  await q.close();
  const insecure = probeFor();
  assert.equal(
    (await insecure.probe()).outcome.ok,
    true,
    'without a CA file TLS is not verified, as in lvscare',
  );
  await insecure.close();
  api.useAltCert(false);
});

test('probes reuse one connection', async () => {
  const p = probeFor();
  const before = api.connections();
  for (let i = 0; i < 10; i++) assert.equal((await p.probe()).outcome.ok, true);
  assert.equal(api.connections() - before, 1);
  await p.close();
});

test('a master that goes away: the kept connection reports it at once, and probes are refused', async () => {
  const good = pki.server('m2', ['127.0.0.1']);
  const m2 = await startFakeApiserver({ name: 'm2', host: '127.0.0.1', port: 0, ...good });
  const c = careConfigFromValues({
    vs: '10.103.97.2:6443',
    rs: [`127.0.0.1:${m2.port}`],
    healthTimeout: '300ms',
  });
  let lost!: () => void;
  const lostSignal = new Promise<void>((r) => (lost = r));
  const p = new MasterProbe(c.realServers[0]!, c.health, () => lost());
  assert.equal((await p.probe()).outcome.ok, true);
  await m2.close();
  await lostSignal; // no timer: the event itself is the signal
  for (const r of [await p.probe(), await p.probeAfterLoss()]) {
    assert.equal(r.failure, 'refused');
    assert.equal(detail(r), 'refused');
    assert.equal(!r.outcome.ok && r.outcome.noConnection, true, 'a refusal opened no connection');
  }
  await p.close();
});

test('after a loss, a master that still listens gets the full probe: its answer, one connection more', async () => {
  const p = probeFor();
  api.setHealth('fail');
  const before = api.connections();
  const r = await p.probeAfterLoss();
  assert.equal(detail(r), 'status 500', 'the HTTP answer, not the bare connect');
  assert.ok(!r.outcome.ok && !r.outcome.noConnection);
  // The bare connect never starts TLS, so the server counts only the probe's own connection.
  assert.equal(api.connections() - before, 1);
  api.setHealth('ok');
  assert.deepEqual((await p.probeAfterLoss()).outcome, { ok: true });
  await p.close();
});

test('after a loss, an address nothing answers for: no connection, within the probe timeout', async () => {
  // 192.0.2.1 (TEST-NET-1) has no host: depending on this machine's routes the connect hangs to
  // the timeout or fails at once (unreachable, or refused by a filter); never a connection.
  const c = loadCaFile(
    careConfigFromValues({
      vs: '10.103.97.2:6443',
      rs: ['192.0.2.1:6443'],
      healthTimeout: '200ms',
    }),
  );
  const p = new MasterProbe(c.realServers[0]!, c.health, () => {});
  const r = await p.probeAfterLoss();
  assert.equal(!r.outcome.ok && r.outcome.noConnection, true, detail(r));
  assert.ok(['timeout', 'unreachable', 'refused'].includes(r.failure!), detail(r));
  assert.ok(r.durationMs < 200 + 1000, `${r.durationMs} ms`);
  await p.close();
});

test('a refused connection is not reported as lost: no wake-up loop against a dead master', async () => {
  const good = pki.server('m3', ['127.0.0.1']);
  const m3 = await startFakeApiserver({ name: 'm3', host: '127.0.0.1', port: 0, ...good });
  const port = m3.port;
  await m3.close();
  const c = careConfigFromValues({
    vs: '10.103.97.2:6443',
    rs: [`127.0.0.1:${port}`],
    healthTimeout: '300ms',
  });
  let lost = 0;
  const p = new MasterProbe(c.realServers[0]!, c.health, () => lost++);
  for (let i = 0; i < 3; i++) assert.equal((await p.probe()).failure, 'refused');
  await new Promise((r) => setTimeout(r, 50));
  assert.equal(lost, 0);
  await p.close();
});
