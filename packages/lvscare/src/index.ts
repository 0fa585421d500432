// @kha/lvscare: lvscare's domain as kha (and the tests) use it: care's flags parsed and checked
// into the configuration, endpoints, the rules without the daemon (`--run-once`, `--clean`), the
// discovered-masters state file and the kubeconfig discovery reads. The command-line kit both
// CLIs share is `@kha/lvscare/cli-kit`. Nothing here loads the daemon's logger or metrics (pino,
// prom-client).
export { VERSION } from './version.js';
export { LEAN_V8_FLAGS } from './lean-runtime.js';
export { EXIT_FAILURE, EXIT_OK, UsageError } from './exit.js';
export { type Endpoint, formatEndpoint, parseEndpoint, unusableVip } from './config/endpoint.js';
export { type CareConfig, careConfigFromValues, describeIssues } from './config/care-config.js';
export { CARE_FLAGS, careConfigFromArgs, parseCareArgs } from './commands/care-args.js';
export { parseDuration } from './config/duration.js';
export { parseCidr } from './config/cidr.js';
export { loadCaFile } from './config/ca-file.js';
export { clean, runOnce } from './commands/rules.js';
export { withKernel } from './reconcile/kernel.js';
export { vipSetupFor } from './vip/vip-setup.js';
export { readMastersState, renderMastersState, writeMastersState } from './discovery/state-file.js';
export { type KubeCredentials, parseKubeconfig } from './discovery/kubeconfig.js';
export { writeFileAtomically } from './files/atomic-write.js';
