import assert from 'node:assert/strict';
import { SocketAddress } from 'node:net';
import { test } from 'node:test';
import fc from 'fast-check';
import { addressToBytes, bytesToAddress, canonicalAddress } from '../src/index.js';

test('IPv6 text matches inet_ntop (node SocketAddress) for any 16 bytes', () => {
  fc.assert(
    fc.property(fc.uint8Array({ minLength: 16, maxLength: 16 }), fc.boolean(), (raw, sparse) => {
      const b = Buffer.from(raw);
      if (sparse) for (let i = 0; i < 16; i += 1) if (raw[i]! % 3 === 0) b[i] = 0;
      const text = bytesToAddress(b, 'inet6');
      assert.equal(text, new SocketAddress({ address: text, family: 'ipv6' }).address);
      assert.deepEqual(addressToBytes(text), b);
    }),
    { numRuns: 3000 },
  );
});

test('canonical forms', () => {
  assert.equal(canonicalAddress('2001:0db8:0000:0000:0000:0000:0000:0001'), '2001:db8::1');
  assert.equal(canonicalAddress('::ffff:10.0.0.1'), '::ffff:10.0.0.1');
  assert.equal(canonicalAddress('1:0:0:1:0:0:0:1'), '1:0:0:1::1');
  assert.equal(canonicalAddress('::'), '::');
  assert.equal(canonicalAddress('10.103.97.2'), '10.103.97.2');
  assert.throws(() => canonicalAddress('10.103.97'), RangeError);
});
