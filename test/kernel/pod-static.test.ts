// What operators deploy, run: kha join --skip-kubeadm writes the static pod, podman kube play
// (kubelet's stand-in: the same Pod YAML) runs exactly that file with the image npm run image
// built, and the pod keeps the VIP on the healthy masters. ipvsadm is the witness throughout.
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { after, before, test } from 'node:test';
import { LEAN_V8_FLAGS } from '@kha/lvscare';
import {
  BRING_BACK_MS,
  TAKE_OUT_MS,
  masterText,
  scenarioTopology,
  sleep,
  vip4 as vip,
  waitAllAt,
  waitTakenOut,
  weights,
  withClient,
} from '../support/care-scenario.js';
import { NOTHING_LEFT, type PodNode, startJoinedPod } from '../support/pod-node.js';
import {
  IMAGE_TAG,
  type StaticPod,
  imageNodeVersion,
  podman,
  podmanLeftovers,
} from '../support/pod.js';
import { killAndRestore } from '../support/pod-failover.js';
import { MONITORING_DIR, Prometheus, rulesWithFor } from '../support/prometheus.js';
import { attempt } from '../support/run.js';

const FLOODER = fileURLToPath(new URL('../support/metrics-flooder.js', import.meta.url));
let pod: StaticPod | undefined;
let node: PodNode;
const topo = scenarioTopology(() => {
  if (pod) attempt('podman', ['pod', 'rm', '--force', pod.name]);
  attempt('ip', ['link', 'del', 'lvscare']);
  attempt('nft', ['delete', 'table', 'ip', 'kha-lvscare']);
});
const all = () => topo.masters.map((m) => masterText(m));

before(async () => {
  ({ node, pod } = await startJoinedPod(topo.masters, topo.caCert));
  assert.ok(await waitAllAt(vip, all(), 1, BRING_BACK_MS), 'every master at weight 1');
});

after(() => {
  if (pod && pod.exists()) pod.down();
});

test('podman kube play runs the manifest kha join wrote, with the built image, on its Node', () => {
  const p = pod!;
  assert.equal(p.spec.spec.containers[0]!.image, IMAGE_TAG);
  assert.equal(p.state(), 'running');
  assert.equal(podman('inspect', '--format', '{{.ImageName}}', p.container).trim(), IMAGE_TAG);
  // The container's main process is lvscare care on the image's node binary.
  const exe = p.exe();
  assert.match(exe.path, /\/usr\/local\/bin\/node$/, "the image's node, not the host's");
  assert.equal(exe.version, imageNodeVersion());
  const argv = p.argv();
  assert.ok(argv.includes('care') && argv.includes(vip.text), argv.join(' '));
  // The image's entrypoint starts node under the daemon's V8 flags: no re-exec (which would name
  // node by its full path, process.execPath).
  for (const flag of LEAN_V8_FLAGS) assert.ok(argv.includes(flag), `${flag} in ${argv.join(' ')}`);
  assert.equal(argv[0], 'node', argv.join(' '));
});

test('inside the container: CapEff NET_ADMIN only, no new privileges, read-only root and CA', () => {
  const p = pod!;
  const s = p.status();
  for (const set of ['CapEff', 'CapPrm', 'CapBnd'])
    assert.equal(s[set], '0000000000001000', `${set} is NET_ADMIN (bit 12) alone`);
  assert.equal(s.NoNewPrivs, '1');
  const write = p.inside('touch', '/kha-write-test');
  assert.notEqual(write.status, 0);
  assert.match(write.stderr, /Read-only file system/);
  const mounts = p.proc('mountinfo').split('\n');
  const mountOf = (path: string) => mounts.find((l) => l.split(' ')[4] === path);
  assert.match(mountOf('/') ?? '', /^\S+ \S+ \S+ \S+ \/ ro[, ]/, 'root mounted ro');
  assert.match(mountOf(topo.caCert) ?? '', new RegExp(`^\\S+ \\S+ \\S+ \\S+ \\S+ ro[, ]`), 'CA ro');
  assert.equal(
    p.inside('sha256sum', topo.caCert).stdout.split(' ')[0],
    attempt('sha256sum', [topo.caCert]).stdout.split(' ')[0],
    'the CA inside is the host file',
  );
});

test('lvscare in the pod verifies masters with the mounted CA: a foreign certificate goes out', async () => {
  const [, m2] = topo.masters;
  await topo.control(m2!, 'cert=alt');
  try {
    assert.ok(
      await waitTakenOut(vip, masterText(m2!), TAKE_OUT_MS),
      `m2 with another CA's certificate out: ${JSON.stringify([...weights(vip)])}`,
    );
  } finally {
    await topo.control(m2!, 'cert=main');
  }
  assert.ok(await waitAllAt(vip, all(), 1, BRING_BACK_MS), "m2 back with the cluster CA's");
});

test('failover through the pod: master killed, out of rotation, at most 1 request fails in the failover; back', async () => {
  const f = await killAndRestore(topo, vip, topo.masters[0]!);
  console.log(
    `pod failover: m1 at weight 0 ${f.outAfterMs} ms after the kill (ipvsadm polled); of ${f.sent} ` +
      `requests: failed in the failover ${JSON.stringify(f.failedInFailover)}, ` +
      `died in flight ${JSON.stringify(f.diedInFlight)}, timed out later ${JSON.stringify(f.timedOutLater)}`,
  );
  assert.ok(
    f.failedInFailover.length <= 1,
    `failed in the failover: ${JSON.stringify(f.failedInFailover)}`,
  );
});

test("the liveness endpoint answers on the address the manifest's probe names", async () => {
  const url = pod!.livenessUrl;
  assert.ok(url, 'the manifest has an httpGet liveness probe');
  // kubelet requests the probe from the node's network namespace; the pod shares it.
  const res = await fetch(url);
  assert.equal(res.status, 200, await res.text());
});

/**
 * kubelet's liveness probe as prober.go runs it: a new connection every periodSeconds, a failure
 * past timeoutSeconds, the container restarted after failureThreshold failures in a row. The
 * values are the manifest's.
 */
interface ProbeVerdicts {
  sent: number;
  failed: number;
  mostInARow: number;
  slowestMs: number;
}

async function kubeletLiveness(url: string, untilMs: number): Promise<ProbeVerdicts> {
  const spec = pod!.spec.spec.containers[0]!.livenessProbe!;
  const periodMs = (spec.periodSeconds ?? 10) * 1000;
  const timeoutMs = (spec.timeoutSeconds ?? 1) * 1000;
  const v = { sent: 0, failed: 0, mostInARow: 0, slowestMs: 0 };
  let inARow = 0;
  while (performance.now() < untilMs) {
    const t0 = performance.now();
    let ok = false;
    try {
      const res = await fetch(url, { signal: AbortSignal.timeout(timeoutMs) });
      ok = res.status >= 200 && res.status < 400;
      await res.arrayBuffer();
    } catch {
      ok = false;
    }
    const ms = performance.now() - t0;
    v.sent++;
    v.slowestMs = Math.max(v.slowestMs, ms);
    inARow = ok ? 0 : inARow + 1;
    if (!ok) v.failed++;
    v.mostInARow = Math.max(v.mostInARow, inARow);
    await sleep(Math.max(0, periodMs - ms));
  }
  return v;
}

test('a metrics flood from unprivileged local processes: kubelet would not restart lvscare, and a killed master still fails over', async () => {
  const url = pod!.livenessUrl!;
  const threshold = pod!.spec.spec.containers[0]!.livenessProbe!.failureThreshold ?? 3;
  const port = Number(pod!.metricsAddress.split(':').pop());
  // The flood of issue 22, as bench/liveness-flood.ts makes it: two processes asking for
  // /metrics back to back over 4 kept connections each, two opening and closing connections 256
  // at a time each, as uid 65534 (nobody) on this node.
  const FLOOD_MS = 60_000;
  const flooders = [
    ['scrape', 4],
    ['scrape', 4],
    ['churn', 256],
    ['churn', 256],
  ].map(([mode, width]) =>
    spawn(
      process.execPath,
      [FLOODER, String(mode), `127.0.0.1:${port}`, String(FLOOD_MS), String(width)],
      { uid: 65534, gid: 65534, stdio: ['ignore', 'pipe', 'inherit'] },
    ),
  );
  const flooded = flooders.map(
    (f) =>
      new Promise<{ ok: number; failed: number } | null>((resolve) => {
        let text = '';
        f.stdout.on('data', (c: Buffer) => (text += c.toString()));
        f.once('exit', () =>
          resolve(text ? (JSON.parse(text) as { ok: number; failed: number }) : null),
        );
      }),
  );
  const m1 = topo.masters[0]!;
  try {
    const probes = kubeletLiveness(url, performance.now() + FLOOD_MS);
    await sleep(15_000);
    topo.killMaster(m1);
    const killed = performance.now();
    const out = await waitTakenOut(vip, masterText(m1), TAKE_OUT_MS + FLOOD_MS);
    const outMs = performance.now() - killed;
    const v = await probes;
    const done = await Promise.all(flooded);
    console.log(
      `pod under a metrics flood: kubelet's liveness probe ${v.sent - v.failed}/${v.sent} answered ` +
        `(slowest ${Math.round(v.slowestMs)} ms, at most ${v.mostInARow} failed in a row); m1 out ` +
        `${Math.round(outMs)} ms after the kill; flooders: ${JSON.stringify(done)}`,
    );
    assert.ok(
      done.every((d) => d !== null),
      'every flooder ran to its end',
    );
    assert.ok(v.mostInARow < threshold, `kubelet would restart lvscare: ${JSON.stringify(v)}`);
    assert.ok(out, 'the killed master out of rotation during the flood');
  } finally {
    for (const f of flooders) f.kill();
    await topo.startMaster(m1);
  }
  assert.ok(await waitAllAt(vip, all(), 1, BRING_BACK_MS), 'm1 back at weight 1');
});

test("Prometheus scrapes the pod at the node's address with the shipped rules: a killed master fires LvscareMasterDown, resolved when back", async () => {
  // The shipped rules with every `for:` at 5 s (the shipped ones are minutes), scraped and
  // evaluated each second, from the router's namespace: it reaches the pod only over the bridge,
  // at the worker's address and the port the manifest names, as another node's Prometheus would.
  const port = Number(pod!.metricsAddress.split(':').pop());
  const target = `${topo.workerIp}:${port}`;
  const rules = rulesWithFor(
    join(MONITORING_DIR, 'lvscare-rules.yaml'),
    '5s',
    join(node.dir, 'lvscare-rules.yaml'),
  );
  const alertMs = 2 * 1000 + 5000 + 15_000;
  const prometheus = await Prometheus.start({
    targets: [target],
    ruleFiles: [rules],
    intervalSeconds: 1,
    netns: 'kha-router',
    listen: '10.0.0.1:9090',
  });
  try {
    const up = await prometheus.waitForData(`up{instance="${target}"} == 1`, 30_000);
    assert.equal(up.length, 1, `the pod's metrics at ${target} scraped`);
    const m1 = topo.masters[0]!;
    const master = masterText(m1);
    topo.killMaster(m1);
    try {
      const fired = await prometheus.waitForAlert(
        'LvscareMasterDown',
        { master },
        'firing',
        TAKE_OUT_MS + alertMs,
      );
      assert.equal(Number(fired?.value), 1, 'seen down by the one worker: the pod');
    } finally {
      await topo.startMaster(m1);
    }
    await prometheus.waitForAlert(
      'LvscareMasterDown',
      { master },
      'inactive',
      BRING_BACK_MS + alertMs,
    );
    assert.ok(await waitAllAt(vip, all(), 1, BRING_BACK_MS), 'm1 back at weight 1');
  } finally {
    await prometheus.stop();
  }
});

test('kha reset, then podman kube down as kubelet does once the manifest is gone: nothing left', async () => {
  const r = await node.reset(() => pod!.down());
  assert.equal(r.status, 0, r.out);
  assert.deepEqual(podmanLeftovers(), []);
  assert.deepEqual(node.leftovers(vip.address), NOTHING_LEFT);
  const url = pod!.livenessUrl!;
  await assert.rejects(fetch(url), 'nothing answers on the probe address');
});

test('link mode through the pod: the dummy link and its NAT table, which the image’s nft sees; gone after reset', async () => {
  const started = await startJoinedPod(topo.masters, topo.caCert, ['--lvscare-arg=--mode=link']);
  const { node: link, pod: p } = started;
  pod = p;
  assert.match(
    attempt('ip', ['-o', 'addr', 'show', 'dev', 'lvscare']).stdout,
    /10\.103\.97\.2\/32/,
  );
  assert.equal(attempt('nft', ['list', 'table', 'ip', 'kha-lvscare']).status, 0, 'NAT table');
  // The image's nft, run in the container's mount namespace and root (with the caller's
  // capabilities: it shows the binary works there, not what the pod may do).
  assert.match(p.inside('nft', 'list', 'table', 'ip', 'kha-lvscare').stdout, /masquerade/);
  const client = await withClient(vip, () => sleep(2000), 20);
  assert.deepEqual(client.failures(), [], 'the VIP answers through the link');
  const r = await link.reset(() => p.down());
  assert.equal(r.status, 0, r.out);
  assert.deepEqual(podmanLeftovers(), []);
  assert.deepEqual(link.leftovers(vip.address), NOTHING_LEFT);
});
