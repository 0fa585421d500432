// `lvscare care` once its flags are valid: read the CA, then clean, run once, or run the daemon.
import { loadCaFile } from '../config/ca-file.js';
import { type CareConfig, describeConfig } from '../config/care-config.js';
import { formatEndpoint } from '../config/endpoint.js';
import { createLogger } from '../log/logger.js';
import { closeKernel, openKernel } from '../reconcile/kernel.js';
import { vipSetupFor } from '../vip/vip-setup.js';
import { runDaemon } from './daemon-main.js';
import { clean, runOnce } from './rules.js';

export async function care(checked: CareConfig, notes: readonly string[]): Promise<number> {
  const config = loadCaFile(checked);
  const log = createLogger(config.logLevel, config.logFormat);
  for (const note of notes) log.warn(note);
  const kernel = await openKernel();
  const { ipvs, rt } = kernel;
  const vip = vipSetupFor(config, rt);
  try {
    if (config.clean) {
      await clean(config, ipvs, vip);
      log.info({ vs: formatEndpoint(config.vip), mode: config.mode }, 'cleaned');
      return 0;
    }
    if (config.runOnce) {
      await runOnce(config, ipvs, vip, log);
      log.info(describeConfig(config), 'rules in place (run-once)');
      return 0;
    }
    return await runDaemon(config, ipvs, vip, log);
  } finally {
    await closeKernel(kernel);
  }
}
