// The request/reply rules of NetlinkConnection, against a scripted socket (pure logic only:
// the kernel tier proves the real socket).
import assert from 'node:assert/strict';
import { test } from 'node:test';
import {
  AttributeEncoder,
  NLM_F_ACK_TLVS,
  NLM_F_CAPPED,
  NLM_F_MULTI,
  NLMSG_DONE,
  NLMSG_ERROR,
  NetlinkConnection,
  NetlinkError,
  type NetlinkSocket,
  encodeMessage,
  parseMessages,
} from '../src/index.js';

type Responder = (request: { seq: number; type: number; flags: number }) => Buffer[];

function scripted(respond: Responder): { socket: NetlinkSocket; sent: Buffer[] } {
  const inbox: Buffer[] = [];
  const sent: Buffer[] = [];
  const socket = {
    send(buf: Buffer) {
      sent.push(buf);
      const [req] = parseMessages(buf);
      inbox.push(...respond(req!));
    },
    async receive(deadline: number) {
      const next = inbox.shift();
      if (next) return next;
      await new Promise((r) => setTimeout(r, Math.max(0, deadline - performance.now())));
      throw new NetlinkError({ errno: 110, operation: 'recv: no reply before the deadline' });
    },
    close() {},
  };
  return { socket: socket as unknown as NetlinkSocket, sent };
}

const msg = (type: number, seq: number, payload: Buffer, flags = 0): Buffer =>
  encodeMessage({ type, flags, seq, pid: 1234, payload });

function errorPayload(errno: number, kernelMessage?: string): Buffer {
  const head = Buffer.alloc(4 + 16);
  head.writeInt32LE(-errno, 0);
  head.writeUInt32LE(16, 4);
  if (kernelMessage === undefined) return head;
  return Buffer.concat([head, new AttributeEncoder().string(1, kernelMessage).encode()]);
}

test('replies to an older sequence number are dropped, the ACK ends a do-request', async () => {
  const { socket } = scripted((req) => [
    msg(0x24, req.seq - 1, Buffer.from('stale!!!')),
    Buffer.concat([
      msg(0x24, req.seq, Buffer.from('answer!!')),
      msg(NLMSG_ERROR, req.seq, errorPayload(0)),
    ]),
  ]);
  const conn = new NetlinkConnection(socket);
  const replies = await conn.request({ type: 0x24, payload: Buffer.alloc(4), operation: 'test' });
  assert.deepEqual(
    replies.map((r) => r.payload.toString()),
    ['answer!!'],
  );
});

test('a dump spread over several datagrams ends on DONE', async () => {
  const { socket, sent } = scripted((req) => [
    Buffer.concat([
      msg(0x24, req.seq, Buffer.from('one.'), NLM_F_MULTI),
      msg(0x24, req.seq, Buffer.from('two.'), NLM_F_MULTI),
    ]),
    msg(0x24, req.seq, Buffer.from('three...'), NLM_F_MULTI),
    msg(NLMSG_DONE, req.seq, Buffer.alloc(4), NLM_F_MULTI),
  ]);
  const conn = new NetlinkConnection(socket);
  const replies = await conn.request({
    type: 0x24,
    payload: Buffer.alloc(4),
    dump: true,
    operation: 'dump',
  });
  assert.deepEqual(
    replies.map((r) => r.payload.toString()),
    ['one.', 'two.', 'three...'],
  );
  assert.equal(parseMessages(sent[0]!)[0]!.flags, 0x301, 'REQUEST|DUMP, no ACK');
});

test('a kernel error becomes a NetlinkError with errno name, operation and ext-ack text', async () => {
  const { socket } = scripted((req) => [
    msg(
      NLMSG_ERROR,
      req.seq,
      errorPayload(17, 'Service already exists'),
      NLM_F_CAPPED | NLM_F_ACK_TLVS,
    ),
  ]);
  const conn = new NetlinkConnection(socket);
  await assert.rejects(
    conn.request({ type: 0x24, payload: Buffer.alloc(4), operation: 'IPVS NEW_SERVICE' }),
    (err) => {
      assert.ok(err instanceof NetlinkError);
      assert.equal(err.code, 'EEXIST');
      assert.equal(err.operation, 'IPVS NEW_SERVICE');
      assert.equal(err.kernelMessage, 'Service already exists');
      return true;
    },
  );
});

test('no reply: the request fails with ETIMEDOUT naming it, and the next request still works', async () => {
  let first = true;
  const { socket } = scripted((req) => {
    if (first) {
      first = false;
      return [];
    }
    return [msg(NLMSG_ERROR, req.seq, errorPayload(0))];
  });
  const conn = new NetlinkConnection(socket, { timeoutMs: 50 });
  await assert.rejects(
    conn.request({ type: 0x24, payload: Buffer.alloc(4), operation: 'slow op' }),
    (err) => {
      assert.ok(err instanceof NetlinkError);
      assert.equal(err.code, 'ETIMEDOUT');
      assert.match(err.operation, /^slow op: recv/);
      return true;
    },
  );
  assert.deepEqual(
    await conn.request({ type: 0x24, payload: Buffer.alloc(4), operation: 'next' }),
    [],
  );
});

test('requests are serialised: the second is sent only after the first has its answer', async () => {
  const order: string[] = [];
  const { socket } = scripted((req) => {
    order.push(`send ${req.seq}`);
    return [msg(NLMSG_ERROR, req.seq, errorPayload(0))];
  });
  const conn = new NetlinkConnection(socket);
  const a = conn
    .request({ type: 0x24, payload: Buffer.alloc(4), operation: 'a' })
    .then(() => order.push('a done'));
  const b = conn
    .request({ type: 0x24, payload: Buffer.alloc(4), operation: 'b' })
    .then(() => order.push('b done'));
  await Promise.all([a, b]);
  assert.equal(order[1], 'a done');
  assert.equal(order[3], 'b done');
});

test("a batch shares datagrams, asks an ACK of each chunk's last message, and maps errors to their requests", async () => {
  const datagrams: number[][] = [];
  const { socket } = scripted(() => []);
  const inbox: Buffer[] = [];
  (socket as unknown as { send: (b: Buffer) => void }).send = (buf: Buffer) => {
    const msgs = parseMessages(buf);
    datagrams.push(msgs.map((m) => m.flags));
    for (const m of msgs) {
      // The kernel answers errors always and successes only when asked.
      if (m.payload.readUInt8(0) === 0xee) inbox.push(msg(NLMSG_ERROR, m.seq, errorPayload(17)));
      else if (m.flags & 0x4) inbox.push(msg(NLMSG_ERROR, m.seq, errorPayload(0)));
    }
  };
  (socket as unknown as { receive: () => Promise<Buffer> }).receive = async () => inbox.shift()!;
  const conn = new NetlinkConnection(socket);
  const reqs = Array.from({ length: 5 }, (_, i) => ({
    type: 0x24,
    payload: Buffer.from([i === 3 ? 0xee : 0, 0, 0, 0]),
    operation: `op ${i}`,
  }));
  const results = await conn.requestBatch(reqs, 2);
  assert.deepEqual(
    datagrams,
    [[0x1, 0x5], [0x1, 0x5], [0x5]],
    'chunks of two, ACK on the last of each',
  );
  assert.deepEqual(
    results.map((r) => r?.code),
    [undefined, undefined, undefined, 'EEXIST', undefined],
  );
  assert.equal(results[3]!.operation, 'op 3');
});
