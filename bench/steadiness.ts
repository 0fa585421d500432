// The side-by-side bench's no-false-positive scenarios and the probe load each contender puts on
// a master, measured at the master. Every contender runs at once, so each sees the same stress.
import { spawn } from 'node:child_process';
import { cpus } from 'node:os';
import type * as RunModule from '../test/dist/support/run.js';
import type * as TopologyModule from '../test/dist/support/topology.js';
import { type Contender, type Master, sleep } from './contender.js';

type Topology = TopologyModule.Topology;
type Run = (typeof RunModule)['run'];

/** How often the watch reads every contender's view of every master. */
const WATCH_EVERY_MS = 100;

export interface Steadiness {
  contender: string;
  /** In-to-out and out-to-in changes of any master during the window. */
  transitions: number;
  /** Masters seen out at any moment of the window. */
  everOut: string[];
}

/** Watches every contender's view of every master for `ms`, counting changes of state. */
export async function watchStates(
  contenders: Contender[],
  masters: Master[],
  ms: number,
): Promise<Steadiness[]> {
  const last = contenders.map(() => masters.map(() => false));
  const result = contenders.map((c) => ({
    contender: c.name,
    transitions: 0,
    everOut: new Set<string>(),
  }));
  const end = performance.now() + ms;
  while (performance.now() < end) {
    await Promise.all(
      contenders.map(async (c, i) => {
        for (const [j, m] of masters.entries()) {
          const out = await c.isOut(m);
          if (out !== last[i]![j]) result[i]!.transitions++;
          if (out) result[i]!.everOut.add(m.name);
          last[i]![j] = out;
        }
      }),
    );
    await sleep(WATCH_EVERY_MS);
  }
  return result.map((r) => ({ ...r, everOut: [...r.everOut] }));
}

/** A master whose /healthz answers after `slowMs` (within every contender's timeout) for `ms`. */
export async function slowMaster(
  topo: Topology,
  contenders: Contender[],
  victim: Master,
  slowMs: number,
  ms: number,
): Promise<Steadiness[]> {
  await topo.control(victim, `healthz=slow&ms=${slowMs}`);
  try {
    return await watchStates(contenders, topo.masters, ms);
  } finally {
    await topo.control(victim, 'healthz=ok');
  }
}

/** The worker's CPU saturated by one busy loop per core (another process) for `ms`. */
export async function cpuSaturated(
  topo: Topology,
  contenders: Contender[],
  ms: number,
): Promise<Steadiness[]> {
  const loops = cpus().map(() =>
    spawn('sh', ['-c', 'while :; do :; done'], { stdio: 'ignore', detached: false }),
  );
  try {
    return await watchStates(contenders, topo.masters, ms);
  } finally {
    for (const l of loops) l.kill('SIGKILL');
  }
}

interface AgentLoad {
  healthz: number;
  connections: number;
}

/** Each master's probe counters per User-Agent, with the time each was read. */
function agentCounters(
  topo: Topology,
  run: Run,
): Array<{ byAgent: Record<string, AgentLoad>; at: number }> {
  return topo.masters.map((m) => {
    const url = `http://${m.ip}:${m.controlPort}/control`;
    const c = JSON.parse(run('ip', ['netns', 'exec', m.ns, 'curl', '-sf', url])) as {
      byAgent: Record<string, AgentLoad>;
    };
    return { byAgent: c.byAgent, at: performance.now() };
  });
}

export interface ProbeLoad {
  contender: string;
  /** /healthz requests per second each master received from this contender (one worker). */
  healthzPerSecondPerMaster: number[];
  /** New TLS connections per minute each master accepted for this contender's probes. */
  handshakesPerMinutePerMaster: number[];
}

/** Probe load per contender as the masters count it, over `ms` of steady state. */
export async function probeLoad(
  topo: Topology,
  contenders: Contender[],
  run: Run,
  ms: number,
): Promise<ProbeLoad[]> {
  const before = agentCounters(topo, run);
  await sleep(ms);
  const after = agentCounters(topo, run);
  const seen = new Set(after.flatMap((a) => Object.keys(a.byAgent)));
  console.log(
    `probe user agents seen at the masters: ${[...seen].map((s) => JSON.stringify(s)).join(',')}`,
  );
  return contenders.map((c) => {
    const per = (field: keyof AgentLoad, perSeconds: number) =>
      topo.masters.map((_, i) => {
        const delta =
          (after[i]!.byAgent[c.agent]?.[field] ?? 0) - (before[i]!.byAgent[c.agent]?.[field] ?? 0);
        return (delta / ((after[i]!.at - before[i]!.at) / 1000)) * perSeconds;
      });
    return {
      contender: c.name,
      healthzPerSecondPerMaster: per('healthz', 1),
      handshakesPerMinutePerMaster: per('connections', 60),
    };
  });
}
