import { constants } from 'node:os';
import { NetlinkError } from './errors.js';
import {
  NLM_F_ACK,
  NLM_F_DUMP,
  NLM_F_DUMP_INTR,
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
import { NetlinkSocket, type NetlinkTransport } from './socket.js';

/** Settings of a connection. */
export interface ConnectionOptions {
  /** How long one request may wait for its replies, in milliseconds. */
  timeoutMs?: number;
}

/** One request as a protocol client hands it to the connection. */
export interface NetlinkRequest {
  /** Message type: the protocol's (RTM_*) or a generic netlink family id. */
  type: number;
  /** Extra flags besides REQUEST and ACK/DUMP (e.g. CREATE|EXCL). */
  flags?: number;
  /** Everything after the nlmsghdr. */
  payload: Buffer;
  /** A dump: ends on NLMSG_DONE instead of an ACK. */
  dump?: boolean;
  /** Names the request in errors, e.g. "IPVS NEW_SERVICE". */
  operation: string;
}

/** How long a request waits for its replies unless ConnectionOptions say otherwise. */
export const DEFAULT_TIMEOUT_MS = 5000;
/** Requests per datagram in a batch: their error replies (~1 KiB each in the queue) must fit. */
export const BATCH_CHUNK = 64;
/**
 * Attempts at a dump the kernel marks interrupted (NLM_F_DUMP_INTR: the table changed under it).
 * Each retry reads the whole table again; past this the table is changing too fast to read.
 */
export const DUMP_ATTEMPTS = 3;
/**
 * Datagrams of a dump read before letting the event loop run. A dump's replies are usually
 * queued already, so reading them never waits, and a large table (100k routes: ~400 datagrams)
 * would otherwise hold the loop, timers and probes included, for the whole dump.
 */
export const DATAGRAMS_PER_TURN = 8;

const nextTurn = (): Promise<void> => new Promise((resolve) => setImmediate(resolve));

/** What one exchange ended with. */
interface Exchanged {
  replies: NetlinkMessage[];
  interrupted: boolean;
}

/**
 * Request/reply over one netlink socket. Requests are serialised (one in flight at a time), each
 * gets a fresh sequence number, and replies with another sequence number (late answers to a
 * request that timed out) are dropped. A do-request always asks for an ACK, so it ends on the
 * kernel's NLMSG_ERROR; a dump ends on NLMSG_DONE, and is read again when the kernel says it
 * was interrupted.
 */
export class NetlinkConnection {
  private seq = Math.floor(Math.random() * 0x7fffffff);
  private queue: Promise<unknown> = Promise.resolve();
  private readonly timeoutMs: number;

  /** A connection over any transport: a NetlinkSocket, or a scripted one in tests. */
  constructor(
    private readonly transport: NetlinkTransport,
    options: ConnectionOptions = {},
  ) {
    this.timeoutMs = options.timeoutMs ?? DEFAULT_TIMEOUT_MS;
  }

  /** A connection over a new socket of `protocol` (NETLINK_ROUTE, NETLINK_GENERIC). */
  static open(protocol: number, options: ConnectionOptions = {}): NetlinkConnection {
    return new NetlinkConnection(NetlinkSocket.open(protocol), options);
  }

  /** Sends a request and resolves with its reply messages (without the final ACK or DONE). */
  request(req: NetlinkRequest): Promise<NetlinkMessage[]> {
    const run = this.queue.then(() => this.exchangeConsistent(req));
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
  requestBatch(
    reqs: NetlinkRequest[],
    chunkSize = BATCH_CHUNK,
  ): Promise<Array<NetlinkError | undefined>> {
    const run = this.queue.then(() => this.exchangeBatch(reqs, chunkSize));
    this.queue = run.catch(() => undefined);
    return run;
  }

  /** Closes the socket once the request in flight, if any, has finished. */
  async close(): Promise<void> {
    await this.queue;
    this.transport.close();
  }

  private nextSeq(): number {
    this.seq = (this.seq + 1) >>> 0 || 1;
    return this.seq;
  }

  private async exchangeBatch(
    reqs: NetlinkRequest[],
    chunkSize: number,
  ): Promise<Array<NetlinkError | undefined>> {
    const results = new Array<NetlinkError | undefined>(reqs.length).fill(undefined);
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
      this.transport.send(datagram);
      let done = false;
      while (!done) {
        const reply = await this.transport.receive(deadline);
        for (const msg of parseMessages(reply)) {
          const at = index.get(msg.seq);
          if (at === undefined || msg.type !== NLMSG_ERROR) continue;
          const err = parseErrorReply(msg);
          if (err.errno !== 0) {
            results[at] = new NetlinkError({
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

  /** A do-request once; a dump until the kernel reports it consistent, at most DUMP_ATTEMPTS. */
  private async exchangeConsistent(req: NetlinkRequest): Promise<NetlinkMessage[]> {
    for (let attempt = 1; ; attempt++) {
      const { replies, interrupted } = await this.exchange(req);
      if (!interrupted) return replies;
      if (attempt >= DUMP_ATTEMPTS) {
        throw new NetlinkError({
          errno: constants.errno.EINTR,
          operation: `${req.operation}: the table changed during each of ${DUMP_ATTEMPTS} dumps`,
        });
      }
    }
  }

  private async exchange(req: NetlinkRequest): Promise<Exchanged> {
    const seq = this.nextSeq();
    const flags = NLM_F_REQUEST | (req.dump ? NLM_F_DUMP : NLM_F_ACK) | (req.flags ?? 0);
    const deadline = performance.now() + this.timeoutMs;
    let interrupted = false;
    try {
      this.transport.send(
        encodeMessage({ type: req.type, flags, seq, pid: 0, payload: req.payload }),
      );
      const replies: NetlinkMessage[] = [];
      for (let received = 0; ; received++) {
        if (req.dump && received > 0 && received % DATAGRAMS_PER_TURN === 0) await nextTurn();
        const datagram = await this.transport.receive(deadline);
        for (const msg of parseMessages(datagram)) {
          if (msg.seq !== seq || msg.type === NLMSG_NOOP) continue;
          if (msg.flags & NLM_F_DUMP_INTR) interrupted = true;
          if (msg.type === NLMSG_ERROR) {
            const err = parseErrorReply(msg);
            if (err.errno !== 0) {
              throw new NetlinkError({
                errno: err.errno,
                operation: req.operation,
                kernelMessage: err.message,
              });
            }
            return { replies, interrupted }; // the ACK closes a do-request
          }
          if (msg.type === NLMSG_DONE) {
            const errno = parseDoneReply(msg);
            if (errno !== 0) throw new NetlinkError({ errno, operation: req.operation });
            return { replies, interrupted };
          }
          replies.push(msg);
        }
      }
    } catch (err) {
      // A socket-level failure (timeout, truncation): say which request it interrupted.
      if (err instanceof NetlinkError && err.operation !== req.operation)
        throw err.within(req.operation);
      throw err;
    }
  }
}
