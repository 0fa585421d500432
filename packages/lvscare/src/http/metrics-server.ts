// /metrics for Prometheus, and /healthz, /livez, /readyz as well, on --metrics-address (the node's
// addresses in the static pod). Connections past the cap are refused and renders are paced, so a
// flood here costs the daemon a bounded share of its CPU; kubelet's liveness probe has its own
// listener (liveness-server.ts).
import type { Server } from 'node:http';
import type { CareMetrics } from '../metrics/metrics.js';
import { type Liveness, healthAnswer } from './answers.js';
import { type HttpLimits, METRICS_LIMITS, SCRAPE_PACE, type ScrapePace } from './limits.js';
import { answer, listen, readPath } from './listener.js';
import { ScrapeBucket } from './scrape-pace.js';

export async function startMetricsServer(
  host: string,
  port: number,
  metrics: CareMetrics,
  state: Liveness,
  limits: HttpLimits = METRICS_LIMITS,
  pace: ScrapePace = SCRAPE_PACE,
): Promise<Server> {
  const bucket = new ScrapeBucket(pace, performance.now());
  let waiting = 0;
  return listen(host, port, limits, (req, res) => {
    const path = readPath(req, res);
    if (path === undefined) return;
    if (path === '/metrics') {
      // Waiters are bounded by the connections held; pipelined requests past that are turned away.
      if (waiting >= limits.maxConnections) return answer(res, 503, 'too many scrapes waiting\n');
      const render = (): void => {
        metrics.text().then(
          (text) => answer(res, 200, text, metrics.contentType),
          (err: Error) => answer(res, 500, `${err.message}\n`),
        );
      };
      const delayMs = bucket.take(performance.now());
      if (delayMs === 0) return render();
      waiting++;
      let queued = true;
      const timer = setTimeout(() => {
        queued = false;
        waiting--;
        render();
      }, delayMs);
      // The client gave up while waiting: its turn goes back to the bucket.
      res.once('close', () => {
        if (!queued) return;
        queued = false;
        clearTimeout(timer);
        waiting--;
        bucket.giveBack();
      });
      return;
    }
    const a = healthAnswer(path, state);
    if (a) return answer(res, a.status, a.body);
    answer(res, 404, 'not found: try /metrics, /healthz or /readyz\n');
  });
}
