// What kha (and tests) import: the care configuration, endpoints, exit codes, the rules API, the
// CLI parser set-up. Nothing here loads the daemon's logger or metrics (pino, prom-client).
export { VERSION } from './version.js';
export { LEAN_V8_FLAGS } from './lean-runtime.js';
export * from './exit.js';
export * from './ipvs-view.js';
export * from './config/care-config.js';
export * from './config/duration.js';
export * from './config/endpoint.js';
export * from './config/flag.js';
export { loadCaFile } from './config/ca-file.js';
export * from './health/state.js';
export * from './policy/desired-weights.js';
export * from './reconcile/plan.js';
export { withKernel } from './reconcile/kernel.js';
export * from './probe/outcome.js';
export { MasterProbe, type ProbeResult } from './probe/prober.js';
export { CARE_FLAGS, careConfigFromArgs, parseCareArgs } from './commands/care-args.js';
export {
  cliParser,
  helpAndCompletionWords,
  versionFlags,
  versionText,
  yargsOptions,
  withSuggestion,
} from './commands/cli-parser.js';
export { readPflagArgs, type ReadArgs } from './commands/pflag-argv.js';
export { runOnce, clean, type RulesLog } from './commands/rules.js';
export { vipSetupFor } from './vip/vip-setup.js';
export type { VipSetup } from './vip/mode.js';
export { RouteMode, type RouteModeConfig } from './vip/route-mode.js';
export type { Logger } from './log/logger.js';
export * from './config/cidr.js';
export * from './discovery/admission.js';
export * from './policy/membership.js';
export * from './discovery/discovery-events.js';
export * from './discovery/kubeconfig.js';
export * from './discovery/kube-api.js';
export * from './discovery/master-discovery.js';
export * from './discovery/state-file.js';
export * from './discovery/limits.js';
export * from './discovery/api-objects.js';
export * from './discovery/discovered-masters.js';
export { writeFileAtomically, type WriteOptions } from './files/atomic-write.js';
