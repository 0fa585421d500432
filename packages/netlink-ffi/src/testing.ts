// @kha/netlink-ffi/testing: a NetlinkConnection whose kernel is a script, for unit tests of code
// built on the clients (as genetlink's genltest.Dial does for Go). The script sees each request
// message as sent and returns the datagrams the "kernel" answers with; the builders below make
// those datagrams. Real framing and real parsing run on both sides: only the socket is replaced.
import { AttributeEncoder } from './attributes.js';
import { type ConnectionOptions, NetlinkConnection } from './connection.js';
import { type ErrnoName, NetlinkError, errnoValue } from './errors.js';
import { CTRL_ATTR_FAMILY_ID, CTRL_ATTR_FAMILY_NAME, CTRL_CMD_GETFAMILY } from './genl/family.js';
import { encodeGenl } from './genl/header.js';
import {
  NLM_F_CAPPED,
  NLM_F_DUMP_INTR,
  NLM_F_MULTI,
  NLMSG_DONE,
  NLMSG_ERROR,
  NLMSG_HDRLEN,
  type NetlinkMessage,
  encodeMessage,
  parseMessages,
} from './message.js';
import type { NetlinkTransport } from './socket.js';

/** Answers one request message with zero or more datagrams. */
export type Script = (request: NetlinkMessage) => Buffer[];

/** A scripted connection and what was done with it. */
export interface ScriptedConnection {
  /** Hand this to IpvsClient.connect / RouteClient.connect. */
  connection: NetlinkConnection;
  /** Every request message sent, in order. */
  requests: NetlinkMessage[];
  /** The same messages grouped by the datagram that carried them. */
  datagrams: NetlinkMessage[][];
  /** True once the connection was closed. */
  readonly closed: boolean;
}

/**
 * A connection that answers from `script`. A request the script answers with nothing waits, like
 * a silent kernel, until the connection's deadline (ConnectionOptions.timeoutMs) and fails with
 * ETIMEDOUT.
 */
export function scriptedConnection(
  script: Script,
  options: ConnectionOptions = {},
): ScriptedConnection {
  const inbox: Buffer[] = [];
  const requests: NetlinkMessage[] = [];
  const datagrams: NetlinkMessage[][] = [];
  let closed = false;
  // Like the real socket, every datagram arrives in the one receive buffer, overwritten by the
  // next: a reader that kept a reference into an earlier datagram would see it change.
  let receiveBuffer = Buffer.alloc(0);
  const transport: NetlinkTransport = {
    send(datagram) {
      if (closed) throw new NetlinkError({ errno: errnoValue('EBADF'), operation: 'send' });
      // The sender may reuse its bytes once send returns.
      const messages = parseMessages(Buffer.from(datagram));
      datagrams.push(messages);
      for (const request of messages) {
        requests.push(request);
        inbox.push(...script(request));
      }
    },
    receiveNow() {
      if (closed) throw new NetlinkError({ errno: errnoValue('EBADF'), operation: 'recv' });
      const next = inbox.shift();
      if (!next) return undefined;
      if (receiveBuffer.length < next.length) receiveBuffer = Buffer.alloc(next.length * 2);
      receiveBuffer.fill(0xee);
      next.copy(receiveBuffer);
      return receiveBuffer.subarray(0, next.length);
    },
    async readable(deadline) {
      // Nothing arrives later: the script answered when the request was sent.
      await new Promise((resolve) =>
        setTimeout(resolve, Math.max(0, deadline - performance.now())),
      );
      throw new NetlinkError({
        errno: errnoValue('ETIMEDOUT'),
        operation: 'recv: no reply before the deadline',
      });
    },
    close() {
      closed = true;
    },
  };
  return {
    connection: new NetlinkConnection(transport, options),
    requests,
    datagrams,
    get closed() {
      return closed;
    },
  };
}

/** A reply message to `request` (its sequence number), by default of the request's type. */
export function reply(
  request: NetlinkMessage,
  payload: Buffer,
  { type = request.type, flags = 0 }: { type?: number; flags?: number } = {},
): Buffer {
  return encodeMessage({ type, flags, seq: request.seq, pid: 0, payload });
}

/** The kernel's error reply (header-only echo, as with NETLINK_CAP_ACK). */
export function errorReply(request: NetlinkMessage, errno: ErrnoName | 0): Buffer {
  const payload = Buffer.alloc(4 + NLMSG_HDRLEN);
  payload.writeInt32LE(errno === 0 ? 0 : -errnoValue(errno), 0);
  encodeMessage({ ...request, payload: Buffer.alloc(0) }).copy(payload, 4, 0, NLMSG_HDRLEN);
  return reply(request, payload, { type: NLMSG_ERROR, flags: NLM_F_CAPPED });
}

/** The acknowledgement of a do-request. */
export function ack(request: NetlinkMessage): Buffer {
  return errorReply(request, 0);
}

/**
 * A dump's answer: one multi-part message per payload (of the request's type unless `type` says,
 * e.g. RTM_NEWROUTE for RTM_GETROUTE), then NLMSG_DONE. `interrupted` marks the messages
 * NLM_F_DUMP_INTR, as the kernel does when the table changed during the dump.
 */
export function dumpReplies(
  request: NetlinkMessage,
  payloads: Buffer[],
  { interrupted = false, type = request.type }: { interrupted?: boolean; type?: number } = {},
): Buffer[] {
  const flags = NLM_F_MULTI | (interrupted ? NLM_F_DUMP_INTR : 0);
  return [
    ...payloads.map((p) => reply(request, p, { type, flags })),
    reply(request, Buffer.alloc(4), { type: NLMSG_DONE, flags }),
  ];
}

/** The generic netlink controller's answer to a family lookup, then its ACK. */
export function familyReplies(
  request: NetlinkMessage,
  family: { id: number; name: string },
): Buffer[] {
  const attrs = new AttributeEncoder()
    .u16(CTRL_ATTR_FAMILY_ID, family.id)
    .string(CTRL_ATTR_FAMILY_NAME, family.name)
    .encode();
  return [
    reply(request, encodeGenl({ command: CTRL_CMD_GETFAMILY, version: 1 }, attrs)),
    ack(request),
  ];
}
