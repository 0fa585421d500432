// --mode route and link carrying client traffic on a multi-NIC worker, IPv6, --run-once, --clean.
import assert from 'node:assert/strict';
import { chmodSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import {
  BRING_BACK_MS,
  SLACK_MS,
  TIMING,
  careArgs,
  masterText,
  resetKernel,
  sleep,
  startCare,
  stopCare,
  vip4,
  vip6,
  waitAllAt,
  waitTakenOut,
  TAKE_OUT_MS,
  METRICS,
  withClient,
  scenarioTopology,
} from '../support/care-scenario.js';
import { ipvsadm, savedRules } from '../support/ipvsadm.js';
import { serviceExists, waitFor } from '../support/ipvs-state.js';
import { LvscareProcess } from '../support/lvscare-process.js';
import { attempt, run } from '../support/run.js';

let care: LvscareProcess | undefined;
const topo = scenarioTopology(async () => {
  await stopCare(care);
  attempt('ip', ['link', 'del', 'lvscare']);
  attempt('nft', ['delete', 'table', 'ip', 'kha-lvscare']);
});

async function lvscare(args: string[]): Promise<{ code: number | null; stderr: string }> {
  const p = new LvscareProcess(args);
  const { code } = await p.exited;
  return { code, stderr: p.stderrText.join('\n') };
}

test('without the VIP route the multi-NIC worker gets no answer: the source address matters', async () => {
  ipvsadm('-A', '-t', vip4.text, '-s', 'rr');
  for (const m of topo.masters) ipvsadm('-a', '-t', vip4.text, '-r', masterText(m), '-m');
  const client = await withClient(vip4, () => sleep(2500), 10);
  assert.ok(
    client.failures().length > 0 && Object.keys(client.answeredBy()).length === 0,
    'all requests fail (replies go to the uplink address)',
  );
  resetKernel();
});

test('--run-once: rules and the route in place, exit 0, and the client gets answers', async () => {
  const r = await lvscare([...careArgs(topo, vip4, ['--mode', 'route']), '--run-once']);
  assert.equal(r.code, 0, r.stderr);
  assert.deepEqual(
    savedRules(),
    [
      `-A -t ${vip4.text} -s rr`,
      ...topo.masters.map((m) => `-a -t ${vip4.text} -r ${masterText(m)} -m -w 1`),
    ].sort(),
  );
  assert.match(run('ip', ['route', 'show', `${vip4.address}/32`]), /dev kbr0 .*src 10\.0\.0\.10/);
  const client = await withClient(vip4, () => sleep(2000));
  assert.deepEqual(client.failures(), []);
  assert.deepEqual(Object.keys(client.answeredBy()).sort(), ['m1', 'm2', 'm3']);
});

test('--clean removes our virtual server and route, and nothing else', async () => {
  ipvsadm('-A', '-t', '10.9.9.9:80', '-s', 'rr'); // someone else's
  const r = await lvscare(['care', '--vs', vip4.text, '--clean', '--mode', 'route']);
  assert.equal(r.code, 0, r.stderr);
  assert.equal(serviceExists(vip4.text), false);
  assert.equal(run('ip', ['route', 'show', `${vip4.address}/32`]).trim(), '');
  assert.deepEqual(savedRules(), ['-A -t 10.9.9.9:80 -s rr']);
  resetKernel();
});

test('link mode: VIP on a dummy link, masqueraded to the masters, carries traffic; repaired; cleaned', async () => {
  care = await startCare(
    careArgs(topo, vip4, ['--mode', 'link']),
    topo.masters.map((m) => masterText(m)),
  );
  assert.ok(
    await waitAllAt(
      vip4,
      topo.masters.map((m) => masterText(m)),
      1,
      BRING_BACK_MS,
    ),
  );
  const [addr] = JSON.parse(run('ip', ['-j', 'addr', 'show', 'dev', 'lvscare'])) as Array<{
    addr_info: Array<{ local: string; prefixlen: number }>;
  }>;
  assert.ok(addr!.addr_info.some((a) => a.local === vip4.address && a.prefixlen === 32));
  assert.match(
    run('nft', ['list', 'table', 'ip', 'kha-lvscare']),
    /ip saddr 10\.103\.97\.2 ip daddr \{ .*10\.0\.0\.11.* \} masquerade/,
  );
  const client = await withClient(vip4, () => sleep(2500));
  assert.deepEqual(client.failures(), []);
  assert.deepEqual(Object.keys(client.answeredBy()).sort(), ['m1', 'm2', 'm3']);

  run('ip', ['link', 'del', 'lvscare']);
  assert.ok(
    await waitFor(
      () => attempt('ip', ['addr', 'show', 'dev', 'lvscare']).stdout.includes(`${vip4.address}/32`),
      TIMING.intervalMs + SLACK_MS,
    ),
    'link and VIP address repaired',
  );
  await stopCare(care);
  care = undefined;
  assert.ok(serviceExists(vip4.text), 'SIGTERM leaves the rules in place');
  const r = await lvscare(['care', '--vs', vip4.text, '--clean', '--mode', 'link']);
  assert.equal(r.code, 0, r.stderr);
  assert.notEqual(attempt('ip', ['link', 'show', 'lvscare']).status, 0, 'link removed');
  assert.notEqual(
    attempt('nft', ['list', 'table', 'ip', 'kha-lvscare']).status,
    0,
    'NAT table removed',
  );
  assert.equal(serviceExists(vip4.text), false);
});

test('IPv6 VIP in route mode carries traffic and fails over', async () => {
  const all6 = topo.masters.map((m) => masterText(m, true));
  care = await startCare(careArgs(topo, vip6, ['--mode', 'route'], true), all6);
  assert.ok(await waitAllAt(vip6, all6, 1, BRING_BACK_MS), 'three IPv6 destinations');
  const client = await withClient(vip6, async () => {
    await sleep(1500);
    await topo.control(topo.masters[0]!, 'healthz=fail');
    assert.ok(await waitTakenOut(vip6, all6[0]!, TAKE_OUT_MS), 'm1 taken out over IPv6');
    await sleep(1000);
  });
  assert.deepEqual(client.failures(), []);
  assert.deepEqual(Object.keys(client.answeredBy()).sort(), ['m1', 'm2', 'm3']);
  await topo.control(topo.masters[0]!, 'healthz=ok');
  await stopCare(care);
  care = undefined;
  const r = await lvscare(['care', '--vs', vip6.text, '--clean', '--mode', 'route']);
  assert.equal(r.code, 0, r.stderr);
  assert.equal(run('ip', ['-6', 'route', 'show', `${vip6.address}/128`]).trim(), '');
});

test('link mode with nft failing: the virtual server is still kept and fails over; /readyz and metrics say why', async () => {
  const bin = mkdtempSync(join(tmpdir(), 'kha-no-nft-'));
  writeFileSync(join(bin, 'nft'), '#!/bin/sh\necho "nft: simulated failure" >&2\nexit 1\n');
  chmodSync(join(bin, 'nft'), 0o755);
  const all = topo.masters.map((m) => masterText(m));
  care = new LvscareProcess(careArgs(topo, vip4, ['--mode', 'link']), {
    PATH: `${bin}:${process.env.PATH}`,
  });
  await care.waitForLog((l) => l.msg === 'lvscare care started', 30_000);
  assert.ok(
    await waitAllAt(vip4, all, 1, BRING_BACK_MS),
    'the virtual server is set up although the NAT step fails',
  );
  await topo.control(topo.masters[0]!, 'healthz=fail');
  try {
    assert.ok(await waitTakenOut(vip4, all[0]!, TAKE_OUT_MS), 'failover goes on');
  } finally {
    await topo.control(topo.masters[0]!, 'healthz=ok');
  }
  const ready = await fetch(`http://${METRICS}/readyz`);
  assert.equal(ready.status, 503);
  assert.match(await ready.text(), /link mode set-up failing: link mode: NAT rule \(nft\)/);
  const metrics = await (await fetch(`http://${METRICS}/metrics`)).text();
  assert.match(metrics, /^lvscare_vip_setup_ok 0$/m);
  assert.match(metrics, /^lvscare_vip_setup_errors_total [1-9]/m);
  assert.ok(care.logs.some((l) => l.msg?.startsWith('VIP set-up failed')));
  await stopCare(care);
  care = undefined;
  const r = await lvscare(['care', '--vs', vip4.text, '--clean', '--mode', 'link']);
  assert.equal(r.code, 0, r.stderr);
});
