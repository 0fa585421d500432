// Netlink throughput: 1000 services x 3 destinations created and deleted by the library (one
// kept socket; one request per round trip, and batched, 64 requests to a datagram) and by
// `ipvsadm -R` from the equivalent rules file (ipvsadm opens a socket and resolves the family for
// every rule). Runs where IPVS exists (the VM); prints JSON and Markdown.
import { spawnSync } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import { IpvsClient } from '@kha/netlink-ffi';
import { DESTS, ROUNDS, SERVICES, destinations, services } from './ipvs-load.js';
import { median, summary } from './stats.js';

const createRules = services.flatMap((s) => [
  `-A -t ${s.address}:${s.port} -s rr`,
  ...destinations.map((d) => `-a -t ${s.address}:${s.port} -r ${d.address}:${d.port} -m -w 1`),
]);
const deleteRules = services.map((s) => `-D -t ${s.address}:${s.port}`);

function ipvsadm(args: string[], input?: string): string {
  const r = spawnSync('ipvsadm', args, { input, encoding: 'utf8', maxBuffer: 64 << 20 });
  if (r.status !== 0) throw new Error(`ipvsadm ${args.join(' ')} failed: ${r.stderr}`);
  return r.stdout;
}

function ruleCount(): number {
  return ipvsadm(['-S', '-n'])
    .split('\n')
    .filter((l) => l.trim() !== '').length;
}

function expectRules(n: number, after: string): void {
  const got = ruleCount();
  if (got !== n) throw new Error(`after ${after}: the kernel holds ${got} rules, expected ${n}`);
}

async function timeLibrary(client: IpvsClient): Promise<{ create: number; remove: number }> {
  const t0 = performance.now();
  for (const s of services) {
    await client.createService(s);
    for (const d of destinations) await client.createDestination(s, d);
  }
  const t1 = performance.now();
  expectRules(SERVICES * (DESTS + 1), 'library create');
  const t2 = performance.now();
  for (const s of services) await client.removeService(s);
  const t3 = performance.now();
  expectRules(0, 'library delete');
  return { create: t1 - t0, remove: t3 - t2 };
}

async function timeLibraryBatch(client: IpvsClient): Promise<{ create: number; remove: number }> {
  const creates = services.flatMap((service) => [
    { op: 'create-service' as const, service },
    ...destinations.map((destination) => ({
      op: 'create-destination' as const,
      service,
      destination,
    })),
  ]);
  const removes = services.map((service) => ({ op: 'remove-service' as const, service }));
  const t0 = performance.now();
  const created = await client.batch(creates);
  const t1 = performance.now();
  if (created.some((e) => e))
    throw new Error(`batch create failed: ${created.find((e) => e)?.message}`);
  expectRules(SERVICES * (DESTS + 1), 'library batch create');
  const t2 = performance.now();
  const removed = await client.batch(removes);
  const t3 = performance.now();
  if (removed.some((e) => e))
    throw new Error(`batch delete failed: ${removed.find((e) => e)?.message}`);
  expectRules(0, 'library batch delete');
  return { create: t1 - t0, remove: t3 - t2 };
}

function timeIpvsadmRestore(): { create: number; remove: number } {
  const t0 = performance.now();
  ipvsadm(['-R'], `${createRules.join('\n')}\n`);
  const t1 = performance.now();
  expectRules(SERVICES * (DESTS + 1), 'ipvsadm -R create');
  const t2 = performance.now();
  ipvsadm(['-R'], `${deleteRules.join('\n')}\n`);
  const t3 = performance.now();
  expectRules(0, 'ipvsadm -R delete');
  return { create: t1 - t0, remove: t3 - t2 };
}

/**
 * One ipvsadm process per rule, as a shell script calling ipvsadm in a loop would. Every process
 * does the same fixed work, so its cost is linear in the rule count: under the emulated CPU one
 * process takes about 0.1 s, and 5000 of them per round would not fit a bench run. It runs the
 * first PER_OP_SERVICES services (each with its destinations) and is scaled to the full count,
 * which RESULTS.md says.
 */
const PER_OP_SERVICES = Math.min(SERVICES, Number(process.env.KHA_BENCH_PER_OP_SERVICES ?? 100));

function timeIpvsadmPerOperation(): { create: number; remove: number } {
  const each = (rules: string[]) => {
    for (const r of rules) ipvsadm(r.split(' '));
  };
  const scale = SERVICES / PER_OP_SERVICES;
  const creates = createRules.slice(0, PER_OP_SERVICES * (DESTS + 1));
  const t0 = performance.now();
  each(creates);
  const t1 = performance.now();
  expectRules(PER_OP_SERVICES * (DESTS + 1), 'ipvsadm per operation create');
  const t2 = performance.now();
  each(deleteRules.slice(0, PER_OP_SERVICES));
  const t3 = performance.now();
  expectRules(0, 'ipvsadm per operation delete');
  return { create: (t1 - t0) * scale, remove: (t3 - t2) * scale };
}

type Path = 'library' | 'batch' | 'ipvsadm' | 'ipvsadmPerOp';

async function main(): Promise<void> {
  ipvsadm(['-C']);
  const client = await IpvsClient.open();
  const runs: Record<Path, Array<{ create: number; remove: number }>> = {
    library: [],
    batch: [],
    ipvsadm: [],
    ipvsadmPerOp: [],
  };
  const order: Path[] = ['library', 'batch', 'ipvsadm', 'ipvsadmPerOp'];
  for (let round = 0; round < ROUNDS; round++) {
    // Rotate the order so that no contender always runs on a warmer kernel.
    for (let k = 0; k < order.length; k++) {
      const who = order[(round + k) % order.length]!;
      runs[who].push(
        who === 'library'
          ? await timeLibrary(client)
          : who === 'batch'
            ? await timeLibraryBatch(client)
            : who === 'ipvsadm'
              ? timeIpvsadmRestore()
              : timeIpvsadmPerOperation(),
      );
    }
  }
  await client.close();
  const totals = (who: keyof typeof runs) => runs[who].map((r) => r.create + r.remove);
  const part = (who: keyof typeof runs, p: 'create' | 'remove') =>
    summary(runs[who].map((r) => r[p]));
  const result = {
    date: new Date().toISOString(),
    kernel: spawnSync('uname', ['-r'], { encoding: 'utf8' }).stdout.trim(),
    ipvsadm: ipvsadm(['--version']).trim(),
    node: process.version,
    services: SERVICES,
    destinationsPerService: DESTS,
    perOperationServicesMeasured: PER_OP_SERVICES,
    rounds: ROUNDS,
    libraryMs: {
      total: summary(totals('library')),
      create: part('library', 'create'),
      delete: part('library', 'remove'),
    },
    libraryBatchMs: {
      total: summary(totals('batch')),
      create: part('batch', 'create'),
      delete: part('batch', 'remove'),
    },
    ipvsadmRestoreMs: {
      total: summary(totals('ipvsadm')),
      create: part('ipvsadm', 'create'),
      delete: part('ipvsadm', 'remove'),
    },
    ipvsadmPerOperationMs: {
      total: summary(totals('ipvsadmPerOp')),
      create: part('ipvsadmPerOp', 'create'),
      delete: part('ipvsadmPerOp', 'remove'),
    },
    ratioLibrary: median(totals('library')) / median(totals('ipvsadm')),
    ratioBatch: median(totals('batch')) / median(totals('ipvsadm')),
    ratioBatchPerOp: median(totals('batch')) / median(totals('ipvsadmPerOp')),
  };
  const f = (s: { median: number; min: number; max: number }) =>
    `${s.median.toFixed(0)} (${s.min.toFixed(0)}–${s.max.toFixed(0)})`;
  const row = (name: string, r: (typeof result)['libraryMs']) =>
    `| ${name} | ${f(r.create)} | ${f(r.delete)} | ${f(r.total)} |`;
  const md = [
    `| ${SERVICES} services x ${DESTS} destinations, ${ROUNDS} rounds, median (min–max) | create ms | delete ms | total ms |`,
    '|---|---|---|---|',
    row('library, one request per round trip', result.libraryMs),
    row('library, batched (64 per datagram)', result.libraryBatchMs),
    row('ipvsadm -R', result.ipvsadmRestoreMs),
    row('one ipvsadm process per operation', result.ipvsadmPerOperationMs),
    '',
    `library / ipvsadm -R: ${result.ratioLibrary.toFixed(3)}; batched / ipvsadm -R: ${result.ratioBatch.toFixed(3)} (median totals)`,
  ].join('\n');
  console.log(md);
  const out = process.env.KHA_BENCH_OUT;
  if (out) writeFileSync(out, `${JSON.stringify(result, null, 2)}\n`);
}

await main();
