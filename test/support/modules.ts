// Unloading and reloading ip_vs inside the kernel tier, to prove the client copes with a module
// that comes and goes. Uses modprobe where the host has /lib/modules, else the VM's unpacked
// kernel tree in .cache/kernel.
import { existsSync, readFileSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { run } from './run.js';

interface Module {
  name: string;
  users: string[];
}

function loadedModules(): Map<string, Module> {
  const out = new Map<string, Module>();
  for (const line of readFileSync('/proc/modules', 'utf8').split('\n')) {
    const [name, , , users] = line.split(' ');
    if (!name) continue;
    out.set(name, { name, users: users && users !== '-' ? users.split(',').filter(Boolean) : [] });
  }
  return out;
}

/** ip_vs and every module that uses it, users first: the order to unload them in. */
function unloadOrder(root: string): string[] {
  const mods = loadedModules();
  const order: string[] = [];
  const visit = (name: string): void => {
    if (order.includes(name) || !mods.has(name)) return;
    for (const user of mods.get(name)!.users) visit(user);
    order.push(name);
  };
  visit(root);
  return order;
}

function moduleFile(name: string): string {
  const release = readFileSync('/proc/sys/kernel/osrelease', 'utf8').trim();
  const repo = fileURLToPath(new URL('../../..', import.meta.url));
  const trees = [`/lib/modules/${release}`];
  const cache = join(repo, '.cache', 'kernel');
  if (existsSync(cache))
    for (const d of readdirSync(cache))
      trees.push(join(cache, d, 'root', 'lib', 'modules', release));
  for (const tree of trees) {
    for (const sub of ['kernel/net/netfilter/ipvs', 'kernel/net/netfilter']) {
      const f = join(tree, sub, `${name}.ko`);
      if (existsSync(f)) return f;
    }
  }
  throw new Error(`kernel tier: no ${name}.ko for ${release} found in ${trees.join(', ')}`);
}

/** Unloads ip_vs (and its users); returns a function that loads them all back. */
export function unloadIpvs(): () => void {
  const order = unloadOrder('ip_vs');
  if (!order.includes('ip_vs')) throw new Error('kernel tier: ip_vs is not loaded as a module');
  run('ipvsadm', ['-C']); // a service holds its scheduler module
  const removed: string[] = [];
  const reload = (): void => {
    for (const name of [...removed].reverse()) run('insmod', [moduleFile(name)]);
    removed.length = 0;
  };
  try {
    for (const name of order) {
      run('rmmod', [name]);
      removed.push(name);
    }
  } catch (err) {
    reload(); // never leave the tier with half of IPVS unloaded
    throw err;
  }
  return reload;
}
