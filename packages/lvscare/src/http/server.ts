// /metrics, /healthz (the loop is ticking) and /readyz (the rules are in place).
import { type Server, createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { CareMetrics } from '../metrics/metrics.js';

export interface Liveness {
  /** Why the daemon is not alive, or undefined when it is. */
  notAlive(): string | undefined;
  /** Why the rules are not in place, or undefined when they are. */
  notReady(): string | undefined;
  /** Trouble worth showing in /readyz that does not change its status (discovery failing). */
  readyNote?(): string | undefined;
}

export async function startHttpServer(
  host: string,
  port: number,
  metrics: CareMetrics,
  state: Liveness,
): Promise<Server> {
  const server = createServer((req, res) => {
    const path = (req.url ?? '/').split('?')[0];
    const answer = (status: number, body: string, type = 'text/plain; charset=utf-8'): void => {
      res.writeHead(status, { 'content-type': type, 'cache-control': 'no-store' });
      res.end(body);
    };
    if (req.method !== 'GET' && req.method !== 'HEAD') return answer(405, 'method not allowed\n');
    if (path === '/metrics') {
      metrics.text().then(
        (text) => answer(200, text, metrics.contentType),
        (err: Error) => answer(500, `${err.message}\n`),
      );
      return;
    }
    if (path === '/healthz' || path === '/livez') {
      const why = state.notAlive();
      return why ? answer(503, `${why}\n`) : answer(200, 'ok\n');
    }
    if (path === '/readyz') {
      const why = state.notReady();
      const note = state.readyNote?.();
      const text = `${why ?? 'ok'}\n${note ? `${note}\n` : ''}`;
      return answer(why ? 503 : 200, text);
    }
    answer(404, 'not found: try /metrics, /healthz or /readyz\n');
  });
  server.keepAliveTimeout = 5000;
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(port, host, () => {
      server.off('error', reject);
      resolve();
    });
  });
  return server;
}

export function boundAddress(server: Server): string {
  const a = server.address() as AddressInfo;
  return a.family === 'IPv6' ? `[${a.address}]:${a.port}` : `${a.address}:${a.port}`;
}
