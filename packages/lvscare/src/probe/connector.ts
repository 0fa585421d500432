// How a probe connects to a master: plain TCP with liveness options on the socket, then TLS on
// top when the scheme is https. The agent keeps one connection per master between probes.
import { Agent as HttpAgent, type AgentOptions } from 'node:http';
import { type Socket, connect as tcpConnect, isIP } from 'node:net';
import { connect as tlsConnect } from 'node:tls';
import type { Duplex } from 'node:stream';
import { setTcpLiveness } from './tcp-liveness.js';
import type { HealthCheck } from '../config/care-config.js';

/**
 * The kernel-level side of failure detection, from the probe timeout. On an idle kept connection
 * the kernel sends a keepalive every second (no HTTP, no TLS: the master's kernel answers it)
 * and, with TCP_USER_TIMEOUT set, drops the connection at the first keepalive round that finds
 * nothing acknowledged for the probe timeout: a black-holed master is known 1-2 s after it went
 * silent. A master that is slow to answer /healthz still acknowledges at the TCP level, so it is
 * never dropped this way.
 */
export function livenessFor(timeoutMs: number) {
  return {
    keepaliveIdleSeconds: 1,
    keepaliveIntervalSeconds: 1,
    keepaliveCount: 2,
    userTimeoutMs: Math.max(timeoutMs, 500),
  };
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
        setTcpLiveness(fd, livenessFor(health.timeoutMs));
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
            ca: health.ca,
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
