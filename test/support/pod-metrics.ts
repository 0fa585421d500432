// lvscare's metrics endpoint as a pod serves it: waiting until it reports every master up, which
// is when a pod scenario (or a Prometheus scraping the pod) can start from a settled daemon.
import { sleep } from './care-scenario.js';

/** The masters lvscare reports in state "up", from its /metrics text. */
export function mastersUp(metricsText: string): string[] {
  const up: string[] = [];
  for (const m of metricsText.matchAll(/^lvscare_master_state\{master="([^"]+)",state="up"\} 1$/gm))
    up.push(m[1]!);
  return up;
}

/**
 * Resolves once http://ADDRESS/metrics lists every master up; throws after `timeoutMs` with the
 * last answer (or error) and the pod's log.
 */
export async function waitForMastersUp(
  address: string,
  masters: string[],
  timeoutMs: number,
  logs: () => string,
): Promise<void> {
  const end = performance.now() + timeoutMs;
  let last = 'no answer yet';
  while (performance.now() < end) {
    try {
      const up = mastersUp(await (await fetch(`http://${address}/metrics`)).text());
      if (masters.every((m) => up.includes(m))) return;
      last = `up: ${up.join(', ') || 'none'}`;
    } catch (err) {
      last = String((err as Error).cause ?? err);
    }
    await sleep(500);
  }
  throw new Error(
    `lvscare at ${address} did not report ${masters.join(', ')} up within ${timeoutMs} ms (${last}); pod log:\n${logs().slice(-3000)}`,
  );
}
