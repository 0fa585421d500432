// What discovery tells the rest of lvscare as it follows the registration: plain values, one per
// thing that happened. Logging, counting and rate-limiting them is the events seam's
// (events/logged-events.ts); discovery itself only reports.
import type { Endpoint } from '../config/endpoint.js';
import type { IgnoredSummary } from './admission.js';
import type { DiscoveryErrorReason } from './kube-api.js';
import type { DiscoveryPath } from './master-discovery.js';

export type DiscoveryEvent =
  /** The state file's masters are the start, before the API answers. */
  | { type: 'discovery-resumed'; stateFile: string; masters: Endpoint[] }
  | { type: 'discovery-state-unused'; stateFile: string; problem: string }
  /** An answer was admitted: how many usable masters it listed. */
  | { type: 'discovery-answered'; count: number }
  | { type: 'discovery-changed'; joined: Endpoint[]; dropped: Endpoint[]; path: DiscoveryPath }
  /** Masters discovery dropped are gone from the kernel: they are forgotten. */
  | { type: 'discovery-drained'; masters: Endpoint[] }
  | { type: 'discovery-ignored'; ignored: IgnoredSummary }
  | { type: 'discovery-synced'; path: DiscoveryPath }
  /** The path changed (the first sync included). */
  | { type: 'discovery-path'; path: DiscoveryPath }
  | { type: 'discovery-failed'; reason: DiscoveryErrorReason; message: string }
  | { type: 'discovery-recovered' }
  | { type: 'discovery-state-unwritten'; stateFile: string; error: Error }
  | { type: 'discovery-note'; message: string; fields: Record<string, unknown> | undefined };

/** Where discovery reports (the daemon's CareEvents in production, a recorder in tests). */
export interface DiscoveryEvents {
  emit(event: DiscoveryEvent): void;
}
