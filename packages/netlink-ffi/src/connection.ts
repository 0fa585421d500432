import { NetlinkError, type NetlinkErrorDetails } from './errors.js';
import {
  NLM_F_ACK,
  NLM_F_DUMP,
  NLM_F_REQUEST,
  NLMSG_DONE,
  NLMSG_ERROR,
  NLMSG_NOOP,
  encodeMessage,
  parseDoneReply,
  parseErrorReply,
  parseMessages,
  type NetlinkMessage,
} from './message.js';
import { NetlinkSocket } from './socket.js';

export interface ConnectionOptions {
  /** How long one request may wait for its replies, in milliseconds. */
  timeoutMs?: number;
}

export interface Request {
  type: number;
  /** Extra flags besides REQUEST and ACK/DUMP (e.g. CREATE|EXCL). */
  flags?: number;
  payload: Buffer;
  dump?: boolean;
  /** Names the request in errors, e.g. "IPVS NEW_SERVICE". */
  operation: string;
}

/** Turns a kernel errno into the error thrown to the caller; lets protocols add hints. */
export type ErrorMapper = (details: NetlinkErrorDetails) => NetlinkError;

const defaultMapper: ErrorMapper = (details) => new NetlinkError(details);

export const DEFAULT_TIMEOUT_MS = 5000;
/** Requests per datagram in a batch: their error replies (~1 KiB each in the queue) must fit. */
export const BATCH_CHUNK = 64;

/**
 * Request/reply over one netlink socket. Requests are serialised (one in flight at a time), each
 * gets a fresh sequence number, and replies with another sequence number (late answers to a
 * request that timed out) are dropped. A do-request always asks for an ACK, so it ends on the
 * kernel's NLMSG_ERROR; a dump ends on NLMSG_DONE.
 */
export class NetlinkConnection {
  private seq = Math.floor(Math.random() * 0x7fffffff);
  private queue: Promise<unknown> = Promise.resolve();
  private readonly timeoutMs: number;

  constructor(
    readonly socket: NetlinkSocket,
    options: ConnectionOptions = {},
    private readonly mapError: ErrorMapper = defaultMapper,
  ) {
    this.timeoutMs = options.timeoutMs ?? DEFAULT_TIMEOUT_MS;
  }

  static open(
    protocol: number,
    options: ConnectionOptions = {},
    mapError?: ErrorMapper,
  ): NetlinkConnection {
    return new NetlinkConnection(NetlinkSocket.open(protocol), options, mapError);
  }

  /** Sends a request and resolves with its reply messages (without the final ACK or DONE). */
  request(req: Request): Promise<NetlinkMessage[]> {
    const run = this.queue.then(() => this.exchange(req));
    this.queue = run.catch(() => undefined);
    return run;
  }

  /**
   * Sends many do-requests (no dumps, no replies wanted) several to a datagram: each chunk asks
   * for an ACK on its last message only, and the kernel, which handles a datagram's messages in
   * order, reports errors for the others on its own. Resolves with one entry per request:
   * undefined when it succeeded, else its error. Chunks stay small so that error replies always
   * fit the socket's receive queue.
   */
  requestBatch(reqs: Request[], chunkSize = BATCH_CHUNK): Promise<Array<NetlinkError | undefined>> {
    const run = this.queue.then(() => this.exchangeBatch(reqs, chunkSize));
    this.queue = run.catch(() => undefined);
    return run;
  }

  /** Closes the socket once the request in flight, if any, has finished. */
  async close(): Promise<void> {
    await this.queue;
    this.socket.close();
  }

  private nextSeq(): number {
    this.seq = (this.seq + 1) >>> 0 || 1;
    return this.seq;
  }

  private async exchangeBatch(
    reqs: Request[],
    chunkSize: number,
  ): Promise<Array<NetlinkError | undefined>> {
    const results: Array<NetlinkError | undefined> = new Array(reqs.length).fill(undefined);
    for (let start = 0; start < reqs.length; start += chunkSize) {
      const chunk = reqs.slice(start, start + chunkSize);
      const seqs = chunk.map(() => this.nextSeq());
      const last = seqs[seqs.length - 1]!;
      const datagram = Buffer.concat(
        chunk.map((req, i) =>
          encodeMessage({
            type: req.type,
            flags: NLM_F_REQUEST | (req.flags ?? 0) | (i === chunk.length - 1 ? NLM_F_ACK : 0),
            seq: seqs[i]!,
            pid: 0,
            payload: req.payload,
          }),
        ),
      );
      const index = new Map(seqs.map((seq, i) => [seq, start + i]));
      const deadline = performance.now() + this.timeoutMs;
      this.socket.send(datagram);
      let done = false;
      while (!done) {
        const reply = await this.socket.receive(deadline);
        for (const msg of parseMessages(reply)) {
          const at = index.get(msg.seq);
          if (at === undefined || msg.type !== NLMSG_ERROR) continue;
          const err = parseErrorReply(msg);
          if (err.errno !== 0) {
            results[at] = this.mapError({
              errno: err.errno,
              operation: reqs[at]!.operation,
              kernelMessage: err.message,
            });
          }
          if (msg.seq === last) done = true;
        }
      }
    }
    return results;
  }

  private async exchange(req: Request): Promise<NetlinkMessage[]> {
    const seq = this.nextSeq();
    const flags = NLM_F_REQUEST | (req.dump ? NLM_F_DUMP : NLM_F_ACK) | (req.flags ?? 0);
    const deadline = performance.now() + this.timeoutMs;
    try {
      this.socket.send(encodeMessage({ type: req.type, flags, seq, pid: 0, payload: req.payload }));
      const replies: NetlinkMessage[] = [];
      for (;;) {
        const datagram = await this.socket.receive(deadline);
        for (const msg of parseMessages(datagram)) {
          if (msg.seq !== seq || msg.type === NLMSG_NOOP) continue;
          if (msg.type === NLMSG_ERROR) {
            const err = parseErrorReply(msg);
            if (err.errno !== 0) {
              throw this.mapError({
                errno: err.errno,
                operation: req.operation,
                kernelMessage: err.message,
              });
            }
            return replies; // the ACK closes a do-request
          }
          if (msg.type === NLMSG_DONE) {
            const errno = parseDoneReply(msg);
            if (errno !== 0) throw this.mapError({ errno, operation: req.operation });
            return replies;
          }
          replies.push(msg);
        }
      }
    } catch (err) {
      if (err instanceof NetlinkError && err.operation !== req.operation) {
        // A socket-level failure (timeout, truncation): say which request it interrupted.
        throw this.mapError({ errno: err.errno, operation: `${req.operation}: ${err.operation}` });
      }
      throw err;
    }
  }
}
