// The IPVS rules and their boot configuration: set up with lvscare's own run-once code, undone
// with its own clean.
import { promises as fs } from 'node:fs';
import { join } from 'node:path';
import {
  type CareConfig,
  clean,
  runOnce,
  vipSetupFor,
  withKernel,
  writeFileAtomically,
} from '@kha/lvscare';
import { RouteClient } from '@kha/netlink-ffi';
import {
  MODULES_LOAD_FILE,
  SYSCTL_FILE,
  modulesLoadContent,
  sysctlContent,
  sysctlEntries,
} from './boot-config.js';
import type { Paths } from './settings.js';

function setSysctlNow(name: string, value: string): Promise<void> {
  return fs.writeFile(`/proc/sys/${name.replace(/\./g, '/')}`, `${value}\n`);
}

/** The virtual server with every master, the mode's set-up, and the files that redo it at boot. */
export async function installRules(config: CareConfig, paths: Paths): Promise<void> {
  await withKernel((ipvs, rt) => runOnce(config, ipvs, vipSetupFor(config, rt)));
  for (const [name, value] of sysctlEntries(config)) await setSysctlNow(name, value);
  await fs.mkdir(paths.modulesLoadDir, { recursive: true });
  await writeFileAtomically(
    join(paths.modulesLoadDir, MODULES_LOAD_FILE),
    modulesLoadContent(config),
  );
  await fs.mkdir(paths.sysctlDir, { recursive: true });
  await writeFileAtomically(join(paths.sysctlDir, SYSCTL_FILE), sysctlContent(config));
}

/** Our virtual server, the mode's set-up and our boot files; missing pieces are fine. */
export async function removeRules(config: CareConfig, paths: Paths): Promise<void> {
  let ipvsPresent = true;
  try {
    await fs.access('/proc/net/ip_vs');
  } catch {
    ipvsPresent = false; // no module, so no rules: nothing to open it for
  }
  if (ipvsPresent) {
    await withKernel((ipvs, rt) => clean(config, ipvs, vipSetupFor(config, rt)));
  } else {
    const rt = RouteClient.open();
    try {
      await vipSetupFor(config, rt).clean();
    } finally {
      await rt.close();
    }
  }
  await fs.rm(join(paths.modulesLoadDir, MODULES_LOAD_FILE), { force: true });
  await fs.rm(join(paths.sysctlDir, SYSCTL_FILE), { force: true });
}
