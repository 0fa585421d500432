// Decoders fed random bytes, or valid replies with flipped bits and forged lengths, may only ever
// throw NetlinkDecodeError.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import fc from 'fast-check';
import {
  AttributeEncoder,
  Attributes,
  IpvsCommand,
  NLM_F_ACK_TLVS,
  NLMSG_ERROR,
  completeRoute,
  decodeConfigReply,
  decodeDestinationReply,
  decodeFamily,
  decodeInfoReply,
  decodeInterfaceAddress,
  decodeLink,
  decodeRoute,
  decodeServiceReply,
  encodeAddressRequest,
  encodeDestination,
  encodeLinkRequest,
  encodeMessage,
  encodeRouteRequest,
  encodeService,
  ipvsPayload,
  parseErrorReply,
  parseMessages,
} from '../src/wire.js';
import { NetlinkDecodeError } from '../src/index.js';
import { destination, ipv4, ipv6, service } from './arbitraries.js';

const errorReplyOf = (payload: Buffer, flags = NLM_F_ACK_TLVS) =>
  parseErrorReply({ type: NLMSG_ERROR, flags, seq: 0, pid: 0, payload });

const decoders: Record<string, (b: Buffer) => unknown> = {
  parseMessages,
  parseErrorReply: (b) => errorReplyOf(b, 0x300),
  parseErrorReplyUncapped: (b) => errorReplyOf(b),
  attributes: (b) => Attributes.parse(b),
  decodeServiceReply,
  decodeDestinationInet: (b) => decodeDestinationReply(b, 'inet'),
  decodeDestinationInet6: (b) => decodeDestinationReply(b, 'inet6'),
  decodeInfoReply,
  decodeConfigReply,
  decodeFamily,
  decodeLink,
  decodeInterfaceAddress,
  decodeRoute,
};

function onlyTypedErrors(decode: (b: Buffer) => unknown, bytes: Buffer): void {
  try {
    decode(bytes);
  } catch (err) {
    assert.ok(
      err instanceof NetlinkDecodeError,
      `threw ${String(err)} for ${bytes.toString('hex')}`,
    );
  }
}

for (const [name, decode] of Object.entries(decoders)) {
  test(`${name}: random bytes throw only NetlinkDecodeError`, () => {
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 300 }), (b) =>
        onlyTypedErrors(decode, Buffer.from(b)),
      ),
      { numRuns: 2000 },
    );
  });
}

// --- valid replies, then damaged ----------------------------------------------------------------

/** A valid reply payload and the decoder that reads it. */
interface Sample {
  payload: Buffer;
  decode: (b: Buffer) => unknown;
}

/** An error reply with an echoed request and an extended-ack message. */
function errorPayload(errno: number, text: string): Buffer {
  const head = Buffer.alloc(4);
  head.writeInt32LE(-errno);
  const echoed = encodeMessage({ type: 0x24, flags: 5, seq: 9, pid: 0, payload: Buffer.alloc(8) });
  // The message, then an empty attribute and an offset: whatever ends the payload parses.
  const ext = new AttributeEncoder().string(1, text).flag(0).u32(2, 0xdead).encode();
  return Buffer.concat([head, echoed, ext]);
}

const samples: fc.Arbitrary<Sample> = fc.oneof(
  service.map((s) => ({
    payload: ipvsPayload(IpvsCommand.NEW_SERVICE, (a) => encodeService(a, s)),
    decode: decodeServiceReply,
  })),
  destination('inet').map((d) => ({
    payload: ipvsPayload(IpvsCommand.NEW_DEST, (a) => encodeDestination(a, d, 'inet')),
    decode: (b: Buffer) => decodeDestinationReply(b, 'inet'),
  })),
  fc.record({ dst: fc.oneof(ipv4, ipv6), gw: fc.option(ipv4), oif: fc.nat() }).map((r) => ({
    payload: encodeRouteRequest(
      completeRoute({
        destination: r.dst,
        prefixLength: r.dst.includes(':') ? 128 : 32,
        outputIndex: r.oif,
        gateway: r.dst.includes(':') ? undefined : (r.gw ?? undefined),
      }),
    ),
    decode: decodeRoute,
  })),
  fc.record({ address: fc.oneof(ipv4, ipv6), index: fc.nat() }).map((a) => ({
    payload: encodeAddressRequest({
      index: a.index,
      address: a.address,
      prefixLength: 24,
      scope: 'universe',
      label: 'eth0',
    }),
    decode: decodeInterfaceAddress,
  })),
  fc.string({ minLength: 1, maxLength: 15 }).map((name) => ({
    payload: encodeLinkRequest({ name, kind: 'dummy', index: 3 }),
    decode: decodeLink,
  })),
  fc
    .record({ errno: fc.integer({ min: 1, max: 133 }), text: fc.string({ maxLength: 40 }) })
    .map((e) => ({
      payload: errorPayload(e.errno, e.text),
      decode: (b: Buffer) => errorReplyOf(b),
    })),
);

/** Lengths that break framing arithmetic: zero, below a header, off by one, huge, wrapping. */
const forgedLength = fc.constantFrom(0, 1, 3, 4, 5, 15, 16, 17, 0xff, 0xfffe, 0xffff);
const forgedLength32 = fc.oneof(
  forgedLength,
  fc.constantFrom(0x7fffffff, 0x80000000, 0xfffffff0, 0xfffffffc, 0xffffffff),
);

type Damage =
  | { kind: 'flip'; at: number; bit: number }
  | { kind: 'u16 length'; at: number; value: number }
  | { kind: 'u32 length'; at: number; value: number }
  | { kind: 'cut'; at: number };

const damage: fc.Arbitrary<Damage[]> = fc.array(
  fc.oneof(
    fc.record({ kind: fc.constant('flip' as const), at: fc.nat(), bit: fc.nat({ max: 7 }) }),
    // Attribute lengths sit at 4-byte boundaries of every payload here.
    fc.record({ kind: fc.constant('u16 length' as const), at: fc.nat(), value: forgedLength }),
    // Message lengths: the header's, and the echoed request's in an error reply.
    fc.record({ kind: fc.constant('u32 length' as const), at: fc.nat(), value: forgedLength32 }),
    fc.record({ kind: fc.constant('cut' as const), at: fc.nat() }),
  ),
  { minLength: 1, maxLength: 4 },
);

function damaged(bytes: Buffer, changes: Damage[]): Buffer {
  let b = Buffer.from(bytes);
  for (const d of changes) {
    if (b.length === 0) break;
    const at = d.at % b.length;
    if (d.kind === 'flip') b[at]! ^= 1 << d.bit;
    else if (d.kind === 'cut') b = b.subarray(0, at);
    else if (d.kind === 'u16 length' && (at & ~3) + 2 <= b.length)
      b.writeUInt16LE(d.value, at & ~3);
    else if (d.kind === 'u32 length' && (at & ~3) + 4 <= b.length)
      b.writeUInt32LE(d.value, at & ~3);
  }
  return b;
}

test('valid replies with flipped bits, forged lengths and cuts throw only NetlinkDecodeError', () => {
  fc.assert(
    fc.property(samples, damage, (sample, changes) => {
      sample.decode(sample.payload); // undamaged, it decodes
      onlyTypedErrors(sample.decode, damaged(sample.payload, changes));
      // The same damage to the whole message, framed as a reader meets it.
      const framed = encodeMessage({
        type: 0x24,
        flags: 2,
        seq: 1,
        pid: 0,
        payload: sample.payload,
      });
      onlyTypedErrors(
        (b) => parseMessages(b).map((m) => sample.decode(m.payload)),
        damaged(framed, changes),
      );
    }),
    { numRuns: 5000 },
  );
});

test('an error reply whose echoed length is 0xfffffff0 is a decode error, not a garbage message', () => {
  const payload = errorPayload(17, 'garbage if read');
  payload.writeUInt32LE(0xfffffff0, 4);
  assert.throws(() => errorReplyOf(payload), NetlinkDecodeError);
  // Every echoed length that overruns the payload, or is shorter than a header, is refused.
  for (const len of [0, 15, payload.length - 3, 0x80000000, 0xffffffff]) {
    payload.writeUInt32LE(len, 4);
    assert.throws(() => errorReplyOf(payload), NetlinkDecodeError, `echoed length ${len}`);
  }
  payload.writeUInt32LE(24, 4);
  assert.deepEqual(errorReplyOf(payload), {
    errno: 17,
    message: 'garbage if read',
    offset: 0xdead,
  });
});

test('a header shorter than its length field is rejected, not read past', () => {
  const msg = encodeMessage({ type: 0x24, flags: 0, seq: 1, pid: 0, payload: Buffer.alloc(8) });
  assert.throws(() => parseMessages(msg.subarray(0, 20)), NetlinkDecodeError);
  assert.throws(() => Attributes.parse(Buffer.from([8, 0, 1, 0, 0])), NetlinkDecodeError);
});
