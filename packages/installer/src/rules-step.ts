// The IPVS rules and their boot configuration: set up with lvscare's own run-once code, undone
// with its own clean. The kernel's rules are not read for the plan: run-once makes them so from
// whatever is there.
import { promises as fs } from 'node:fs';
import { join } from 'node:path';
import {
  type CareConfig,
  clean,
  formatEndpoint,
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
import type { Deployment } from './deployment.js';
import { textIfPresent } from './file-plan.js';
import type { Step } from './step.js';
import { unifiedDiff } from './unified-diff.js';

function setSysctlNow(name: string, value: string): Promise<void> {
  return fs.writeFile(`/proc/sys/${name.replace(/\./g, '/')}`, `${value}\n`);
}

/** The virtual server with every master, the mode's set-up, and the files that redo it at boot. */
async function installRules(
  config: CareConfig,
  paths: Pick<Deployment, 'modulesLoadDir' | 'sysctlDir'>,
): Promise<void> {
  await withKernel((ipvs, rt) => runOnce(config, ipvs, vipSetupFor(config, rt)));
  for (const [name, value] of sysctlEntries(config)) await setSysctlNow(name, value);
  await writeBootFiles(config, paths);
}

async function writeBootFiles(
  config: CareConfig,
  paths: Pick<Deployment, 'modulesLoadDir' | 'sysctlDir'>,
): Promise<void> {
  await fs.mkdir(paths.modulesLoadDir, { recursive: true });
  await writeFileAtomically(
    join(paths.modulesLoadDir, MODULES_LOAD_FILE),
    modulesLoadContent(config),
  );
  await fs.mkdir(paths.sysctlDir, { recursive: true });
  await writeFileAtomically(join(paths.sysctlDir, SYSCTL_FILE), sysctlContent(config));
}

/** Our virtual server, the mode's set-up and our boot files; missing pieces are fine. */
async function removeRules(
  config: CareConfig,
  paths: Pick<Deployment, 'modulesLoadDir' | 'sysctlDir'>,
): Promise<void> {
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

/** The boot files as a step's plan sees them: each file's diff to what `content` would make it. */
async function bootFilesPlan(files: Array<[string, string | undefined]>): Promise<string[]> {
  const lines: string[] = [];
  for (const [path, content] of files)
    lines.push(...unifiedDiff(path, await textIfPresent(path), content));
  return lines;
}

/** The virtual server, the mode's set-up (route, or dummy link and nft table) and the boot files. */
export function rulesStep(
  deployment: Pick<Deployment, 'care' | 'modulesLoadDir' | 'sysctlDir'>,
): Step {
  const c = deployment.care;
  const vip = formatEndpoint(c.vip);
  const modules = join(deployment.modulesLoadDir, MODULES_LOAD_FILE);
  const sysctl = join(deployment.sysctlDir, SYSCTL_FILE);
  const setup = c.mode === 'link' ? `the dummy link ${c.iface} and the nft table` : 'the route';
  return {
    name: 'rules',
    title: `IPVS rules for ${vip} (mode ${c.mode})`,
    async plan() {
      return [
        `kernel: virtual server ${vip} -> ${c.realServers.map(formatEndpoint).join(', ')}, scheduler ${c.scheduler}, and ${setup}`,
        ...(await bootFilesPlan([
          [modules, modulesLoadContent(c)],
          [sysctl, sysctlContent(c)],
        ])),
      ];
    },
    async apply() {
      await installRules(c, deployment);
      return [
        `${vip} -> ${c.realServers.map(formatEndpoint).join(', ')}, scheduler ${c.scheduler}`,
        `${modules} and ${sysctl} bring them back after a reboot`,
      ];
    },
    async undoPlan() {
      return [
        `kernel: remove virtual server ${vip} and ${setup}`,
        ...(await bootFilesPlan([
          [modules, undefined],
          [sysctl, undefined],
        ])),
      ];
    },
    async undo() {
      await removeRules(c, deployment);
      return [`removed ${vip}, ${setup}, ${modules} and ${sysctl}`];
    },
  };
}

/**
 * The boot files alone, for update: a new scheduler (or anything else they follow) must come back
 * after a reboot, while the kernel's rules stay with the lvscare that runs. Undone by the rules
 * step, which every record holds.
 */
export function bootFilesStep(
  deployment: Pick<Deployment, 'care' | 'modulesLoadDir' | 'sysctlDir'>,
): Step {
  const c = deployment.care;
  const modules = join(deployment.modulesLoadDir, MODULES_LOAD_FILE);
  const sysctl = join(deployment.sysctlDir, SYSCTL_FILE);
  const files: Array<[string, string]> = [
    [modules, modulesLoadContent(c)],
    [sysctl, sysctlContent(c)],
  ];
  return {
    name: 'boot-files',
    title: 'kernel modules and sysctls at boot',
    plan: () => bootFilesPlan(files),
    async apply() {
      const changed: string[] = [];
      for (const [path, content] of files)
        if ((await textIfPresent(path)) !== content) changed.push(path);
      if (changed.length > 0) await writeBootFiles(c, deployment);
      return [
        changed.length > 0
          ? `wrote ${changed.join(' and ')}`
          : `${modules} and ${sysctl} unchanged`,
      ];
    },
    undoPlan: () => Promise.resolve([]),
    undo: () => Promise.resolve([]),
  };
}
