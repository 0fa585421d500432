// `lvscare ipvs list --json` against `ipvsadm -Ln` with 1000 services x 3 destinations in the
// kernel, each run as a fresh process the way an operator (or the image) runs it: the bundled
// dist/image/lvscare.mjs through its own first line, start-up included. Beside them the floors
// that say where the time goes: `node -e 0` (the runtime's own start-up) and `lvscare version`
// (start-up through the full command-line parser). With KHA_BENCH_NODE24 naming a Node 24
// binary (the image's runtime; bench/run.sh passes the one scripts/image.sh fetched), the
// listing and the floor run again with that node first on PATH, which is how the image's
// entry point finds it. And the floor (bench/ipvs-list-floor.ts): a node doing the same kernel
// exchanges and writing as many bytes, with none of our code, under the listing's newest node.
// Runs where IPVS exists (the VM).
import { spawnSync } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import { dirname } from 'node:path';
import { IpvsClient } from '@kha/netlink-ffi';
import { DESTS, ROUNDS, SERVICES, destinations, services } from './ipvs-load.js';
import type * as ArtifactModule from '../test/dist/support/artifact.js';
import { summary } from './stats.js';

const support = new URL('../../test/dist/support/', import.meta.url);
const { LVSCARE_BIN } = (await import(
  new URL('artifact.js', support).href
)) as typeof ArtifactModule;

interface Way {
  name: string;
  cmd: string;
  args: string[];
  /** PATH for the way, when it is not this process's own. */
  path?: string;
  /** What the output must show, so a fast failure is never a fast result. */
  check(stdout: string, stderr: string): void;
}

const LIST = 'lvscare ipvs list --json';
const LIST_NODE24 = 'lvscare ipvs list --json (Node 24)';
const FLOOR = 'floor: node, koffi, the same dumps, as many bytes written, nothing decoded';
const node24 = process.env.KHA_BENCH_NODE24;

function checkListing(out: string): void {
  const list = JSON.parse(out) as Array<{ destinations: unknown[] }>;
  const dests = list.reduce((n, s) => n + s.destinations.length, 0);
  if (list.length !== SERVICES || dests !== SERVICES * DESTS)
    throw new Error(`lvscare listed ${list.length} services, ${dests} destinations`);
}

const ways: Way[] = [
  { name: LIST, cmd: LVSCARE_BIN, args: ['ipvs', 'list', '--json'], check: checkListing },
  {
    name: 'ipvsadm -Ln',
    cmd: 'ipvsadm',
    args: ['-Ln'],
    check(out) {
      const rows = out.split('\n').filter((l) => /^  -> \d/.test(l)).length;
      if (rows !== SERVICES * DESTS) throw new Error(`ipvsadm listed ${rows} destinations`);
    },
  },
  {
    name: 'lvscare version (start-up, full parser)',
    cmd: LVSCARE_BIN,
    args: ['version'],
    check() {},
  },
  {
    name: `node -e 0 (runtime start-up, ${process.version})`,
    cmd: process.execPath,
    args: ['-e', '0'],
    check() {},
  },
];
if (node24) {
  const path = `${dirname(node24)}:${process.env.PATH ?? ''}`;
  const version = spawnSync(node24, ['--version'], { encoding: 'utf8' }).stdout.trim();
  if (!version.startsWith('v24.')) throw new Error(`KHA_BENCH_NODE24 is ${version || 'no node'}`);
  ways.push(
    {
      name: LIST_NODE24,
      cmd: LVSCARE_BIN,
      args: ['ipvs', 'list', '--json'],
      path,
      check: checkListing,
    },
    {
      name: `node -e 0 (runtime start-up, ${version})`,
      cmd: node24,
      args: ['-e', '0'],
      check() {},
    },
  );
}

const floor: Way = {
  name: FLOOR,
  cmd: node24 ?? process.execPath,
  args: [new URL('ipvs-list-floor.js', import.meta.url).pathname],
  check(out, err) {
    const want = `${SERVICES} services, ${SERVICES * DESTS} destinations`;
    if (!err.includes(want)) throw new Error(`the floor listed ${err.trim()}, not ${want}`);
    if (out.length !== Number(this.args[1])) throw new Error(`the floor wrote ${out.length} bytes`);
  },
};
ways.push(floor);

function timed(w: Way): number {
  const t0 = performance.now();
  const env = w.path ? { ...process.env, PATH: w.path } : process.env;
  const r = spawnSync(w.cmd, w.args, { encoding: 'utf8', maxBuffer: 256 << 20, env });
  const ms = performance.now() - t0;
  if (r.status !== 0) throw new Error(`${w.name} failed (${r.status}): ${r.stderr}`);
  w.check(r.stdout, r.stderr);
  return ms;
}

async function main(): Promise<void> {
  spawnSync('ipvsadm', ['-C']);
  const client = await IpvsClient.open();
  try {
    const errors = await client.batch(
      services.flatMap((service) => [
        { op: 'create-service' as const, service },
        ...destinations.map((destination) => ({
          op: 'create-destination' as const,
          service,
          destination,
        })),
      ]),
    );
    if (errors.some((e) => e)) throw new Error(`set-up failed: ${errors.find((e) => e)?.message}`);
    const listing = spawnSync(LVSCARE_BIN, ['ipvs', 'list', '--json'], { maxBuffer: 256 << 20 });
    floor.args.push(String(listing.stdout.length));
    for (const w of ways) timed(w); // page cache and module caches warm for every way alike
    const ms: Record<string, number[]> = Object.fromEntries(ways.map((w) => [w.name, []]));
    for (let round = 0; round < ROUNDS; round++) {
      const order = round % 2 ? [...ways].reverse() : ways;
      for (const w of order) ms[w.name]!.push(timed(w));
      console.log(`ipvs list round ${round + 1}/${ROUNDS} done`);
    }
    const result = {
      services: SERVICES,
      destinationsPerService: DESTS,
      rounds: ROUNDS,
      ms: Object.fromEntries(Object.entries(ms).map(([k, v]) => [k, summary(v)])),
      node: process.version,
      ratioToIpvsadm: summary(ms[LIST]!).median / summary(ms['ipvsadm -Ln']!).median,
      ...(node24 && {
        ratioToIpvsadmNode24: summary(ms[LIST_NODE24]!).median / summary(ms['ipvsadm -Ln']!).median,
      }),
      floorNode: spawnSync(floor.cmd, ['--version'], { encoding: 'utf8' }).stdout.trim(),
      floorRatioToIpvsadm: summary(ms[FLOOR]!).median / summary(ms['ipvsadm -Ln']!).median,
    };
    for (const [k, v] of Object.entries(result.ms))
      console.log(`${k}: ${v.median.toFixed(0)} ms (${v.min.toFixed(0)}–${v.max.toFixed(0)})`);
    console.log(`lvscare / ipvsadm: ${result.ratioToIpvsadm.toFixed(2)}`);
    if (result.ratioToIpvsadmNode24)
      console.log(`lvscare on Node 24 / ipvsadm: ${result.ratioToIpvsadmNode24.toFixed(2)}`);
    console.log(`floor on ${result.floorNode} / ipvsadm: ${result.floorRatioToIpvsadm.toFixed(2)}`);
    const out = process.env.KHA_BENCH_OUT_DIR;
    if (out) writeFileSync(`${out}/ipvs-list.json`, `${JSON.stringify(result, null, 2)}\n`);
  } finally {
    await client.batch(services.map((service) => ({ op: 'remove-service' as const, service })));
    await client.close();
  }
}

await main();
