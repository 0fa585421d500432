// What the side-by-side bench knows of each load balancer under test.
import type { ChildProcess } from 'node:child_process';
import type * as TopologyModule from '../test/dist/support/topology.js';

export type Master = TopologyModule.Master;

export interface Target {
  host: string;
  port: number;
}

/** Where a contender keeps its view of the masters (see balancer-view.ts). */
export type WatchSpec =
  | { kind: 'ipvs'; vip: Target; masters: Array<{ name: string; ip: string; port: number }> }
  | { kind: 'haproxy'; socket: string; masters: Array<{ name: string }> };

/** One load balancer under test. `isOut` says whether a master gets no new connection. */
export interface Contender {
  name: string;
  describe: string;
  target: Target;
  process: ChildProcess;
  /** The User-Agent its /healthz probes carry, by which a master counts its probe load. */
  agent: string;
  isOut(m: Master): Promise<boolean>;
}

export const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** CLOCK_MONOTONIC in ms: one clock for the bench and its poller processes. */
export const monotonicMs = (): number => Number(process.hrtime.bigint()) / 1e6;
