// Byte-exact requests, checked against what ipvsadm 1.31 sends (captured with strace).
import assert from 'node:assert/strict';
import { test } from 'node:test';
import {
  AttributeEncoder,
  Attributes,
  NLA_F_NESTED,
  IpvsCommand,
  GENL_ID_CTRL,
  NLM_F_ACK,
  NLM_F_REQUEST,
  encodeDestination,
  encodeGetFamily,
  encodeMessage,
  encodeServiceKey,
  ipvsPayload,
} from '../src/wire.js';

const hex = (s: string): Buffer => Buffer.from(s.replace(/\s+/g, ''), 'hex');

test('GETFAMILY "IPVS" request matches the captured bytes', () => {
  const msg = encodeMessage({
    type: GENL_ID_CTRL,
    flags: NLM_F_REQUEST | NLM_F_ACK,
    seq: 1,
    pid: 0,
    payload: encodeGetFamily('IPVS'),
  });
  assert.deepEqual(
    msg,
    hex('20000000 1000 0500 01000000 00000000 03010000 09000200 49505653 00000000'),
  );
});

test('NEW_DEST tcp 10.103.97.2:6443 -> 192.168.0.2:6443 masq weight 1 is 140 bytes as captured', () => {
  const key = { family: 'inet', protocol: 'tcp', address: '10.103.97.2', port: 6443 } as const;
  const payload = ipvsPayload(IpvsCommand.NEW_DEST, (a: AttributeEncoder) => {
    encodeServiceKey(a, key);
    encodeDestination(
      a,
      {
        address: '192.168.0.2',
        port: 6443,
        forward: 'masq',
        weight: 1,
        upperThreshold: 0,
        lowerThreshold: 0,
      },
      key.family,
    );
  });
  const msg = encodeMessage({
    type: 0x24,
    flags: NLM_F_REQUEST | NLM_F_ACK,
    seq: 1,
    pid: 0,
    payload,
  });
  const expected = hex(`
    8c000000 2400 0500 01000000 00000000
    05 01 0000
    3000 0100
      0600 0100 0200 0000
      0600 0200 0600 0000
      1400 0300 0a676102 000000000000000000000000
      0600 0400 192b 0000
    4800 0200
      0600 0b00 0200 0000
      1400 0100 c0a80002 000000000000000000000000
      0600 0200 192b 0000
      0800 0300 00000000
      0800 0400 01000000
      0800 0500 00000000
      0800 0600 00000000`);
  assert.equal(msg.length, 140);
  assert.deepEqual(msg, expected);
});

test('the encoder grows past its first buffer: nests keep their lengths, earlier output stays', () => {
  const enc = new AttributeEncoder(4);
  const before = enc.string(1, 'é').encode();
  assert.deepEqual(before, hex('00000000 0700 0100 c3a900 00'));
  enc.nested(2, (outer) => {
    for (let i = 0; i < 40; i++) outer.u32(3, i);
    outer.nested(4, (inner) => inner.u64(5, 2n ** 40n).flag(6), true);
  });
  const all = enc.encode();
  assert.deepEqual(before, hex('00000000 0700 0100 c3a900 00'), 'later attributes change nothing');
  assert.equal(all.length, 4 + 8 + 4 + 40 * 8 + 4 + 12 + 4);
  const outer = Attributes.parse(all.subarray(12)).nested(2);
  assert.deepEqual(
    outer
      .all()
      .filter((a) => a.type === 3)
      .map((a) => a.data.readUInt32LE()),
    Array.from({ length: 40 }, (_, i) => i),
  );
  assert.equal(all.readUInt16LE(12 + 4 + 40 * 8 + 2), 4 | NLA_F_NESTED);
  const inner = outer.nested(4);
  assert.equal(inner.u64(5), 2n ** 40n);
  assert.ok(inner.has(6));
});
