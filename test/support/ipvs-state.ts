// The VIP's destinations as the kernel holds them, read by ipvsadm (not by our library).
import { ipvsadm } from './ipvsadm.js';

/** "10.0.0.11:6443" -> weight, for one virtual server; undefined when the service is missing. */
export function destinationWeights(vip: string): Map<string, number> | undefined {
  let out: string;
  try {
    out = ipvsadm('-Ln', '-t', vip);
  } catch (err) {
    if (/No such service/.test(String((err as { stderr?: string }).stderr))) return undefined;
    throw err;
  }
  const weights = new Map<string, number>();
  for (const line of out.split('\n')) {
    const m = /^\s+-> (\S+)\s+(\w+)\s+(\d+)\s/.exec(line);
    if (m) weights.set(m[1]!, Number(m[3]));
  }
  return weights;
}

export function serviceExists(vip: string): boolean {
  try {
    ipvsadm('-Ln', '-t', vip);
    return true;
  } catch {
    return false;
  }
}

/** Polls until `check` holds or the deadline passes; returns the time it first held (or undefined). */
export async function waitFor(
  check: () => boolean,
  timeoutMs: number,
  everyMs = 50,
): Promise<number | undefined> {
  const end = performance.now() + timeoutMs;
  while (performance.now() < end) {
    if (check()) return performance.now();
    await new Promise((r) => setTimeout(r, everyMs));
  }
  return check() ? performance.now() : undefined;
}
