// @kha/lvscare/parts: the daemon's parts that the repository's own tiers and benchmarks drive
// directly (master discovery against a stand-in API server, the probe against loopback servers,
// the route mode in the kernel VM). kha does not import it.
export { DiscoveredMasters } from './discovery/discovered-masters.js';
export type { DiscoveryEvent } from './discovery/discovery-events.js';
export type { DiscoveryErrorReason } from './discovery/kube-api.js';
export { loadKubeconfig } from './discovery/kubeconfig.js';
export { MAX_CHANGES_PER_WATCH } from './discovery/limits.js';
export {
  DEFAULT_DISCOVERY_TIMINGS,
  type DiscoveryPath,
  type DiscoveryTimings,
  MasterDiscovery,
} from './discovery/master-discovery.js';
export type { Registration } from './discovery/api-objects.js';
export type { Membership } from './policy/membership.js';
export { MasterProbe, type ProbeResult } from './probe/prober.js';
export { RouteMode } from './vip/route-mode.js';
export {
  NodeEvents,
  type NodeEventOutcome,
  MAX_QUEUED as MAX_QUEUED_NODE_EVENTS,
} from './node-events/node-events.js';
export { nodeNameOfCertificate } from './node-events/node-name.js';
export { systemClock } from './time/clock.js';
