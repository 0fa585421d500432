// A real Prometheus scraping lvscare as a cluster's would: from another network namespace, at the
// worker's address, on the port kha's manifest binds (0.0.0.0:9299), the target labelled with its
// node as the PodMonitor labels it, with the shipped alert rules loaded and lvscare following the
// masters through the API (discovery on). A killed master fires LvscareMasterDown, which resolves
// when the master returns, and its out and back are Events on the worker's Node at the API; every query of the shipped Grafana dashboard returns data for the node
// picked; every master killed fires LvscareFailOpen; the VIP deleted over and over fires
// LvscareRepairStorm; a master down for one worker of four fires LvscareMasterUnreachable; no CA
// and a failing link-mode set-up fire LvscareProbeTlsUnverified and LvscareVipSetupFailing;
// lvscare stopped fires LvscareDown.
import assert from 'node:assert/strict';
import { chmodSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { type Server, createServer } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, test } from 'node:test';
import {
  BRING_BACK_MS,
  TAKE_OUT_MS,
  careArgs,
  masterText,
  scenarioTopology,
  sleep,
  startCare,
  stopCare,
  vip4 as vip,
  waitAllAt,
  withClient,
} from '../support/care-scenario.js';
import { LVSCARE_BIN, LvscareProcess } from '../support/lvscare-process.js';
import { storedEvents } from '../support/kube-events.js';
import { writeNodeKubeconfig } from '../support/kubeconfig-file.js';
import { publishMasters } from '../support/registry.js';
import { attempt } from '../support/run.js';
import {
  MONITORING_DIR,
  Prometheus,
  dashboardQueries,
  rulesWithFor,
} from '../support/prometheus.js';

/** The node's name, as the PodMonitor's relabeling adds it to the target. */
const NODE = 'worker-1';
/** What `kha join` gives the pod by default (packages/installer/src/metrics-address.ts). */
const METRICS_BIND = '0.0.0.0:9299';
/** Scrape and evaluation interval of the test's Prometheus, seconds. */
const INTERVAL_S = 1;
/** Every alert's `for:` in the test copy of the rules (the shipped ones are minutes). */
const FOR_S = 5;
/** Scrape, evaluation and the alert's for:, with room for an emulated CPU. */
const ALERT_MS = (2 * INTERVAL_S + FOR_S) * 1000 + 15_000;

let care: LvscareProcess | undefined;
let prometheus: Prometheus | undefined;
const dir = mkdtempSync(join(tmpdir(), 'kha-prom-test-'));
const topo = scenarioTopology(async () => {
  await prometheus?.stop();
  await stopCare(care);
});
const [m1] = topo.masters as [(typeof topo.masters)[0]];
const all = topo.masters.map((m) => masterText(m));
const target = `${topo.workerIp}:9299`;
// The masters' API servers serve the registration (set before scenarioTopology starts them), so
// lvscare's discovery metrics are live, for the dashboard's Discovery row.
const registry = join(dir, 'registry.json');
publishMasters(
  registry,
  topo.masters.map((m) => ({ ip: m.ip, port: m.port })),
);
topo.apiserverEnv = { KHA_REGISTRY_FILE: registry, KHA_CLIENT_CA: topo.caCert };

/** A kubelet-like kubeconfig reaching the API through the VIP, as the pod's discovery does. */
function kubeconfig(): string {
  const client = topo.pki.client(`system:node:${NODE}`, 'system:nodes');
  const server = `https://${vip.address}:${vip.port}`;
  return writeNodeKubeconfig(join(dir, 'kubelet.conf'), server, topo.caCert, client, 'kubernetes');
}

/** The scenario's lvscare, but listening where the static pod's does, with discovery on. */
function podLikeArgs(): string[] {
  const args = careArgs(topo, vip, [
    '--mode',
    'route',
    '--kubeconfig',
    kubeconfig(),
    '--discover-state-file',
    join(dir, 'state', 'masters.json'),
    // The shortest period: with a kubelet's own rights discovery polls, one request a period.
    '--discover-period',
    '5s',
  ]);
  args[args.indexOf('--metrics-address') + 1] = METRICS_BIND;
  return args;
}

/**
 * Like startCare's settling, on the pod's address: under an emulated CPU the first TLS handshakes
 * can outlast the probe timeout, and the scenarios start from a settled daemon.
 */
async function waitMastersUp(timeoutMs: number): Promise<boolean> {
  const end = performance.now() + timeoutMs;
  while (performance.now() < end) {
    try {
      const text = await (await fetch('http://127.0.0.1:9299/metrics')).text();
      if (all.every((m) => text.includes(`lvscare_master_state{master="${m}",state="up"} 1`)))
        return true;
    } catch {
      // not listening yet
    }
    await sleep(250);
  }
  return false;
}

/** Whether discovery has been in step with the API once (its first poll answered). */
async function discoverySynced(timeoutMs: number): Promise<boolean> {
  const end = performance.now() + timeoutMs;
  while (performance.now() < end) {
    const text = await (await fetch('http://127.0.0.1:9299/metrics')).text();
    const at = /^lvscare_discovery_last_sync_timestamp_seconds (\S+)$/m.exec(text);
    if (Number(at?.[1]) > 0) return true;
    await sleep(500);
  }
  return false;
}

before(async () => {
  care = await startCare(podLikeArgs());
  assert.ok(await waitMastersUp(60_000), 'every master up within 60 s of the start');
  // All is well only once discovery is in step too; until then LvscareDiscoveryStuck is right.
  assert.ok(await discoverySynced(60_000), 'discovery in step within 60 s of the start');
  assert.ok(await waitAllAt(vip, all, 1, BRING_BACK_MS), 'all masters at weight 1');
  const rules = rulesWithFor(
    join(MONITORING_DIR, 'lvscare-rules.yaml'),
    `${FOR_S}s`,
    join(dir, 'lvscare-rules.yaml'),
  );
  // In the router's namespace: it reaches the worker only over the bridge, as another node would.
  prometheus = await Prometheus.start({
    targets: [target],
    ruleFiles: [rules],
    intervalSeconds: INTERVAL_S,
    netns: 'kha-router',
    listen: '10.0.0.1:9090',
    targetLabels: { node: NODE },
  });
});
after(() => rmSync(dir, { recursive: true, force: true }));

test('Prometheus on another host scrapes lvscare at the node address; no alert fires while all is well', async () => {
  const p = prometheus!;
  const up = await p.waitForData(`up{job="kube-lvscare",instance="${target}"} == 1`, 30_000);
  assert.equal(up.length, 1, `target ${target} up`);
  const masters = await p.waitForData(
    `count(lvscare_master_state{state="up",instance="${target}"} == 1) == ${all.length}`,
    BRING_BACK_MS,
  );
  assert.equal(masters.length, 1, 'every master up as Prometheus sees it');
  // Long enough for any alert pending since the start to have fired.
  await sleep(ALERT_MS);
  assert.deepEqual(await p.alerts(), [], 'no alert while every master is up');
});

test('a killed master fires LvscareMasterDown through Prometheus; it resolves when the master is back; both are Events on the Node', async () => {
  const p = prometheus!;
  const master = masterText(m1);
  let fired: Awaited<ReturnType<Prometheus['waitForAlert']>>;
  let resolvedMs = 0;
  let firedMs = 0;
  let killedAt = 0;
  await withClient(vip, async () => {
    killedAt = Date.now();
    topo.killMaster(m1);
    const killed = performance.now();
    fired = await p.waitForAlert('LvscareMasterDown', { master }, 'firing', TAKE_OUT_MS + ALERT_MS);
    firedMs = performance.now() - killed;
    assert.equal(fired!.labels.severity, 'warning');
    assert.equal(Number(fired!.value), 1, 'seen down by all (the one) of the workers');
    assert.match(
      fired!.annotations.summary ?? '',
      new RegExp(`Master ${master} is down for 100% of the workers`),
    );
    assert.equal(
      fired!.annotations.runbook_url,
      'https://kha.invalid/docs/monitoring.md#lvscaremasterdown',
      'absolute, under the base docs/monitoring.md tells the operator to replace',
    );
    const others = (await p.alerts()).filter((a) => a.labels.alertname !== 'LvscareMasterDown');
    assert.deepEqual(others, [], 'one master down is not fail-open, nor anything else');
    await topo.startMaster(m1);
    const back = performance.now();
    await p.waitForAlert('LvscareMasterDown', { master }, 'inactive', BRING_BACK_MS + ALERT_MS);
    resolvedMs = performance.now() - back;
    assert.ok(await waitAllAt(vip, all, 1, BRING_BACK_MS), 'm1 back at weight 1');
    // Traffic through the VIP after the return, for the dashboard's per-destination panels.
    await sleep(3000);
  });
  // What the worker saw is on its Node, at the API (the masters' shared store), as kubelet's own
  // Events are: `kubectl describe node worker-1` would list both.
  // Since the kill: an Event counts its last occurrence (lastTimestamp, whole seconds).
  const since = Math.floor(killedAt / 1000) * 1000;
  const onNode = (reason: string) =>
    storedEvents(registry).filter(
      (e) =>
        e.object.reason === reason &&
        e.object.involvedObject?.kind === 'Node' &&
        e.object.involvedObject.name === NODE &&
        (e.object.message ?? '').includes(master) &&
        Date.parse(String(e.object.lastTimestamp)) >= since,
    );
  const end = performance.now() + 30_000;
  while (
    performance.now() < end &&
    (onNode('APIServerOut').length === 0 || onNode('APIServerBack').length === 0)
  )
    await sleep(500);
  const out = onNode('APIServerOut');
  const back = onNode('APIServerBack');
  assert.ok(out.length >= 1, 'the master taken out, as an Event on the Node');
  assert.equal(out[0]!.object.type, 'Warning');
  assert.equal(out[0]!.namespace, 'default');
  assert.ok(back.length >= 1, 'and its return');
  assert.equal(back[0]!.object.type, 'Normal');
  console.log(
    `LvscareMasterDown (for: ${FOR_S}s, ${INTERVAL_S}s scrape/evaluation): firing ${(firedMs / 1000).toFixed(1)} s ` +
      `after the kill, resolved ${(resolvedMs / 1000).toFixed(1)} s after the master's return`,
  );
});

test("every query of the shipped Grafana dashboard returns data from lvscare's metrics", async () => {
  const p = prometheus!;
  // Grafana's $__rate_interval is at least four scrape intervals; a wider window also covers the
  // failover of the test before.
  // The node picked as a person would pick it: every panel must follow the `node` label.
  const queries = dashboardQueries(join(MONITORING_DIR, 'lvscare-dashboard.json'), '1m', {
    node: NODE,
  });
  assert.ok(queries.length >= 20, `${queries.length} queries`);
  assert.ok(
    queries.some((q) => q.expr.includes('lvscare_discovered_masters')) &&
      queries.some((q) => q.expr.includes('lvscare_vip_setup_ok')),
    'the Discovery and VIP set-up rows are there',
  );
  const empty: string[] = [];
  for (const q of queries) {
    const result = await p.query(q.expr);
    if (result.length === 0) empty.push(`${q.panel}: ${q.expr}`);
  }
  assert.deepEqual(empty, [], 'panels without data');
  // And the data means something: the failover and the client's traffic are in it.
  const downs = await p.query(
    `sum(increase(lvscare_master_transitions_total{master="${masterText(m1)}",to="down"}[5m]))`,
  );
  assert.ok(Number(downs[0]?.value[1]) >= 1, `m1 went down: ${JSON.stringify(downs)}`);
  const conns = await p.query('sum(increase(lvscare_destination_connections_total[5m]))');
  assert.ok(Number(conns[0]?.value[1]) > 0, `connections counted: ${JSON.stringify(conns)}`);
  const discovered = await p.query(`lvscare_discovered_masters{node="${NODE}"}`);
  assert.equal(Number(discovered[0]?.value[1]), all.length, 'discovery listed every master');
  const paths = await p.query(`sum(lvscare_discovery_mode{node="${NODE}"})`);
  assert.equal(Number(paths[0]?.value[1]), 1, 'discovery on one path, watch or poll');
  const vipOk = await p.query(`lvscare_vip_setup_ok{node="${NODE}"}`);
  assert.equal(Number(vipOk[0]?.value[1]), 1, "the route mode's set-up in place");
});

test('every master killed: LvscareFailOpen fires on the worker; it resolves when one returns', async () => {
  const p = prometheus!;
  for (const m of topo.masters) topo.killMaster(m);
  const fired = await p.waitForAlert(
    'LvscareFailOpen',
    { instance: target },
    'firing',
    TAKE_OUT_MS + ALERT_MS,
  );
  assert.equal(fired?.labels.severity, 'critical');
  for (const m of topo.masters) {
    const down = await p.waitForAlert(
      'LvscareMasterDown',
      { master: masterText(m) },
      'firing',
      ALERT_MS,
    );
    assert.equal(Number(down?.value), 1);
  }
  await topo.startMaster(m1);
  await p.waitForAlert(
    'LvscareFailOpen',
    { instance: target },
    'inactive',
    BRING_BACK_MS + ALERT_MS,
  );
  for (const m of topo.masters.slice(1)) await topo.startMaster(m);
  assert.ok(await waitAllAt(vip, all, 1, BRING_BACK_MS), 'all masters back at weight 1');
  for (const m of topo.masters)
    await p.waitForAlert('LvscareMasterDown', { master: masterText(m) }, 'inactive', ALERT_MS);
});

test('the VIP deleted again and again (kube-proxy without excludeCIDRs) fires LvscareRepairStorm', async () => {
  const p = prometheus!;
  let deletions = 0;
  const storm = (async () => {
    const end = performance.now() + 120_000;
    while (performance.now() < end && !(await stormFiring(p))) {
      if (attempt('ipvsadm', ['-D', '-t', vip.text]).status === 0) deletions++;
      await sleep(1500);
    }
  })();
  await storm;
  const fired = await p.waitForAlert(
    'LvscareRepairStorm',
    { instance: target, kind: 'service-missing' },
    'firing',
    1,
  );
  assert.equal(fired?.labels.severity, 'warning');
  assert.ok(deletions > 5, `${deletions} deletions`);
  assert.ok(await waitAllAt(vip, all, 1, BRING_BACK_MS), 'lvscare put the VIP back');
});

async function stormFiring(p: Prometheus): Promise<boolean> {
  return (await p.alerts()).some(
    (a) => a.labels.alertname === 'LvscareRepairStorm' && a.state === 'firing',
  );
}

test('a master down for one worker of four fires LvscareMasterUnreachable there, not LvscareMasterDown', async () => {
  // Three other workers, as their lvscare would report every master up (the same series), served
  // from this host; a second Prometheus scrapes them beside the real one, so the first keeps its
  // single worker for the other scenarios.
  const others = await Promise.all(
    [9301, 9302, 9303].map(
      (port) =>
        new Promise<Server>((resolve) => {
          const server = createServer((_req, res) => {
            res.writeHead(200, { 'content-type': 'text/plain; version=0.0.4' });
            res.end(
              all
                .map(
                  (m) =>
                    `lvscare_master_state{master="${m}",state="up"} 1\n` +
                    `lvscare_master_state{master="${m}",state="down"} 0\n`,
                )
                .join(''),
            );
          });
          server.listen(port, topo.workerIp, () => resolve(server));
        }),
    ),
  );
  const rules = join(dir, 'lvscare-rules.yaml');
  const p = await Prometheus.start({
    targets: [target],
    ruleFiles: [rules],
    intervalSeconds: INTERVAL_S,
    netns: 'kha-router',
    listen: '10.0.0.1:9091',
    targetLabels: { node: NODE },
    moreTargets: [9301, 9302, 9303].map((port, i) => ({
      targets: [`${topo.workerIp}:${port}`],
      labels: { node: `worker-${i + 2}` },
    })),
  });
  const master = masterText(m1);
  try {
    topo.killMaster(m1);
    const fired = await p.waitForAlert(
      'LvscareMasterUnreachable',
      { master, instance: target },
      'firing',
      TAKE_OUT_MS + ALERT_MS,
    );
    assert.equal(fired?.labels.severity, 'warning');
    assert.equal(
      fired?.annotations.runbook_url,
      'https://kha.invalid/docs/monitoring.md#lvscaremasterunreachable',
    );
    assert.equal(
      (await p.alerts()).some((a) => a.labels.alertname === 'LvscareMasterDown'),
      false,
      'one worker of four is the path from that node, not the API server',
    );
    await topo.startMaster(m1);
    await p.waitForAlert(
      'LvscareMasterUnreachable',
      { master },
      'inactive',
      BRING_BACK_MS + ALERT_MS,
    );
  } finally {
    await p.stop();
    for (const s of others) s.close();
  }
  assert.ok(await waitAllAt(vip, all, 1, BRING_BACK_MS), 'm1 back at weight 1');
});

test("lvscare without a CA and with its link mode's NAT failing: LvscareProbeTlsUnverified and LvscareVipSetupFailing fire; put right, both resolve", async () => {
  const p = prometheus!;
  await stopCare(care);
  care = undefined;
  // The image without nftables, as it were: every nft call fails.
  const bin = join(dir, 'bin');
  mkdirSync(bin, { recursive: true });
  writeFileSync(join(bin, 'nft'), '#!/bin/sh\necho "nft: simulated failure" >&2\nexit 1\n');
  chmodSync(join(bin, 'nft'), 0o755);
  const args = podLikeArgs();
  args.splice(args.indexOf('--health-ca-file'), 2);
  args[args.indexOf('--mode') + 1] = 'link';
  care = new LvscareProcess(args, { PATH: `${bin}:${process.env.PATH}` });
  await care.waitForLog((l) => l.msg === 'lvscare care started', 30_000);
  const tls = await p.waitForAlert(
    'LvscareProbeTlsUnverified',
    { instance: target },
    'firing',
    ALERT_MS + 30_000,
  );
  assert.equal(tls?.labels.severity, 'warning');
  const vipSetup = await p.waitForAlert(
    'LvscareVipSetupFailing',
    { instance: target },
    'firing',
    ALERT_MS,
  );
  assert.equal(vipSetup?.labels.severity, 'critical');
  await stopCare(care);
  care = undefined;
  const clean = attempt(LVSCARE_BIN, ['care', '--vs', vip.text, '--clean', '--mode', 'link']);
  assert.equal(clean.status, 0, clean.stderr);
  care = await startCare(podLikeArgs());
  assert.ok(await waitMastersUp(60_000), 'every master up again');
  await p.waitForAlert('LvscareProbeTlsUnverified', { instance: target }, 'inactive', ALERT_MS);
  await p.waitForAlert('LvscareVipSetupFailing', { instance: target }, 'inactive', ALERT_MS);
});

test('lvscare stopped: LvscareDown fires for its target', async () => {
  const p = prometheus!;
  await stopCare(care);
  care = undefined;
  const fired = await p.waitForAlert('LvscareDown', { instance: target }, 'firing', ALERT_MS);
  assert.equal(fired?.labels.job, 'kube-lvscare');
  assert.equal(
    (await p.alerts()).some((a) => a.labels.alertname === 'LvscareAbsent'),
    false,
    'the target is known, so lvscare is not absent',
  );
});
