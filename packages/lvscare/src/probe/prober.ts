// One master's health probe: an HTTP(S) request over a kept connection, with its own deadline.
import { Client } from 'undici';
import type { HealthCheck } from '../config/care-config.js';
import { type Endpoint, formatEndpoint } from '../config/endpoint.js';
import type { ProbeOutcome } from '../health/state.js';
import { probeConnector } from './connector.js';
import { type FailureReason, classifyError, statusIsHealthy } from './outcome.js';

export interface ProbeResult {
  outcome: ProbeOutcome;
  reason: FailureReason | undefined;
  /** Short text for logs: "status 500", "timeout", "tls: CERT_HAS_EXPIRED". */
  detail: string | undefined;
  durationMs: number;
}

export class MasterProbe {
  private readonly client: Client;
  readonly origin: string;

  constructor(
    readonly master: Endpoint,
    private readonly health: HealthCheck,
    onConnectionLost: (err: Error | undefined) => void,
  ) {
    this.origin = `${health.scheme}://${formatEndpoint(master)}`;
    this.client = new Client(this.origin, {
      connect: probeConnector(health),
      pipelining: 1,
      keepAliveTimeout: 60_000,
      keepAliveMaxTimeout: 600_000,
      headersTimeout: health.timeoutMs,
      bodyTimeout: health.timeoutMs,
    });
    // A kept connection that closes or resets is the fastest sign a master died: re-probe now.
    this.client.on('disconnect', (_origin, _targets, err) => onConnectionLost(err));
  }

  async probe(): Promise<ProbeResult> {
    const started = performance.now();
    const h = this.health;
    const result = (
      outcome: ProbeOutcome,
      reason: FailureReason | undefined,
      detail: string | undefined,
    ): ProbeResult => ({
      outcome,
      reason,
      detail,
      durationMs: performance.now() - started,
    });
    try {
      const res = await this.client.request({
        path: h.path,
        method: h.method as 'GET',
        headers: h.headers,
        body: h.body,
        signal: AbortSignal.timeout(h.timeoutMs),
      });
      await res.body.dump({ limit: 64 * 1024 });
      if (statusIsHealthy(res.statusCode, h.extraStatuses))
        return result({ ok: true }, undefined, undefined);
      const detail = `status ${res.statusCode}`;
      return result({ ok: false, reason: detail }, 'status', detail);
    } catch (err) {
      const reason = classifyError(err);
      const code = (err as { code?: string }).code;
      const detail =
        reason === 'tls' || reason === 'error'
          ? `${reason}: ${code ?? (err as Error).message}`
          : reason;
      return result({ ok: false, reason: detail }, reason, detail);
    }
  }

  close(): Promise<void> {
    return this.client.destroy();
  }
}
