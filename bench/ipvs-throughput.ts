// Netlink throughput: 1000 services x 3 destinations created and deleted by the library (one
// kept socket) and by `ipvsadm -R` from the equivalent rules file (ipvsadm opens a socket and
// resolves the family for every rule). Runs where IPVS exists (the VM); prints JSON and Markdown.
import { spawnSync } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import { IpvsClient, type Destination, type Service } from '@kha/netlink-ffi';

const SERVICES = Number(process.env.KHA_BENCH_SERVICES ?? 1000);
const DESTS = 3;
const ROUNDS = Number(process.env.KHA_BENCH_ROUNDS ?? 5);

const services: Service[] = Array.from({ length: SERVICES }, (_, i) => ({
  family: 'inet',
  protocol: 'tcp',
  address: `10.${100 + (i >> 8)}.${i & 0xff}.1`,
  port: 6443,
  scheduler: 'rr',
  flags: 0,
  timeout: 0,
  netmask: 32,
}));
const destinations: Destination[] = Array.from({ length: DESTS }, (_, d) => ({
  address: `192.168.0.${d + 2}`,
  port: 6443,
  forward: 'masq',
  weight: 1,
  upperThreshold: 0,
  lowerThreshold: 0,
}));

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

const median = (xs: number[]): number => {
  const s = [...xs].sort((a, b) => a - b);
  const m = s.length >> 1;
  return s.length % 2 ? s[m]! : (s[m - 1]! + s[m]!) / 2;
};
const summary = (xs: number[]) => ({
  median: median(xs),
  min: Math.min(...xs),
  max: Math.max(...xs),
  samples: xs,
});

async function main(): Promise<void> {
  ipvsadm(['-C']);
  const client = await IpvsClient.open();
  const lib: number[] = [];
  const adm: number[] = [];
  const libParts: Array<{ create: number; remove: number }> = [];
  const admParts: Array<{ create: number; remove: number }> = [];
  for (let round = 0; round < ROUNDS; round++) {
    // Alternate the order so that neither side always runs on a warmer kernel.
    const first = round % 2 === 0 ? 'library' : 'ipvsadm';
    for (const who of first === 'library' ? ['library', 'ipvsadm'] : ['ipvsadm', 'library']) {
      if (who === 'library') {
        const r = await timeLibrary(client);
        libParts.push(r);
        lib.push(r.create + r.remove);
      } else {
        const r = timeIpvsadmRestore();
        admParts.push(r);
        adm.push(r.create + r.remove);
      }
    }
  }
  await client.close();
  const result = {
    date: new Date().toISOString(),
    kernel: spawnSync('uname', ['-r'], { encoding: 'utf8' }).stdout.trim(),
    ipvsadm: ipvsadm(['--version']).trim(),
    node: process.version,
    services: SERVICES,
    destinationsPerService: DESTS,
    rounds: ROUNDS,
    libraryMs: summary(lib),
    libraryCreateMs: summary(libParts.map((p) => p.create)),
    libraryDeleteMs: summary(libParts.map((p) => p.remove)),
    ipvsadmRestoreMs: summary(adm),
    ipvsadmRestoreCreateMs: summary(admParts.map((p) => p.create)),
    ipvsadmRestoreDeleteMs: summary(admParts.map((p) => p.remove)),
    ratio: median(lib) / median(adm),
  };
  const f = (s: { median: number; min: number; max: number }) =>
    `${s.median.toFixed(0)} (${s.min.toFixed(0)}–${s.max.toFixed(0)})`;
  const md = [
    `| ${SERVICES} services x ${DESTS} destinations, ${ROUNDS} rounds | create ms | delete ms | total ms |`,
    '|---|---|---|---|',
    `| library (one kept socket) | ${f(result.libraryCreateMs)} | ${f(result.libraryDeleteMs)} | ${f(result.libraryMs)} |`,
    `| ipvsadm -R | ${f(result.ipvsadmRestoreCreateMs)} | ${f(result.ipvsadmRestoreDeleteMs)} | ${f(result.ipvsadmRestoreMs)} |`,
    '',
    `library / ipvsadm -R (median totals): ${result.ratio.toFixed(3)}`,
  ].join('\n');
  console.log(md);
  const out = process.env.KHA_BENCH_OUT;
  if (out) writeFileSync(out, `${JSON.stringify(result, null, 2)}\n`);
}

await main();
