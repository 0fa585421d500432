// kha's own record of what join set up (`<state-dir>/state.json`, /var/lib/kha by default), so
// reset undoes exactly that, whatever happened to the manifest since, and an interrupted reset
// can be run again. Written before join changes anything; after a reset it says so.
import { promises as fs } from 'node:fs';
import { join } from 'node:path';
import { writeFileAtomically } from '@kha/lvscare';

const STATE_FILE = 'state.json';
export const DEFAULT_STATE_DIR = '/var/lib/kha';

/** One join: enough to take down its rules and its hosts entry. */
export interface JoinRecord {
  /** The VIP as "addr:port" ("[addr]:port" for IPv6). */
  vip: string;
  /** `lvscare care` flags the rules were made with, CA file left out. */
  careArgs: string[];
  hostsFile: string;
  manifestPath: string;
  modulesLoadDir: string;
  sysctlDir: string;
  /** kha's version and the time of the join, for the operator. */
  kha: string;
  at: string;
}

export interface KhaState {
  version: 1;
  /** 'joined': the records are set up (or being set up); 'reset': all undone. */
  status: 'joined' | 'reset';
  /** Every VIP joined since the last reset, oldest first. */
  joins: JoinRecord[];
}

export const statePath = (dir: string): string => join(dir, STATE_FILE);

/** The state, or undefined when kha never wrote one there. A damaged file is an error. */
export async function readState(dir: string): Promise<KhaState | undefined> {
  let text: string;
  try {
    text = await fs.readFile(statePath(dir), 'utf8');
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
    throw err;
  }
  let state: KhaState;
  try {
    state = JSON.parse(text) as KhaState;
  } catch {
    throw new Error(`${statePath(dir)} is not kha's state (not JSON); move it away to start over`);
  }
  if (state?.version !== 1 || !Array.isArray(state.joins))
    throw new Error(
      `${statePath(dir)} is not a state file this kha knows (version ${String(state?.version)})`,
    );
  return state;
}

export async function writeState(dir: string, state: KhaState): Promise<void> {
  await fs.mkdir(dir, { recursive: true, mode: 0o700 });
  await writeFileAtomically(statePath(dir), `${JSON.stringify(state, null, 2)}\n`, { mode: 0o600 });
}

/** The state after joining `record`: a VIP joined again replaces its own earlier record. */
export function withJoin(state: KhaState | undefined, record: JoinRecord): KhaState {
  const earlier = state?.status === 'joined' ? state.joins : [];
  return {
    version: 1,
    status: 'joined',
    joins: [...earlier.filter((j) => j.vip !== record.vip), record],
  };
}

/** Whether two records set up the same thing (the time aside). */
export function sameSetup(one: JoinRecord, other: JoinRecord): boolean {
  const { at: _a, kha: _k, ...x } = one;
  const { at: _b, kha: _l, ...y } = other;
  return JSON.stringify(x) === JSON.stringify(y);
}

/** The flags without the CA file (not needed to take rules down, and it may be gone). */
export function withoutCaFile(args: string[]): string[] {
  return args.filter(
    (a, i) =>
      a !== '--health-ca-file' &&
      args[i - 1] !== '--health-ca-file' &&
      !a.startsWith('--health-ca-file='),
  );
}
