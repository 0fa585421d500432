// Decoders fed random or truncated bytes may only ever throw NetlinkDecodeError.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import fc from 'fast-check';
import {
  type AttributeEncoder,
  Attributes,
  Cmd,
  NetlinkDecodeError,
  NLMSG_ERROR,
  decodeAddress,
  decodeConfigReply,
  decodeDestinationReply,
  decodeFamily,
  decodeInfoReply,
  decodeLink,
  decodeRoute,
  decodeServiceReply,
  encodeDestination,
  encodeMessage,
  encodeService,
  ipvsPayload,
  parseErrorReply,
  parseMessages,
} from '../src/index.js';
import { destination, service } from './arbitraries.js';

const decoders: Record<string, (b: Buffer) => unknown> = {
  parseMessages,
  parseErrorReply: (b) =>
    parseErrorReply({ type: NLMSG_ERROR, flags: 0x300, seq: 0, pid: 0, payload: b }),
  attributes: (b) => Attributes.parse(b),
  decodeServiceReply,
  decodeDestinationInet: (b) => decodeDestinationReply(b, 'inet'),
  decodeDestinationInet6: (b) => decodeDestinationReply(b, 'inet6'),
  decodeInfoReply,
  decodeConfigReply,
  decodeFamily,
  decodeLink,
  decodeAddress,
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

test('truncated valid IPVS replies throw only NetlinkDecodeError', () => {
  const validPayloads = fc.oneof(
    service.map((s) => ipvsPayload(Cmd.NEW_SERVICE, (a: AttributeEncoder) => encodeService(a, s))),
    destination('inet').map((d) =>
      ipvsPayload(Cmd.NEW_DEST, (a: AttributeEncoder) => encodeDestination(a, d, 'inet')),
    ),
  );
  fc.assert(
    fc.property(validPayloads, fc.nat(), (payload, cut) => {
      const truncated = payload.subarray(0, cut % (payload.length + 1));
      onlyTypedErrors(decodeServiceReply, truncated);
      onlyTypedErrors((b) => decodeDestinationReply(b, 'inet'), truncated);
      const msg = encodeMessage({ type: 0x24, flags: 0, seq: 1, pid: 0, payload });
      onlyTypedErrors(parseMessages, msg.subarray(0, cut % (msg.length + 1)));
    }),
    { numRuns: 2000 },
  );
});

test('a header shorter than its length field is rejected, not read past', () => {
  const msg = encodeMessage({ type: 0x24, flags: 0, seq: 1, pid: 0, payload: Buffer.alloc(8) });
  assert.throws(() => parseMessages(msg.subarray(0, 20)), NetlinkDecodeError);
  assert.throws(() => Attributes.parse(Buffer.from([8, 0, 1, 0, 0])), NetlinkDecodeError);
});
