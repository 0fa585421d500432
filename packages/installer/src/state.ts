// kha's own record of what join (or adopt) set up (`<state-dir>/state.json`, /var/lib/kha by
// default), so reset undoes exactly that, whatever happened to the manifest since, and an
// interrupted reset can be run again; update reads the pod's flags from it and changes only those
// it is given. Written before a command changes anything; after a reset it says so.
import { promises as fs } from 'node:fs';
import { join } from 'node:path';
import { writeFileAtomically } from '@kha/lvscare';
import type { RecordWrite, StepName } from './step.js';
import { unifiedDiff } from './unified-diff.js';

const STATE_FILE = 'state.json';
export const DEFAULT_STATE_DIR = '/var/lib/kha';

/** What records of a kha that kept no step list set up. */
export const LEGACY_STEPS: StepName[] = ['hosts', 'rules', 'masters-file', 'manifest'];

/** The static pod's flags as `kha join` reads them (kebab-case names camelCased). */
export interface RecordedPod {
  vip: string;
  master: string[];
  image: string;
  caFile: string;
  metricsAddress: string;
  lvscareArg: string[];
  discover: boolean;
  /** Discovery's flags, when it is on. */
  kubeconfig?: string | undefined;
  discoverStateFile?: string | undefined;
  discoverCidr?: string | undefined;
}

/** The kubelet kubeconfig adopt re-pointed at the VIP, and where its original is kept. */
export interface KubeconfigRecord {
  path: string;
  /** The original, byte for byte, beside the record. */
  original: string;
  /** sha256 of what adopt wrote: reset puts the original back only over exactly that. */
  writtenSha256: string;
}

/** One join: enough to take down its rules and its hosts entry. */
export interface JoinRecord {
  /** The command that set it up; records of an older kha: join. */
  command?: 'join' | 'adopt';
  /** The steps, in the order they apply; reset undoes them in reverse. Older records: LEGACY_STEPS. */
  steps?: StepName[];
  /** The pod's flags; absent in records of an older kha (which update then cannot change). */
  pod?: RecordedPod;
  /** A kube-lvscare.yaml kha did not write, moved beside the record by --force. */
  foreignManifest?: string;
  kubeconfig?: KubeconfigRecord;
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

const stateText = (state: KhaState): string => `${JSON.stringify(state, null, 2)}\n`;

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
  await writeFileAtomically(statePath(dir), stateText(state), { mode: 0o600 });
}

/** The state with `record` in it, or undefined when it already holds the same set-up. */
function recorded(state: KhaState | undefined, record: JoinRecord): KhaState | undefined {
  if (state?.status === 'joined' && state.joins.some((j) => sameSetup(j, record))) return undefined;
  return withJoin(state, record);
}

/** Writing `record` into the state, as the commands' record step. */
export function recording(dir: string, record: JoinRecord): RecordWrite {
  return {
    async plan() {
      const state = await readState(dir);
      const next = recorded(state, record);
      return next ? unifiedDiff(statePath(dir), state && stateText(state), stateText(next)) : [];
    },
    async write() {
      const next = recorded(await readState(dir), record);
      if (next) await writeState(dir, next);
    },
  };
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
function sameSetup(one: JoinRecord, other: JoinRecord): boolean {
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
