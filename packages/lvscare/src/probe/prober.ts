// One master's health probe: an HTTP(S) request over a kept connection, with its own deadline.
import { request } from 'node:http';
import { connect as tcpConnect } from 'node:net';
import type { HealthCheck } from '../config/care-config.js';
import { type Endpoint, formatEndpoint } from '../config/endpoint.js';
import type { ProbeOutcome } from '../health/state.js';
import { silentPeerOutcome } from './connection-signal.js';
import { probeAgent, reachedServer } from './connector.js';
import { type FailureReason, classifyError, statusIsHealthy } from './outcome.js';

export interface ProbeResult {
  /** A failure's `reason` is its short text for logs: "status 500", "tls: CERT_HAS_EXPIRED". */
  outcome: ProbeOutcome;
  /** The kind of failure, as the metrics label it; undefined when the probe passed. */
  failure: FailureReason | undefined;
  durationMs: number;
}

/** A body past this is not a health answer; the connection is dropped rather than read. */
const MAX_BODY_BYTES = 64 * 1024;

/** "refused", "timeout"; for TLS and other errors the code too: "tls: CERT_HAS_EXPIRED". */
function failureDetail(reason: FailureReason, err: unknown): string {
  if (reason !== 'tls' && reason !== 'error') return reason;
  return `${reason}: ${(err as { code?: string }).code ?? (err as Error).message}`;
}

class ProbeTimeout extends Error {
  readonly code = 'ETIMEDOUT';
}

export class MasterProbe {
  readonly origin: string;
  private readonly agent;

  constructor(
    readonly master: Endpoint,
    private readonly health: HealthCheck,
    onConnectionLost: (err: Error | undefined) => void,
  ) {
    this.origin = `${health.scheme}://${formatEndpoint(master)}`;
    // A kept connection that closes or resets is the fastest sign a master died: re-probe now.
    this.agent = probeAgent(health, onConnectionLost);
  }

  /** One probe; `timeoutMs` bounds all of it (the configured timeout unless less is left). */
  probe(timeoutMs = this.health.timeoutMs): Promise<ProbeResult> {
    const started = performance.now();
    const h = this.health;
    return new Promise((resolve) => {
      let settled = false;
      let socket: object | undefined;
      const finish = (outcome: ProbeOutcome, failure: FailureReason | undefined): void => {
        if (settled) return;
        settled = true;
        clearTimeout(timer);
        resolve({ outcome, failure, durationMs: performance.now() - started });
      };
      const fail = (err: unknown): void => {
        // The kernel dropped the connection under the request: nothing acknowledged for the user
        // timeout (see livenessFor), a silent master, not a slow one.
        const silent = silentPeerOutcome(err as Error);
        if (silent) return finish(silent, 'timeout');
        const failure = classifyError(err);
        const noConnection = !reachedServer(socket);
        finish({ ok: false, reason: failureDetail(failure, err), noConnection }, failure);
      };
      const req = request(
        {
          agent: this.agent,
          host: this.master.address,
          port: this.master.port,
          path: h.path,
          method: h.method,
          headers:
            h.body === undefined
              ? h.headers
              : { ...h.headers, 'content-length': Buffer.byteLength(h.body) },
        },
        (res) => {
          let size = 0;
          res.on('data', (chunk: Buffer) => {
            size += chunk.length;
            if (size > MAX_BODY_BYTES) res.destroy(new Error('health answer too large'));
          });
          res.on('error', fail);
          res.on('end', () => {
            const status = res.statusCode ?? 0;
            if (statusIsHealthy(status, h.extraStatuses)) finish({ ok: true }, undefined);
            else finish({ ok: false, reason: `status ${status}` }, 'status');
          });
        },
      );
      // The deadline covers connect, TLS, request and answer; hitting it drops the connection.
      // An event loop that wakes late (a busy or descheduled CPU) runs due timers before it reads
      // sockets, so an answer that arrived in time would lose to the deadline: the I/O already
      // waiting is read first (setImmediate runs after the poll phase), then the deadline holds.
      const timer = setTimeout(() => {
        setImmediate(() => {
          if (settled) return;
          const err = new ProbeTimeout(`no answer within ${timeoutMs}ms`);
          fail(err);
          req.destroy(err);
        });
      }, timeoutMs);
      req.on('socket', (s) => (socket = s));
      req.on('error', fail);
      req.end(h.body);
    });
  }

  /**
   * The probe that follows a lost kept connection: first a bare TCP connect, closed at once. When
   * even that fails (refused: the apiserver's process is gone; unreachable; no answer within the
   * timeout) that is the probe's result, as the full probe would have found, without building a
   * TLS session and an HTTP request first, which on a busy worker is most of the time a killed
   * master takes to be taken out (figures in bench/README.md). A connection made is followed by
   * the full probe, within
   * what is left of the one timeout.
   */
  async probeAfterLoss(): Promise<ProbeResult> {
    const started = performance.now();
    const failed = await this.connectCheck();
    if (failed) return failed;
    const left = this.health.timeoutMs - (performance.now() - started);
    const result = await this.probe(Math.max(1, Math.round(left)));
    return { ...result, durationMs: performance.now() - started };
  }

  private connectCheck(): Promise<ProbeResult | undefined> {
    const started = performance.now();
    return new Promise((resolve) => {
      const host = this.master.address;
      const socket = tcpConnect({ host, port: this.master.port });
      const done = (result: ProbeResult | undefined): void => {
        clearTimeout(timer);
        socket.destroy();
        resolve(result);
      };
      const timer = setTimeout(
        () => socket.destroy(new ProbeTimeout(`no connection within ${this.health.timeoutMs}ms`)),
        this.health.timeoutMs,
      );
      socket.once('connect', () => done(undefined));
      socket.once('error', (err) => {
        const failure = classifyError(err);
        done({
          outcome: { ok: false, reason: failureDetail(failure, err), noConnection: true },
          failure,
          durationMs: performance.now() - started,
        });
      });
    });
  }

  close(): Promise<void> {
    this.agent.destroy();
    return Promise.resolve();
  }
}
