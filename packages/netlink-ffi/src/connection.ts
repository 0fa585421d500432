import { constants } from 'node:os';
import { align4 } from './attributes.js';
import { le16, le32 } from './bytes.js';
import { NetlinkError } from './errors.js';
import {
  NLM_F_ACK,
  NLM_F_DUMP,
  NLM_F_DUMP_INTR,
  NLM_F_REQUEST,
  NLMSG_DONE,
  NLMSG_ERROR,
  NLMSG_HDRLEN,
  NLMSG_NOOP,
  encodeMessage,
  messageAt,
  messageLength,
  doneErrno,
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
  /**
   * Names the request in errors, e.g. "IPVS NEW_SERVICE"; a function when the text costs
   * something to build (a listing sends a GET_DEST per service) and only an error needs it.
   */
  operation: string | (() => string);
}

/** The text naming a request in errors. */
function operationName(req: NetlinkRequest): string {
  return typeof req.operation === 'string' ? req.operation : req.operation();
}

/**
 * Reads one reply message where it lies: buf[start, end) holds it whole, header included. The
 * bytes are only valid during the call (they may be the socket's receive buffer), so what it
 * returns must keep no reference into them: decoders copy numbers and strings out.
 */
export type MessageDecoder<T> = (buf: Buffer, start: number, end: number) => T;

/** A reply kept as it came: the message, its payload copied out of the receive buffer. */
const copyMessage: MessageDecoder<NetlinkMessage> = (buf, start, end) =>
  messageAt(Buffer.from(buf.subarray(start, end)), 0, end - start);

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
interface Exchanged<T> {
  replies: T[];
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
  /** Requests are framed here, one at a time: sends are synchronous. */
  private tx = Buffer.alloc(256);

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
    return this.requestDecoded(req, copyMessage);
  }

  /**
   * Sends a request and resolves with its replies (without the final ACK or DONE) as `decode`
   * reads them, in place: no reply is copied out of the receive buffer.
   */
  requestDecoded<T>(req: NetlinkRequest, decode: MessageDecoder<T>): Promise<T[]> {
    const run = this.queue.then(() => this.exchangeConsistent(req, decode));
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

  /** Resolves with the next datagram once one is queued; the sync path has none to wait for. */
  private async waitForDatagram(deadline: number): Promise<Buffer> {
    for (;;) {
      await this.transport.readable(deadline);
      const datagram = this.transport.receiveNow();
      if (datagram) return datagram;
    }
  }

  /** One request message, framed in `tx` (valid until the next one). */
  private frame(req: NetlinkRequest, seq: number, flags: number): Buffer {
    const length = NLMSG_HDRLEN + req.payload.length;
    const size = align4(length);
    if (size > this.tx.length) this.tx = Buffer.alloc(Math.max(size, this.tx.length * 2));
    const tx = this.tx;
    tx.writeUInt32LE(length, 0);
    tx.writeUInt16LE(req.type, 4);
    tx.writeUInt16LE(flags, 6);
    tx.writeUInt32LE(seq, 8);
    tx.writeUInt32LE(0, 12);
    tx.set(req.payload, NLMSG_HDRLEN);
    for (let i = length; i < size; i++) tx[i] = 0;
    return tx.subarray(0, size);
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
        const reply = this.transport.receiveNow() ?? (await this.waitForDatagram(deadline));
        for (const msg of parseMessages(reply)) {
          const at = index.get(msg.seq);
          if (at === undefined || msg.type !== NLMSG_ERROR) continue;
          const err = parseErrorReply(msg);
          if (err.errno !== 0) {
            results[at] = new NetlinkError({
              errno: err.errno,
              operation: operationName(reqs[at]!),
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
  private async exchangeConsistent<T>(
    req: NetlinkRequest,
    decode: MessageDecoder<T>,
  ): Promise<T[]> {
    for (let attempt = 1; ; attempt++) {
      const { replies, interrupted } = await this.exchange(req, decode);
      if (!interrupted) return replies;
      if (attempt >= DUMP_ATTEMPTS) {
        throw new NetlinkError({
          errno: constants.errno.EINTR,
          operation: `${operationName(req)}: the table changed during each of ${DUMP_ATTEMPTS} dumps`,
        });
      }
    }
  }

  /**
   * One request and its replies. A queued datagram is read at once (a dump's always is): the
   * exchange only waits, asynchronously, when the socket has nothing yet.
   */
  private async exchange<T>(req: NetlinkRequest, decode: MessageDecoder<T>): Promise<Exchanged<T>> {
    const seq = this.nextSeq();
    const flags = NLM_F_REQUEST | (req.dump ? NLM_F_DUMP : NLM_F_ACK) | (req.flags ?? 0);
    const deadline = performance.now() + this.timeoutMs;
    const replies: T[] = [];
    let interrupted = false;
    // A reply that does not decode fails the request, but only once the dump is read to its end:
    // a dump left unread would make the kernel refuse the socket's next one (EBUSY).
    let undecodable: Error | undefined;
    try {
      this.transport.send(this.frame(req, seq, flags));
      for (let received = 0; ; received++) {
        if (req.dump && received > 0 && received % DATAGRAMS_PER_TURN === 0) await nextTurn();
        const datagram = this.transport.receiveNow() ?? (await this.waitForDatagram(deadline));
        for (let at = 0; at < datagram.length;) {
          const start = at;
          const length = messageLength(datagram, start, datagram.length);
          at += align4(length);
          const type = le16(datagram, start + 4);
          if (le32(datagram, start + 8) !== seq || type === NLMSG_NOOP) continue;
          if (le16(datagram, start + 6) & NLM_F_DUMP_INTR) interrupted = true;
          if (type === NLMSG_ERROR) {
            const err = parseErrorReply(messageAt(datagram, start, length));
            if (err.errno !== 0) {
              throw new NetlinkError({
                errno: err.errno,
                operation: operationName(req),
                kernelMessage: err.message,
              });
            }
            if (undecodable !== undefined) throw undecodable;
            return { replies, interrupted }; // the ACK closes a do-request
          }
          if (type === NLMSG_DONE) {
            const errno = doneErrno(datagram, start, length);
            if (errno !== 0) throw new NetlinkError({ errno, operation: operationName(req) });
            if (undecodable !== undefined) throw undecodable;
            return { replies, interrupted };
          }
          if (undecodable !== undefined) continue;
          try {
            replies.push(decode(datagram, start, start + length));
          } catch (err) {
            undecodable = err instanceof Error ? err : new Error(String(err));
          }
        }
      }
    } catch (err) {
      // A socket-level failure (timeout, truncation): say which request it interrupted.
      const operation = operationName(req);
      if (err instanceof NetlinkError && err.operation !== operation) throw err.within(operation);
      throw err;
    }
  }
}
