// How a probe connects to a master: plain TCP with liveness options on the socket, then TLS on
// top when the scheme is https. One connection per master is kept and reused between probes.
import { connect as tcpConnect, isIP, type Socket } from 'node:net';
import { connect as tlsConnect } from 'node:tls';
import { setTcpLiveness } from '@kha/netlink-ffi';
import type { buildConnector } from 'undici';
import type { HealthCheck } from '../config/care-config.js';

export class ConnectTimeoutError extends Error {
  readonly code = 'UND_ERR_CONNECT_TIMEOUT';
  constructor(ms: number) {
    super(`connect timed out after ${ms}ms`);
  }
}

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

export function probeConnector(health: HealthCheck): buildConnector.connector {
  return (opts, callback) => {
    const host = opts.hostname.replace(/^\[|\]$/g, '');
    const port = Number(opts.port);
    let done = false;
    const finish = (err: Error | null, socket?: Socket): void => {
      if (done) return;
      done = true;
      clearTimeout(timer);
      if (err) callback(err, null);
      else callback(null, socket!);
    };
    const tcp = tcpConnect({ host, port, noDelay: true });
    const timer = setTimeout(() => {
      tcp.destroy();
      finish(new ConnectTimeoutError(health.timeoutMs));
    }, health.timeoutMs);
    tcp.once('error', (err) => finish(err));
    tcp.once('connect', () => {
      const fd = socketFd(tcp);
      if (fd !== undefined) {
        try {
          setTcpLiveness(fd, livenessFor(health.timeoutMs));
        } catch {
          // Only speeds detection up; the probe timeout still bounds everything.
        }
      }
      if (health.scheme === 'http') {
        finish(null, tcp);
        return;
      }
      const tls = tlsConnect({
        socket: tcp,
        host,
        servername: isIP(host) ? undefined : host,
        ca: health.ca,
        rejectUnauthorized: !health.insecureSkipVerify,
        ALPNProtocols: ['http/1.1'],
      });
      tls.once('error', (err) => {
        tcp.destroy();
        finish(err);
      });
      tls.once('secureConnect', () => finish(null, tls));
    });
  };
}
