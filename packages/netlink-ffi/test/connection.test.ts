// The request/reply rules of NetlinkConnection, against a scripted kernel
// (@kha/netlink-ffi/testing: real framing and parsing, only the socket replaced).
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { NetlinkConnection, NetlinkDecodeError, NetlinkError } from '../src/index.js';
import { ack, dumpReplies, errorReply, reply, scriptedConnection } from '../src/testing.js';
import {
  AttributeEncoder,
  DATAGRAMS_PER_TURN,
  DUMP_ATTEMPTS,
  NLM_F_ACK,
  NLM_F_ACK_TLVS,
  NLM_F_CAPPED,
  NLMSG_ERROR,
  type NetlinkMessage,
  parseMessages,
} from '../src/wire.js';

const request = (operation: string, extra: { dump?: boolean; payload?: Buffer } = {}) => ({
  type: 0x24,
  payload: extra.payload ?? Buffer.alloc(4),
  dump: extra.dump ?? false,
  operation,
});
const texts = (msgs: NetlinkMessage[]): string[] => msgs.map((m) => m.payload.toString());

test('replies to an older sequence number are dropped, the ACK ends a do-request', async () => {
  const { connection } = scriptedConnection((req) => [
    reply({ ...req, seq: req.seq - 1 }, Buffer.from('stale!!!')),
    Buffer.concat([reply(req, Buffer.from('answer!!')), ack(req)]),
  ]);
  assert.deepEqual(texts(await connection.request(request('test'))), ['answer!!']);
});

test('a dump spread over several datagrams ends on DONE, and asks REQUEST|DUMP without ACK', async () => {
  const { connection, requests } = scriptedConnection((req) => {
    const [one, two, three, done] = dumpReplies(
      req,
      ['one.', 'two.', 'three...'].map((s) => Buffer.from(s)),
    );
    return [Buffer.concat([one!, two!]), three!, done!];
  });
  assert.deepEqual(texts(await connection.request(request('dump', { dump: true }))), [
    'one.',
    'two.',
    'three...',
  ]);
  assert.equal(requests[0]!.flags, 0x301);
});

test('a dump the kernel marks interrupted (NLM_F_DUMP_INTR) is read again, and the consistent one is returned', async () => {
  let round = 0;
  const { connection, requests } = scriptedConnection((req) => {
    round++;
    return dumpReplies(req, [Buffer.from(`round ${round}`)], { interrupted: round < 2 });
  });
  assert.deepEqual(texts(await connection.request(request('dump', { dump: true }))), ['round 2']);
  assert.equal(requests.length, 2);
  assert.notEqual(requests[0]!.seq, requests[1]!.seq, 'each attempt has its own sequence number');
});

test('a dump interrupted on every attempt fails with EINTR after DUMP_ATTEMPTS tries', async () => {
  const { connection, requests } = scriptedConnection((req) =>
    dumpReplies(req, [Buffer.from('x')], { interrupted: true }),
  );
  await assert.rejects(
    connection.request(request('RTM_GETROUTE (dump)', { dump: true })),
    (err) => {
      assert.ok(err instanceof NetlinkError);
      assert.equal(err.code, 'EINTR');
      assert.match(err.operation, /^RTM_GETROUTE \(dump\): the table changed/);
      return true;
    },
  );
  assert.equal(requests.length, DUMP_ATTEMPTS);
});

test('a long dump lets the event loop run between datagrams', async () => {
  const { connection } = scriptedConnection((req) =>
    dumpReplies(
      req,
      Array.from({ length: 10 * DATAGRAMS_PER_TURN }, () => Buffer.from('row.')),
    ),
  );
  let immediateRan = false;
  setImmediate(() => (immediateRan = true));
  const replies = await connection.request(request('dump', { dump: true }));
  assert.equal(replies.length, 10 * DATAGRAMS_PER_TURN);
  assert.ok(immediateRan, 'a callback queued when the dump began ran before it ended');
});

test('a kernel error becomes a NetlinkError with errno name, operation and ext-ack text', async () => {
  const { connection } = scriptedConnection((req) => {
    const head = Buffer.alloc(4 + 16);
    head.writeInt32LE(-17, 0);
    head.writeUInt32LE(16, 4);
    const tlv = new AttributeEncoder().string(1, 'Service already exists').encode();
    return [
      reply(req, Buffer.concat([head, tlv]), {
        type: NLMSG_ERROR,
        flags: NLM_F_CAPPED | NLM_F_ACK_TLVS,
      }),
    ];
  });
  await assert.rejects(connection.request(request('IPVS NEW_SERVICE')), (err) => {
    assert.ok(err instanceof NetlinkError);
    assert.equal(err.code, 'EEXIST');
    assert.ok(err.is('EEXIST') && err.is('ENOENT', 'EEXIST') && !err.is('ENOENT'));
    assert.equal(err.operation, 'IPVS NEW_SERVICE');
    assert.equal(err.kernelMessage, 'Service already exists');
    return true;
  });
});

test('no reply: the request fails with ETIMEDOUT naming it, keeps the socket error as cause, and the next request still works', async () => {
  let first = true;
  const { connection } = scriptedConnection(
    (req) => {
      if (!first) return [ack(req)];
      first = false;
      return [];
    },
    { timeoutMs: 50 },
  );
  await assert.rejects(connection.request(request('slow op')), (err) => {
    assert.ok(err instanceof NetlinkError);
    assert.equal(err.code, 'ETIMEDOUT');
    assert.match(err.operation, /^slow op: recv/);
    assert.ok(err.cause instanceof NetlinkError, 'the socket-level error is kept as cause');
    assert.match(err.cause.operation, /^recv/);
    return true;
  });
  assert.deepEqual(await connection.request(request('next')), []);
});

test('requests are serialised: the second is sent only after the first has its answer', async () => {
  const order: string[] = [];
  const { connection } = scriptedConnection((req) => {
    order.push(`send ${req.seq}`);
    return [ack(req)];
  });
  const a = connection.request(request('a')).then(() => order.push('a done'));
  const b = connection.request(request('b')).then(() => order.push('b done'));
  await Promise.all([a, b]);
  assert.equal(order[1], 'a done');
  assert.equal(order[3], 'b done');
});

test("a batch shares datagrams, asks an ACK of each chunk's last message, and maps errors to their requests", async () => {
  // The kernel answers errors always and successes only when asked.
  const { connection, datagrams } = scriptedConnection((m) =>
    m.payload.readUInt8(0) === 0xee
      ? [errorReply(m, 'EEXIST')]
      : m.flags & NLM_F_ACK
        ? [ack(m)]
        : [],
  );
  const reqs = Array.from({ length: 5 }, (_, i) =>
    request(`op ${i}`, { payload: Buffer.from([i === 3 ? 0xee : 0, 0, 0, 0]) }),
  );
  const results = await connection.requestBatch(reqs, 2);
  assert.deepEqual(
    datagrams.map((d) => d.map((m) => m.flags)),
    [[0x1, 0x5], [0x1, 0x5], [0x5]],
    'chunks of two, ACK on the last of each',
  );
  assert.deepEqual(
    results.map((r) => r?.code),
    [undefined, undefined, undefined, 'EEXIST', undefined],
  );
  assert.equal(results[3]!.operation, 'op 3');
});

test('close() closes the transport after the request in flight', async () => {
  const scripted = scriptedConnection((req) => [ack(req)]);
  const pending = scripted.connection.request(request('last'));
  await scripted.connection.close();
  assert.deepEqual(await pending, []);
  assert.equal(scripted.closed, true);
});

/** A transport over a fixed list of datagrams, in one reused receive buffer like the socket's. */
function queuedTransport(datagrams: Buffer[]) {
  const rx = Buffer.alloc(4096);
  return {
    datagrams,
    send() {},
    receiveNow() {
      const next = datagrams.shift();
      if (!next) return undefined;
      rx.fill(0xee);
      next.copy(rx);
      return rx.subarray(0, next.length);
    },
    readable: () => Promise.reject(new Error('waited although replies were queued')),
    close() {},
  };
}

test('decoded replies are read in place, message by message, across datagrams', async () => {
  const { connection } = scriptedConnection((req) => {
    const [one, two, done] = dumpReplies(
      req,
      ['one.', 'two.'].map((s) => Buffer.from(s)),
    );
    return [one!, Buffer.concat([two!, done!])];
  });
  const bounds: number[][] = [];
  const replies = await connection.requestDecoded(request('dump', { dump: true }), (buf, s, e) => {
    bounds.push([s, e]);
    return buf.toString('latin1', s + 16, e);
  });
  assert.deepEqual(replies, ['one.', 'two.']);
  assert.deepEqual(bounds, [
    [0, 20],
    [0, 20],
  ]);
});

test('a reply that does not decode fails the dump, but only after it is read to its end', async () => {
  const queued: Buffer[] = [];
  const transport = {
    ...queuedTransport(queued),
    send(datagram: Buffer) {
      const [req] = parseMessages(Buffer.from(datagram));
      const [a, b, c, done] = dumpReplies(
        req!,
        ['bad!', 'good', 'good'].map((s) => Buffer.from(s)),
      );
      queued.push(a!, b!, Buffer.concat([c!, done!]));
    },
  };
  const connection = new NetlinkConnection(transport);
  let decoded = 0;
  await assert.rejects(
    connection.requestDecoded(request('dump', { dump: true }), (buf, s, e) => {
      decoded++;
      if (buf.toString('latin1', s + 16, e) === 'bad!') throw new NetlinkDecodeError('bad reply');
      return 'ok';
    }),
    (err) => err instanceof NetlinkDecodeError && err.message === 'bad reply',
  );
  assert.equal(decoded, 1, 'nothing is decoded after the first failure');
  assert.equal(queued.length, 0, 'the rest of the dump was read, not left in the socket');
});

test("a request's operation text is built only when an error names it", async () => {
  let built = 0;
  const operation = () => {
    built++;
    return 'IPVS GET_DEST tcp 10.0.0.1:1';
  };
  const { connection } = scriptedConnection((req) =>
    req.payload.readUInt8(0) === 0xee ? [errorReply(req, 'ENOENT')] : [ack(req)],
  );
  await connection.request({ type: 0x24, payload: Buffer.alloc(4), operation });
  assert.equal(built, 0);
  await assert.rejects(
    connection.request({ type: 0x24, payload: Buffer.from([0xee, 0, 0, 0]), operation }),
    (err) => err instanceof NetlinkError && err.operation === 'IPVS GET_DEST tcp 10.0.0.1:1',
  );
  assert.ok(built > 0);
});
