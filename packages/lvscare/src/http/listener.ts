// An HTTP listener with hard limits, shared by the metrics and the liveness listeners: deadlines
// for slow and silent clients, a connection cap that refuses the newcomer (never evicts a held
// connection, which could be kubelet's probe), and a short kernel accept queue so a connection
// flood is turned away by the kernel before it costs the event loop anything.
import { type IncomingMessage, type Server, type ServerResponse, createServer } from 'node:http';
import type { AddressInfo, Socket } from 'node:net';
import type { HttpLimits } from './limits.js';

export type Handler = (req: IncomingMessage, res: ServerResponse) => void;

export function answer(
  res: ServerResponse,
  status: number,
  body: string,
  type = 'text/plain; charset=utf-8',
  extra: Record<string, string> = {},
): void {
  res.writeHead(status, { 'content-type': type, 'cache-control': 'no-store', ...extra });
  res.end(body);
}

const ALLOW = 'GET, HEAD';

/** The path of a GET or HEAD request; anything else is answered 405 here and gives undefined. */
export function readPath(req: IncomingMessage, res: ServerResponse): string | undefined {
  if (req.method !== 'GET' && req.method !== 'HEAD') {
    answer(res, 405, 'method not allowed\n', undefined, { allow: ALLOW });
    return undefined;
  }
  return (req.url ?? '/').split('?')[0];
}

export async function listen(
  host: string,
  port: number,
  limits: HttpLimits,
  handler: Handler,
): Promise<Server> {
  const server = createServer(
    {
      headersTimeout: limits.headersTimeoutMs,
      requestTimeout: limits.requestTimeoutMs,
      keepAliveTimeout: limits.keepAliveTimeoutMs,
      connectionsCheckingInterval: limits.checkIntervalMs,
    },
    handler,
  );
  // Past the cap Node closes the new socket on accept, before it is a Socket or has a parser.
  server.maxConnections = limits.maxConnections;
  // A connection that never sends a byte has no request for headersTimeout to time: give it the
  // same deadline as an idle socket.
  server.on('connection', (socket: Socket) => socket.setTimeout(limits.headersTimeoutMs));
  server.on('timeout', (socket: Socket) => socket.destroy());
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen({ host, port, backlog: limits.backlog }, () => {
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

/** Stops accepting and ends every connection, kept-alive ones too. */
export async function closeServer(server: Server): Promise<void> {
  const closed = new Promise<void>((r) => server.close(() => r()));
  server.closeAllConnections();
  await closed;
}
