// How a probe connects to a master: plain TCP with liveness options on the socket, then TLS on
// top when the scheme is https. The agent keeps one connection per master between probes.
import { Agent as HttpAgent, type AgentOptions } from 'node:http';
import { type Socket, connect as tcpConnect, isIP } from 'node:net';
import { connect as tlsConnect } from 'node:tls';
import type { Duplex } from 'node:stream';
import { setTcpLiveness } from './tcp-liveness.js';
import type { HealthCheck } from '../config/care-config.js';

/** The kernel-level side of failure detection, from the probe timeout. */
export function livenessFor(timeoutMs: number) {
  return {
    keepaliveIdleSeconds: 1,
    keepaliveIntervalSeconds: 1,
    keepaliveCount: 2,
    userTimeoutMs: Math.max(timeoutMs, 500),
  };
}

function socketFd(socket: Socket): number | undefined {
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
    tcp.once('connect', () => {
      const fd = socketFd(tcp);
      if (fd === undefined) return;
      try {
        setTcpLiveness(fd, livenessFor(health.timeoutMs));
      } catch {
        // Only speeds detection up; the probe timeout still bounds everything.
      }
    });
    let lastError: Error | undefined;
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
    conn.on('error', (err) => (lastError = err));
    conn.once('close', () => {
      if (established) onClosed(lastError);
    });
    return conn;
  };
  return agent;
}
