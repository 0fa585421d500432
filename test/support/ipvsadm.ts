// ipvsadm as the independent witness of what the kernel holds.
import { run } from './run.js';

export function ipvsadm(...args: string[]): string {
  return run('ipvsadm', args);
}

/** The kernel's rules in ipvsadm's save format (-S -n), one rule per line, sorted. */
export function savedRules(): string[] {
  return ipvsadm('-S', '-n')
    .split('\n')
    .map((l) => l.trim())
    .filter((l) => l !== '')
    .sort();
}

/** Feeds rules in save format to `ipvsadm -R`. */
export function restoreRules(rules: string[]): void {
  run('ipvsadm', ['-R'], `${rules.join('\n')}\n`);
}

export function clearIpvs(): void {
  ipvsadm('-C');
}
