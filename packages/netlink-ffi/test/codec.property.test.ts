import assert from 'node:assert/strict';
import { test } from 'node:test';
import fc from 'fast-check';
import {
  type AttributeEncoder,
  IpvsCommand,
  decodeDestinationReply,
  decodeServiceReply,
  encodeDestination,
  encodeService,
  ipvsPayload,
} from '../src/wire.js';
import { ZERO_STATS } from '../src/index.js';
import { destination, service, tunnelDestination } from './arbitraries.js';

const zeroStats = { ...ZERO_STATS };

test('any service survives encode -> decode', () => {
  fc.assert(
    fc.property(service, (svc) => {
      const bytes = ipvsPayload(IpvsCommand.NEW_SERVICE, (a: AttributeEncoder) =>
        encodeService(a, svc),
      );
      const back = decodeServiceReply(bytes);
      assert.deepEqual(back, { ...svc, peName: svc.peName, stats: zeroStats });
    }),
    { numRuns: 500 },
  );
});

test('any destination, IPv4 or IPv6, tunnelled or not, survives encode -> decode', () => {
  const family = fc.constantFrom('inet', 'inet6' as const);
  const arb = family.chain((f) =>
    fc.tuple(fc.constant(f), fc.oneof(destination(f), tunnelDestination(f))),
  );
  fc.assert(
    fc.property(arb, ([f, dest]) => {
      const bytes = ipvsPayload(IpvsCommand.NEW_DEST, (a: AttributeEncoder) =>
        encodeDestination(a, dest, f),
      );
      const back = decodeDestinationReply(bytes, f);
      assert.deepEqual(back, {
        family: f,
        ...dest,
        tunnel: dest.tunnel ? { ...dest.tunnel } : undefined,
        activeConns: 0,
        inactiveConns: 0,
        persistentConns: 0,
        stats: zeroStats,
      });
    }),
    { numRuns: 500 },
  );
});
