// /metrics, /healthz (the loop is ticking) and /readyz (the rules are in place).
import { type Server, createServer } from 'node:http';
import type { AddressInfo, Socket } from 'node:net';
import type { CareMetrics } from '../metrics/metrics.js';
import { HTTP_LIMITS, type HttpLimits } from './limits.js';

export interface Liveness {
  /** Why the daemon is not alive, or undefined when it is. */
  livenessProblem(): string | undefined;
  /** Why the rules are not in place, or undefined when they are. */
  readinessProblem(): string | undefined;
  /** Trouble worth showing in /readyz that does not change its status (discovery failing). */
  readyNote?(): string | undefined;
}

const ALLOW = 'GET, HEAD';

/**
 * Keeps at most `max` connections: a new one past the cap drops the oldest that is not serving a
 * request (a half-open or idle one), so a flood of silent connections cannot lock out kubelet's
 * liveness probe, and memory stays bounded by the cap.
 */
function capConnections(server: Server, max: number): void {
  const open = new Set<Socket>(); // in arrival order
  const busy = new WeakSet<Socket>();
  server.on('connection', (socket: Socket) => {
    open.add(socket);
    socket.once('close', () => open.delete(socket));
    while (open.size > max) {
      const victim = [...open].find((s) => !busy.has(s) && s !== socket) ?? socket;
      open.delete(victim);
      victim.destroy();
      if (victim === socket) break;
    }
  });
  server.on('request', (req, res) => {
    busy.add(req.socket);
    res.once('close', () => busy.delete(req.socket));
  });
}

export async function startHttpServer(
  host: string,
  port: number,
  metrics: CareMetrics,
  state: Liveness,
  limits: HttpLimits = HTTP_LIMITS,
): Promise<Server> {
  const server = createServer(
    {
      headersTimeout: limits.headersTimeoutMs,
      requestTimeout: limits.requestTimeoutMs,
      keepAliveTimeout: limits.keepAliveTimeoutMs,
      connectionsCheckingInterval: limits.checkIntervalMs,
    },
    (req, res) => {
      const path = (req.url ?? '/').split('?')[0];
      const answer = (
        status: number,
        body: string,
        type = 'text/plain; charset=utf-8',
        extra: Record<string, string> = {},
      ): void => {
        res.writeHead(status, { 'content-type': type, 'cache-control': 'no-store', ...extra });
        res.end(body);
      };
      if (req.method !== 'GET' && req.method !== 'HEAD')
        return answer(405, 'method not allowed\n', undefined, { allow: ALLOW });
      if (path === '/metrics') {
        metrics.text().then(
          (text) => answer(200, text, metrics.contentType),
          (err: Error) => answer(500, `${err.message}\n`),
        );
        return;
      }
      if (path === '/healthz' || path === '/livez') {
        const why = state.livenessProblem();
        return why ? answer(503, `${why}\n`) : answer(200, 'ok\n');
      }
      if (path === '/readyz') {
        const why = state.readinessProblem();
        const note = state.readyNote?.();
        return answer(why ? 503 : 200, `${why ?? 'ok'}\n${note ? `${note}\n` : ''}`);
      }
      answer(404, 'not found: try /metrics, /healthz or /readyz\n');
    },
  );
  // A connection that never sends a byte has no request for headersTimeout to time: give it the
  // same deadline as an idle socket.
  server.on('connection', (socket: Socket) => socket.setTimeout(limits.headersTimeoutMs));
  server.on('timeout', (socket: Socket) => socket.destroy());
  capConnections(server, limits.maxConnections);
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
