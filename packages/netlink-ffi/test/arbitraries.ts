// fast-check generators for IPVS values, shared by the property tests.
import fc from 'fast-check';
import { SCHEDULERS, bytesToAddress } from '../src/index.js';
import type { Destination, Service } from '../src/index.js';

export const ipv4 = fc
  .uint8Array({ minLength: 4, maxLength: 4 })
  .map((b) => bytesToAddress(Buffer.from(b), 'inet'));
export const ipv6 = fc
  .uint8Array({ minLength: 16, maxLength: 16 })
  .map((b) => bytesToAddress(Buffer.from(b), 'inet6'));
const u32 = fc.nat({ max: 0xffffffff });
const port = fc.integer({ min: 0, max: 0xffff });
const scheduler = fc.constantFrom(...SCHEDULERS);
const settings = fc.record({
  scheduler,
  flags: fc.constantFrom(0, 1, 4, 5, 8, 0x18, 0x38),
  timeout: u32,
  peName: fc.constantFrom(undefined, 'sip'),
});

export const service: fc.Arbitrary<Service> = fc.oneof(
  fc
    .record({
      protocol: fc.constantFrom('tcp', 'udp', 'sctp' as const),
      address: ipv4,
      port,
      netmask: fc.integer({ min: 0, max: 32 }),
    })
    .chain((k) => settings.map((s) => ({ family: 'inet' as const, ...k, ...s }))),
  fc
    .record({
      protocol: fc.constantFrom('tcp', 'udp', 'sctp' as const),
      address: ipv6,
      port,
      netmask: fc.integer({ min: 0, max: 128 }),
    })
    .chain((k) => settings.map((s) => ({ family: 'inet6' as const, ...k, ...s }))),
  fc
    .record({
      family: fc.constantFrom('inet', 'inet6' as const),
      fwmark: fc.integer({ min: 1, max: 0xffffffff }),
    })
    .chain((k) => settings.map((s) => ({ ...k, netmask: k.family === 'inet' ? 32 : 128, ...s }))),
);

export const destination = (family: 'inet' | 'inet6'): fc.Arbitrary<Destination> =>
  fc.record({
    address: family === 'inet' ? ipv4 : ipv6,
    port,
    forward: fc.constantFrom('masq', 'local', 'route' as const),
    weight: u32,
    upperThreshold: u32,
    lowerThreshold: u32,
  });

export const tunnelDestination = (family: 'inet' | 'inet6'): fc.Arbitrary<Destination> =>
  fc.record({
    address: family === 'inet' ? ipv4 : ipv6,
    port,
    forward: fc.constant('tunnel' as const),
    weight: u32,
    upperThreshold: u32,
    lowerThreshold: u32,
    tunnel: fc.record({
      type: fc.constantFrom('ipip', 'gue', 'gre' as const),
      port,
      flags: fc.constantFrom(0, 1, 2, 3),
    }),
  });
