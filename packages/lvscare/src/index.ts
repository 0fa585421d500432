// What kha (and tests) import: the care configuration, endpoints, exit codes, the rules API, the
// CLI parser set-up. Nothing here loads the daemon's logger or metrics (pino, prom-client).
export { VERSION } from './version.js';
export * from './exit.js';
export * from './ipvs-view.js';
export * from './config/care-config.js';
export * from './config/duration.js';
export * from './config/endpoint.js';
export * from './config/flag.js';
export { loadCaFile } from './config/ca-file.js';
export * from './health/state.js';
export * from './health/desired.js';
export * from './reconcile/plan.js';
export { withKernel } from './reconcile/kernel.js';
export * from './probe/outcome.js';
export { MasterProbe, type ProbeResult } from './probe/prober.js';
export { CARE_FLAGS, careConfigOf, parseCareArgs } from './commands/care-args.js';
export { cliParser, yargsOptions, withSuggestion } from './commands/cli-parser.js';
export { readPflagArgs, type ReadArgs } from './commands/pflag-argv.js';
export { runOnce, clean, type RulesLog } from './commands/rules.js';
export { vipSetupFor, type VipSetup } from './vip/vip-setup.js';
export { RouteMode, type RouteModeConfig } from './vip/route-mode.js';
export type { Logger } from './log/logger.js';
