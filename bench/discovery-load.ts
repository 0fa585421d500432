// What master discovery costs the control plane: the requests each worker's discovery makes, counted
// at the stand-in API server (test/support), on both paths at once: a kubelet's own rights (the
// poll of endpoints/kubernetes) and kha's RBAC grant (the watch of the kubernetes EndpointSlice).
// Each worker is lvscare's own MasterDiscovery with its own client certificate, as on a node.
// Everything discovery does scales with its period (the poll, the watch's renewal, the budget,
// the watch retried from the poll path every ten periods), so the count per period measured at a
// short period is the count per minute at the one-minute default; the window covers more than two
// watch retries. Writes discovery-load.json to $KHA_BENCH_OUT_DIR (default bench/out).
import { mkdirSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import {
  DEFAULT_DISCOVERY_TIMINGS,
  MasterDiscovery,
  type DiscoveryTimings,
  loadKubeconfig,
} from '@kha/lvscare/parts';
import type * as ApiserverModule from '../test/dist/support/apiserver.js';
import type * as PkiModule from '../test/dist/support/pki.js';
import type * as RegistryModule from '../test/dist/support/registry.js';

// The test tier's stand-in API server, compiled in test/dist; bench/dist sits one level deeper
// than this source, so it is found from the compiled file's own location.
const support = new URL('../../test/dist/support/', import.meta.url);
const { startRegistryApiserver } = (await import(
  new URL('apiserver.js', support).href
)) as typeof ApiserverModule;
const { makePki } = (await import(new URL('pki.js', support).href)) as typeof PkiModule;
const { grantDiscovery, publishMasters } = (await import(
  new URL('registry.js', support).href
)) as typeof RegistryModule;
type FakeApiserver = ApiserverModule.FakeApiserver;

const PERIOD_MS = Number(process.env.KHA_BENCH_DISCOVERY_PERIOD_MS ?? 5000);
const PERIODS = Number(process.env.KHA_BENCH_DISCOVERY_PERIODS ?? 30);
const WORKERS = Number(process.env.KHA_BENCH_DISCOVERY_WORKERS ?? 10);
/** Start-up (the refused list, the first answers) is not steady state. */
const WARM_UP_PERIODS = 2;

const timings: DiscoveryTimings = {
  ...DEFAULT_DISCOVERY_TIMINGS,
  periodMs: PERIOD_MS,
  retryWatchMs: 10 * PERIOD_MS,
};

const dir = mkdtempSync(join(tmpdir(), 'kha-discovery-load-'));
const pki = makePki(join(dir, 'pki'));
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

interface PathLoad {
  path: 'poll' | 'watch';
  workers: number;
  periods: number;
  /** Requests per worker per period in steady state: one entry per worker. */
  perPeriod: number[];
  /** Refused requests (403) per worker per period. */
  forbiddenPerPeriod: number[];
  /** Failures the workers' discovery reported in the window, by reason: none in steady state. */
  errors: Record<string, number>;
}

async function measure(path: 'poll' | 'watch'): Promise<{
  run: () => Promise<PathLoad>;
  api: FakeApiserver;
}> {
  const registry = join(dir, `${path}.json`);
  publishMasters(registry, [
    { ip: '10.0.0.11', port: 6443 },
    { ip: '10.0.0.12', port: 6443 },
    { ip: '10.0.0.13', port: 6443 },
  ]);
  grantDiscovery(registry, path === 'watch');
  // Bookmarks once a minute as kube-apiserver sends them; they are not requests.
  const api = await startRegistryApiserver(pki, registry, 60_000);
  const errors: Record<string, number> = {};
  let counting = false;
  const users = Array.from({ length: WORKERS }, (_, i) => `system:node:${path}-${i}`);
  const clients = users.map((user) => {
    const c = pki.client(user, 'system:nodes');
    const conf = join(dir, `${user.replace(/:/g, '_')}.conf`);
    writeFileSync(
      conf,
      `clusters: [{name: c, cluster: {server: "https://127.0.0.1:${api.port}", certificate-authority: ${pki.caCert}}}]\n` +
        'contexts: [{name: x, context: {cluster: c, user: u}}]\ncurrent-context: x\n' +
        `users: [{name: u, user: {client-certificate: ${c.cert}, client-key: ${c.key}}}]\n`,
    );
    return new MasterDiscovery(
      () => loadKubeconfig(conf),
      {
        answer() {},
        synced() {},
        error(reason) {
          if (counting) errors[reason] = (errors[reason] ?? 0) + 1;
        },
        note() {},
      },
      timings,
    );
  });
  const run = async (): Promise<PathLoad> => {
    for (const c of clients) c.start();
    await sleep(WARM_UP_PERIODS * PERIOD_MS);
    const requests0 = users.map((u) => api.apiStats!.byUser[u] ?? 0);
    const forbidden0 = api.apiStats!.forbidden;
    const started = performance.now();
    counting = true;
    await sleep(PERIODS * PERIOD_MS);
    counting = false;
    const periods = (performance.now() - started) / PERIOD_MS;
    const perPeriod = users.map(
      (u, i) => ((api.apiStats!.byUser[u] ?? 0) - requests0[i]!) / periods,
    );
    const forbidden = (api.apiStats!.forbidden - forbidden0) / periods / WORKERS;
    await Promise.all(clients.map((c) => c.stop()));
    await api.close();
    return {
      path,
      workers: WORKERS,
      periods,
      perPeriod,
      forbiddenPerPeriod: users.map(() => forbidden),
      errors,
    };
  };
  return { run, api };
}

const poll = await measure('poll');
const watch = await measure('watch');
const results = await Promise.all([poll.run(), watch.run()]);
const outDir = process.env.KHA_BENCH_OUT_DIR ?? join(process.cwd(), 'bench', 'out');
mkdirSync(outDir, { recursive: true });
const out = {
  date: new Date().toISOString().slice(0, 10),
  periodMs: PERIOD_MS,
  defaultPeriodMs: DEFAULT_DISCOVERY_TIMINGS.periodMs,
  warmUpPeriods: WARM_UP_PERIODS,
  paths: results,
};
writeFileSync(join(outDir, 'discovery-load.json'), `${JSON.stringify(out, null, 2)}\n`);
for (const r of results)
  console.log(
    `discovery-load: ${r.path}: ${(r.perPeriod.reduce((a, b) => a + b, 0) / r.perPeriod.length).toFixed(3)} requests per worker per period over ${r.periods.toFixed(1)} periods of ${PERIOD_MS} ms; errors ${JSON.stringify(r.errors)}`,
  );
process.exit(0);
