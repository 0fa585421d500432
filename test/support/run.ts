import { execFileSync, spawnSync } from 'node:child_process';

/** Runs a program and returns its stdout; throws with its stderr when it fails. */
export function run(cmd: string, args: string[], input?: string): string {
  return execFileSync(cmd, args, { encoding: 'utf8', input, stdio: ['pipe', 'pipe', 'pipe'] });
}

/** Runs a program and returns status, stdout and stderr without throwing. */
export function attempt(
  cmd: string,
  args: string[],
  input?: string,
): { status: number; stdout: string; stderr: string } {
  const r = spawnSync(cmd, args, { encoding: 'utf8', input });
  return { status: r.status ?? -1, stdout: r.stdout, stderr: r.stderr };
}

/** Runs a program as root but without CAP_NET_ADMIN, as an unprivileged container would. */
export function attemptWithoutNetAdmin(
  cmd: string,
  args: string[],
): { status: number; stdout: string; stderr: string } {
  return attempt('setpriv', [
    '--bounding-set',
    '-net_admin',
    '--inh-caps',
    '-net_admin',
    cmd,
    ...args,
  ]);
}
