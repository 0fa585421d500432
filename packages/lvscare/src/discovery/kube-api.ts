// Just enough of the Kubernetes API over node:https for discovery: a JSON GET and a watch stream
// (newline-delimited JSON events), with the kubeconfig's CA and client certificate. Every failure
// becomes a DiscoveryError with a reason fit for a metric label and a message of bounded length;
// no answer or event larger than MAX_ANSWER_BYTES is held in memory.
import { request } from 'node:https';
import type { IncomingMessage } from 'node:http';
import type { KubeCredentials } from './kubeconfig.js';
import { MAX_ANSWER_BYTES, boundedText } from './limits.js';

export type DiscoveryErrorReason =
  | 'credentials'
  | 'unreachable'
  | 'timeout'
  | 'tls'
  | 'unauthorized'
  | 'forbidden'
  | 'not-found'
  | 'gone'
  | 'status'
  | 'bad-answer'
  | 'too-many-masters'
  | 'empty-answer';

export const DISCOVERY_ERROR_REASONS: readonly DiscoveryErrorReason[] = [
  'credentials',
  'unreachable',
  'timeout',
  'tls',
  'unauthorized',
  'forbidden',
  'not-found',
  'gone',
  'status',
  'bad-answer',
  'too-many-masters',
  'empty-answer',
];

export class DiscoveryError extends Error {
  constructor(
    readonly reason: DiscoveryErrorReason,
    message: string,
  ) {
    // Bounded here, once: the message is kept for /readyz and logged, and may come from the API.
    super(boundedText(message));
  }
}

const STATUS_REASONS: Record<number, DiscoveryErrorReason> = {
  401: 'unauthorized',
  403: 'forbidden',
  404: 'not-found',
  410: 'gone',
};

function reasonOfSocketError(err: NodeJS.ErrnoException): DiscoveryErrorReason {
  const code = err.code ?? '';
  if (/CERT|SSL|TLS|SELF_SIGNED|ERR_TLS|HOSTNAME|ALTNAME|EPROTO/.test(code)) return 'tls';
  if (code === 'ETIMEDOUT') return 'timeout';
  return 'unreachable';
}

/** A non-2xx answer: its Status message when it is one (bounded by DiscoveryError), else its text. */
export function statusError(status: number, body: string): DiscoveryError {
  let message = body;
  try {
    const s = JSON.parse(body) as { message?: unknown };
    if (typeof s?.message === 'string') message = s.message;
  } catch {
    // not a Status object
  }
  return new DiscoveryError(STATUS_REASONS[status] ?? 'status', `HTTP ${status}: ${message}`);
}

export interface ApiCall {
  creds: KubeCredentials;
  path: string;
  /** No byte for this long fails the call (for a watch: between events, bookmarks included). */
  idleMs: number;
  signal?: AbortSignal | undefined;
}

/** A write: the method and the JSON body, with its media type (a patch names its kind). */
export interface ApiWrite {
  method: 'POST' | 'PATCH';
  body: unknown;
  contentType: string;
}

function open(c: ApiCall, write?: ApiWrite): Promise<IncomingMessage> {
  const { creds } = c;
  const body = write ? Buffer.from(JSON.stringify(write.body)) : undefined;
  return new Promise((resolve, reject) => {
    const req = request({
      host: creds.server.hostname.replace(/^\[|\]$/g, ''),
      port: creds.server.port || 443,
      path: `${creds.server.pathname.replace(/\/$/, '')}${c.path}`,
      method: write?.method ?? 'GET',
      headers: {
        accept: 'application/json',
        'user-agent': 'lvscare',
        ...(creds.token ? { authorization: `Bearer ${creds.token}` } : {}),
        ...(write && body
          ? { 'content-type': write.contentType, 'content-length': body.length }
          : {}),
      },
      ca: creds.ca,
      cert: creds.cert,
      key: creds.key,
      servername: creds.serverName,
      rejectUnauthorized: !creds.insecureSkipVerify,
      agent: false,
      signal: c.signal,
    });
    req.setTimeout(c.idleMs, () =>
      req.destroy(new DiscoveryError('timeout', `no answer within ${c.idleMs}ms`)),
    );
    req.on('response', (res) => {
      res.socket.setTimeout(c.idleMs, () =>
        res.destroy(new DiscoveryError('timeout', `silent for ${c.idleMs}ms`)),
      );
      resolve(res);
    });
    req.on('error', (err) => reject(asDiscoveryError(err)));
    req.end(body);
  });
}

export function asDiscoveryError(err: unknown): DiscoveryError {
  if (err instanceof DiscoveryError) return err;
  const e = err as NodeJS.ErrnoException;
  return new DiscoveryError(reasonOfSocketError(e), e.message ?? String(err));
}

async function bodyOf(res: IncomingMessage, limit: number): Promise<string> {
  let size = 0;
  const chunks: Buffer[] = [];
  try {
    for await (const chunk of res as AsyncIterable<Buffer>) {
      size += chunk.length;
      if (size > limit) {
        res.destroy();
        throw new DiscoveryError('bad-answer', `answer larger than ${limit} bytes`);
      }
      chunks.push(chunk);
    }
  } catch (err) {
    throw asDiscoveryError(err);
  }
  return Buffer.concat(chunks).toString('utf8');
}

/** GET a JSON document, or with `write` send one; non-2xx answers throw with the Status message. */
export async function getJson(call: ApiCall, write?: ApiWrite): Promise<unknown> {
  const res = await open(call, write);
  const text = await bodyOf(res, MAX_ANSWER_BYTES);
  const status = res.statusCode ?? 0;
  if (status < 200 || status > 299) throw statusError(status, text);
  try {
    return JSON.parse(text);
  } catch {
    throw new DiscoveryError('bad-answer', 'the answer is not JSON');
  }
}

export interface WatchEvent {
  type: string;
  object: unknown;
}

/**
 * Streams a watch: `onEvent` for every event line. Resolves when the server ends the watch
 * (timeoutSeconds), rejects on any failure, including a line longer than MAX_ANSWER_BYTES.
 */
export async function watch(call: ApiCall, onEvent: (e: WatchEvent) => void): Promise<void> {
  const res = await open(call);
  const status = res.statusCode ?? 0;
  if (status < 200 || status > 299) throw statusError(status, await bodyOf(res, MAX_ANSWER_BYTES));
  const lines = new LineSplitter(MAX_ANSWER_BYTES);
  try {
    for await (const chunk of res as AsyncIterable<Buffer>) {
      for (const line of lines.push(chunk)) {
        let event: WatchEvent;
        try {
          event = JSON.parse(line) as WatchEvent;
        } catch {
          throw new DiscoveryError('bad-answer', 'a watch event is not JSON');
        }
        if (typeof event?.type !== 'string')
          throw new DiscoveryError('bad-answer', 'a watch event has no type');
        onEvent(event);
      }
    }
  } catch (err) {
    res.destroy();
    throw asDiscoveryError(err);
  }
}

/**
 * Newline-delimited text from a byte stream, each byte looked at once: a long line arriving in
 * many chunks is neither rescanned nor re-concatenated per chunk, and one past `max` bytes fails.
 */
export class LineSplitter {
  private pending: Buffer[] = [];
  private pendingBytes = 0;

  constructor(private readonly max: number) {}

  /** The complete, non-blank lines this chunk ends. */
  push(chunk: Buffer): string[] {
    const out: string[] = [];
    let from = 0;
    for (let nl = chunk.indexOf(10); nl >= 0; nl = chunk.indexOf(10, from)) {
      this.keep(chunk.subarray(from, nl));
      const line = Buffer.concat(this.pending, this.pendingBytes).toString('utf8').trim();
      this.pending = [];
      this.pendingBytes = 0;
      if (line !== '') out.push(line);
      from = nl + 1;
    }
    this.keep(chunk.subarray(from));
    return out;
  }

  private keep(part: Buffer): void {
    if (part.length === 0) return;
    this.pendingBytes += part.length;
    if (this.pendingBytes > this.max)
      throw new DiscoveryError('bad-answer', `a watch event larger than ${this.max} bytes`);
    this.pending.push(part);
  }
}
