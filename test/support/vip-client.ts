// A client on the worker talking to the VIP at a steady rate, one fresh connection per request,
// as kubelet and kube-proxy reconnecting would. Records what each request saw.
import { request } from 'node:https';

export interface ClientResult {
  /** performance.now() at the start of the request. */
  at: number;
  ok: boolean;
  /** Which master answered ("m1"), when one did. */
  master?: string;
  error?: string;
}

export class VipClient {
  readonly results: ClientResult[] = [];
  private timer: NodeJS.Timeout | undefined;
  private inFlight = new Set<Promise<void>>();

  constructor(
    private readonly host: string,
    private readonly port: number,
    private readonly ratePerSecond = 50,
    private readonly timeoutMs = 2000,
  ) {}

  start(): void {
    this.timer = setInterval(() => this.fire(), 1000 / this.ratePerSecond);
  }

  async stop(): Promise<void> {
    clearInterval(this.timer);
    await Promise.all(this.inFlight);
  }

  private fire(): void {
    const at = performance.now();
    const p = new Promise<void>((resolve) => {
      const done = (r: Omit<ClientResult, 'at'>): void => {
        this.results.push({ at, ...r });
        resolve();
      };
      const req = request(
        {
          host: this.host,
          port: this.port,
          path: '/',
          agent: false,
          rejectUnauthorized: false,
          timeout: this.timeoutMs,
        },
        (res) => {
          let body = '';
          res.setEncoding('utf8');
          res.on('data', (c: string) => (body += c));
          res.on('end', () =>
            done(
              res.statusCode === 200
                ? { ok: true, master: body.trim() }
                : { ok: false, error: `status ${res.statusCode}` },
            ),
          );
          res.on('error', (e) => done({ ok: false, error: e.message }));
        },
      );
      req.on('timeout', () => req.destroy(new Error('timeout')));
      req.on('error', (e: NodeJS.ErrnoException) =>
        done({ ok: false, error: e.code ?? e.message }),
      );
      req.end();
    });
    this.inFlight.add(p);
    void p.finally(() => this.inFlight.delete(p));
  }

  /** Requests started in [from, to). */
  between(from: number, to = Infinity): ClientResult[] {
    return this.results.filter((r) => r.at >= from && r.at < to);
  }

  failures(from = 0, to = Infinity): ClientResult[] {
    return this.between(from, to).filter((r) => !r.ok);
  }

  /** Successful answers per master in [from, to). */
  answeredBy(from = 0, to = Infinity): Record<string, number> {
    const out: Record<string, number> = {};
    for (const r of this.between(from, to))
      if (r.ok && r.master) out[r.master] = (out[r.master] ?? 0) + 1;
    return out;
  }
}
