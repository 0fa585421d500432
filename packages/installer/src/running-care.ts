// Finding an lvscare daemon that still manages the VIP: kha reset waits for kubelet to stop it
// after the manifest goes, or the daemon would put back the rules reset takes out.
import { promises as fs } from 'node:fs';

/** Whether a command line is `lvscare care` for this VIP (as kha's manifest or sealos' write it). */
export function isCareFor(argv: string[], vip: string): boolean {
  if (!argv.some((a) => /(^|\/)lvscare(\.m?js)?$/.test(a))) return false;
  if (!argv.includes('care')) return false;
  if (argv.includes('--clean') || argv.includes('-C') || argv.includes('--run-once')) return false;
  return argv.some((a, i) => (a === '--vs' && argv[i + 1] === vip) || a === `--vs=${vip}`);
}

/** The pids of every lvscare that manages `vip` now. */
export async function runningCare(vip: string): Promise<number[]> {
  const pids: number[] = [];
  for (const entry of await fs.readdir('/proc')) {
    if (!/^\d+$/.test(entry) || Number(entry) === process.pid) continue;
    let raw: string;
    try {
      raw = await fs.readFile(`/proc/${entry}/cmdline`, 'utf8');
    } catch {
      continue; // gone meanwhile
    }
    if (isCareFor(raw.split('\0').filter(Boolean), vip)) pids.push(Number(entry));
  }
  return pids;
}

/** Resolves with the pids still running after `timeoutMs` (empty when all stopped). */
export async function waitForCareToStop(vip: string, timeoutMs: number): Promise<number[]> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const pids = await runningCare(vip);
    if (pids.length === 0 || Date.now() >= deadline) return pids;
    await new Promise((r) => setTimeout(r, 500));
  }
}
