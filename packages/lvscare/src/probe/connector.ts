// How a probe connects to a master: plain TCP with liveness options on the socket, then TLS on
// top when the scheme is https. The agent keeps one connection per master between probes.
import { Agent as HttpAgent, type AgentOptions } from 'node:http';
import { type Socket, connect as tcpConnect, isIP } from 'node:net';
import { connect as tlsConnect, createSecureContext } from 'node:tls';
import type { Duplex } from 'node:stream';
import { KeepaliveWatch } from './keepalive-watch.js';
import { readKeepaliveState, setTcpLiveness } from './tcp-liveness.js';
import type { HealthCheck } from '../config/care-config.js';

/**
 * The kernel-level side of failure detection, from the probe timeout. Linux's keepalive timer on
 * an idle connection fires KEEPIDLE after the last segment received and then every KEEPINTVL
 * (whole seconds, at least 1); with TCP_USER_TIMEOUT set it ignores KEEPCNT and drops the
 * connection at the first firing that finds a keepalive unanswered and nothing received for the
 * user timeout. At 1 s and 1 s with a user timeout under 2 s that is the second firing after the
 * master's last answer, 1-2 s after the fault; watchKeepalive ends the connection sooner, once
 * the first unanswered keepalive has been outstanding for the user timeout (0.5-1.5 s after the
 * master went silent). The cost is one
 * keepalive segment a second per idle kept connection, answered by the master's kernel (no HTTP,
 * no TLS). With data in flight (a probe's request) the kernel retransmits after its RTO (200 ms
 * at least) and gives up once the user timeout has passed since that retransmission; at half the
 * probe timeout that comes before the probe's own deadline (one RTO and half the timeout after
 * the write, while the RTO is under half the timeout), so a probe to a silent master ends on the
 * kernel's verdict, which
 * is decisive, rather than as one of `fall`. A master slow to answer /healthz still acknowledges
 * at the TCP level, and a busy worker CPU does not hold back the kernel's answers, so neither is
 * dropped this way. One keepalive lost on the wire does drop the
 * connection: the master is out on that worker until the probe that follows at once and one
 * more `--fast-interval` later bring it back (`--rise` 2), a fraction of a second without new
 * connections to it, never a failed one.
 */
export function livenessFor(timeoutMs: number) {
  return {
    keepaliveIdleSeconds: 1,
    keepaliveIntervalSeconds: 1,
    keepaliveCount: 2, // used only where TCP_USER_TIMEOUT could not be set
    userTimeoutMs: Math.max(Math.round(timeoutMs / 2), 400),
  };
}

/**
 * Ends the connection with ETIMEDOUT, as the kernel would a second later, once a keepalive has
 * gone unanswered for `unansweredMs` (keepalive-watch.ts says why that is safe and when it reads).
 */
function watchKeepalive(tcp: Socket, idleMs: number, unansweredMs: number): void {
  const watch = new KeepaliveWatch(idleMs, unansweredMs);
  let timer: NodeJS.Timeout | undefined;
  const read = (): void => {
    // Read through the live handle only: a closed socket's number may already be another's.
    const fd = tcp.destroyed ? undefined : socketFd(tcp);
    let verdict;
    try {
      if (fd === undefined) return;
      verdict = watch.observe(readKeepaliveState(fd), performance.now());
    } catch {
      return; // the socket is gone; its close is reported as usual
    }
    if (!verdict.silent) {
      timer = setTimeout(read, verdict.nextReadMs).unref();
      return;
    }
    const err = Object.assign(new Error(`keepalive unanswered for ${unansweredMs}ms`), {
      code: 'ETIMEDOUT',
      syscall: 'keepalive',
    });
    tcp.destroy(err);
  };
  read();
  tcp.once('close', () => clearTimeout(timer));
}

/** Probe connections whose TCP connect succeeded: a failure on one of them reached the master. */
const reached = new WeakSet<object>();

/** True when this probe socket got a TCP connection (a refused or unanswered connect did not). */
export function reachedServer(socket: object | undefined): boolean {
  return socket !== undefined && reached.has(socket);
}

/** The descriptor under a connected socket: Node keeps it in a private field (_handle.fd). */
export function socketFd(socket: Socket): number | undefined {
  const fd = (socket as unknown as { _handle?: { fd?: number } })._handle?.fd;
  return typeof fd === 'number' && fd >= 0 ? fd : undefined;
}

/**
 * An agent with one kept connection to one master. A connection that was established reports its
 * end through `onClosed`, which is how a dead master is noticed between probes. One that never
 * got through (refused, timed out) does not: the probe already failed, and reporting it would
 * wake the prober again at once, in a loop against a dead master.
 */
export function probeAgent(
  health: HealthCheck,
  onClosed: (err: Error | undefined) => void,
): HttpAgent {
  const options: AgentOptions = { keepAlive: true, maxSockets: 1, maxFreeSockets: 1 };
  const agent = new HttpAgent(options);
  // The CA parsed once per master, not on every connection: a `ca` option builds a new context
  // each time, and a reconnect after a loss is on the failover path.
  const secureContext =
    health.scheme === 'https' ? createSecureContext({ ca: health.ca }) : undefined;
  agent.createConnection = (opts: {
    host?: string | null;
    port?: number | string | null;
  }): Duplex => {
    const host = String(opts.host ?? '').replace(/^\[|\]$/g, '');
    const tcp = tcpConnect({ host, port: Number(opts.port), noDelay: true });
    let lastError: Error | undefined;
    // The kernel's verdict (ETIMEDOUT from keepalive or the user timeout, ECONNRESET) surfaces on
    // the TCP socket; TLS on top reports it too, but keep it whichever says it first.
    tcp.on('error', (err) => (lastError ??= err));
    tcp.once('connect', () => {
      reached.add(conn);
      const fd = socketFd(tcp);
      if (fd === undefined) return;
      try {
        const liveness = livenessFor(health.timeoutMs);
        setTcpLiveness(fd, liveness);
        watchKeepalive(tcp, liveness.keepaliveIdleSeconds * 1000, liveness.userTimeoutMs);
      } catch {
        // Only speeds detection up; the probe timeout still bounds everything.
      }
    });
    const conn: Socket =
      health.scheme === 'http'
        ? tcp
        : tlsConnect({
            socket: tcp,
            host,
            servername: isIP(host) ? undefined : host,
            secureContext,
            rejectUnauthorized: !health.insecureSkipVerify,
            ALPNProtocols: ['http/1.1'],
          });
    let established = false;
    conn.once(health.scheme === 'http' ? 'connect' : 'secureConnect', () => (established = true));
    conn.on('error', (err) => (lastError ??= err));
    conn.once('close', () => {
      if (established) onClosed(lastError);
    });
    return conn;
  };
  return agent;
}
