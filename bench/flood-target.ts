// lvscare's two HTTP listeners alone, for the liveness-flood bench on a host without IPVS (where
// `lvscare care` cannot start): the same startMetricsServer and startLivenessServer the daemon
// runs, on the same addresses and limits, serving a CareMetrics of three masters, and a loop that
// ticks every 5 s (lvscare's default interval) as the daemon's liveness is judged by. No probing and
// no kernel: what it shows is the listeners under the flood, on a real CPU.
import type * as LivenessServerModule from '../packages/lvscare/dist/src/http/liveness-server.js';
import type * as MetricsServerModule from '../packages/lvscare/dist/src/http/metrics-server.js';
import type * as MetricsModule from '../packages/lvscare/dist/src/metrics/metrics.js';

const dist = new URL('../../packages/lvscare/dist/src/', import.meta.url);
const { startLivenessServer } = (await import(
  new URL('http/liveness-server.js', dist).href
)) as typeof LivenessServerModule;
const { startMetricsServer } = (await import(
  new URL('http/metrics-server.js', dist).href
)) as typeof MetricsServerModule;
const { CareMetrics } = (await import(
  new URL('metrics/metrics.js', dist).href
)) as typeof MetricsModule;

const INTERVAL_MS = 5000;
const masters = ['10.0.0.11:6443', '10.0.0.12:6443', '10.0.0.13:6443'];
const metrics = new CareMetrics(masters, '10.103.97.2:6443');
for (const m of masters) metrics.setMasterState(m, 'up');
let lastTick = performance.now();
setInterval(() => {
  lastTick = performance.now();
  for (const m of masters) metrics.probe(m, 2, undefined);
}, INTERVAL_MS);
// As CareDaemon.livenessProblem judges it with the default interval and probe timeout.
const state = {
  livenessProblem: () => {
    const age = performance.now() - lastTick;
    return age > 3 * INTERVAL_MS + 1000
      ? `no reconcile started for ${Math.round(age)}ms`
      : undefined;
  },
  readinessProblem: () => undefined,
};
await startMetricsServer('0.0.0.0', 9299, metrics, state);
await startLivenessServer('127.0.0.1', 9298, state);
console.error('flood-target: listening on 0.0.0.0:9299 (metrics) and 127.0.0.1:9298 (liveness)');
process.once('SIGTERM', () => process.exit(0));
