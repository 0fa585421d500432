// The IPVS reply decoders against replies framed by hand from the protocol facts
// (include/uapi/linux/ip_vs.h, and how ip_vs_ctl.c fills a GET_SERVICE / GET_DEST reply):
// the values they read, the attributes they ignore, and every malformation they refuse.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { NetlinkDecodeError, ZERO_STATS } from '../src/index.js';
import { decodeDestinationReply, decodeServiceAt, decodeServiceReply } from '../src/wire.js';

/** One attribute: struct nlattr, the payload, padding to 4 bytes. */
function attr(type: number, ...payload: Array<Buffer | string>): Buffer {
  const body = Buffer.concat(payload.map((p) => (typeof p === 'string' ? hex(p) : p)));
  const head = Buffer.alloc(4);
  head.writeUInt16LE(4 + body.length, 0);
  head.writeUInt16LE(type, 2);
  return Buffer.concat([head, body, Buffer.alloc((4 - (body.length % 4)) % 4)]);
}
const hex = (s: string): Buffer => Buffer.from(s.replace(/\s+/g, ''), 'hex');
const u16 = (n: number): string => hex(n.toString(16).padStart(4, '0')).reverse().toString('hex');
const u32 = (n: number): Buffer => {
  const b = Buffer.alloc(4);
  b.writeUInt32LE(n);
  return b;
};
const u64 = (n: bigint): Buffer => {
  const b = Buffer.alloc(8);
  b.writeBigUInt64LE(n);
  return b;
};
/** A reply's genl payload: genlmsghdr (cmd NEW_SERVICE / NEW_DEST, version 1), attributes. */
const reply = (command: number, ...attrs: Buffer[]): Buffer =>
  Buffer.concat([Buffer.from([command, 1, 0, 0]), ...attrs]);

const AF_INET = u16(2);
const AF_INET6 = u16(10);
const TCP = u16(6);
const ADDR_10_103_97_2 = '0a676102 000000000000000000000000';
const PORT_6443 = '192b';

// Counters as STATS carries them (u32, bytes u64) and as STATS64 does (all u64, with PAD).
const stats32 = attr(
  10,
  attr(1, u32(7)),
  attr(2, u32(70)),
  attr(3, u32(60)),
  attr(4, u64(7000n)),
  attr(5, u64(6000n)),
  attr(6, u32(1)),
  attr(7, u32(2)),
  attr(8, u32(3)),
  attr(9, u32(4)),
  attr(10, u32(5)),
);
const stats64 = (type: number) =>
  attr(
    type,
    attr(11), // IPVS_STATS_ATTR_PAD, as nla_put_u64_64bit adds for alignment
    attr(1, u64(9n)),
    attr(2, u64(0x100000002n)),
    attr(3, u64(90n)),
    attr(4, u64(2n ** 40n)),
    attr(5, u64(9000n)),
    attr(6, u64(11n)),
    attr(7, u64(12n)),
    attr(8, u64(13n)),
    attr(9, u64(14n)),
    attr(10, u64(15n)),
  );
const fromStats64 = {
  conns: 9,
  inPackets: 0x100000002,
  outPackets: 90,
  inBytes: 2 ** 40,
  outBytes: 9000,
  cps: 11,
  inPps: 12,
  outPps: 13,
  inBps: 14,
  outBps: 15,
};

/** The SERVICE nest of tcp 10.103.97.2:6443 rr, its attributes in the kernel's order. */
function serviceNest(...extra: Buffer[]): Buffer {
  return attr(
    1,
    attr(1, AF_INET),
    attr(2, TCP),
    attr(3, ADDR_10_103_97_2),
    attr(4, PORT_6443),
    attr(6, Buffer.from('rr\0')),
    attr(7, u32(0x2), u32(0xffffffff)), // struct ip_vs_flags; HASHED set, as dumps show it
    attr(8, u32(0)),
    attr(9, 'ffffffff'), // IPv4: the mask's bytes
    ...extra,
  );
}
const tcpService = {
  family: 'inet',
  protocol: 'tcp',
  address: '10.103.97.2',
  port: 6443,
  scheduler: 'rr',
  flags: 0,
  timeout: 0,
  netmask: 32,
  peName: undefined,
};

test('a service reads STATS64 when the kernel sends both, STATS without it, zeros with neither', () => {
  assert.deepEqual(decodeServiceReply(reply(1, serviceNest(stats32, stats64(12)))), {
    ...tcpService,
    stats: fromStats64,
  });
  assert.deepEqual(decodeServiceReply(reply(1, serviceNest(stats32))), {
    ...tcpService,
    stats: {
      conns: 7,
      inPackets: 70,
      outPackets: 60,
      inBytes: 7000,
      outBytes: 6000,
      cps: 1,
      inPps: 2,
      outPps: 3,
      inBps: 4,
      outBps: 5,
    },
  });
  assert.deepEqual(decodeServiceReply(reply(1, serviceNest())), {
    ...tcpService,
    stats: { ...ZERO_STATS },
  });
});

test('a fwmark service over IPv6: prefix length as u32, persistence engine, persistent flag', () => {
  const nest = attr(
    1,
    attr(1, AF_INET6),
    attr(5, u32(7)),
    attr(6, Buffer.from('sh\0')),
    attr(11, Buffer.from('sip\0')),
    attr(7, u32(0x3), u32(0xffffffff)),
    attr(8, u32(300)),
    attr(9, u32(64)),
  );
  assert.deepEqual(decodeServiceReply(reply(1, nest)), {
    family: 'inet6',
    fwmark: 7,
    scheduler: 'sh',
    flags: 1,
    timeout: 300,
    netmask: 64,
    peName: 'sip',
    stats: { ...ZERO_STATS },
  });
});

test('a repeated attribute reads as its last copy; unknown types are skipped, at every level', () => {
  const nest = serviceNest(attr(4, '0050'), attr(40, 'deadbeef'));
  const payload = reply(1, attr(99, '01020304'), nest, attr(3, u32(1)));
  assert.deepEqual(decodeServiceReply(payload), { ...tcpService, port: 80, stats: ZERO_STATS });
});

test('a service is read in place, from its bounds only, and keeps nothing of the buffer', () => {
  const payload = reply(1, serviceNest(stats64(12)));
  // Before it: bytes that are no reply; after it: an attribute that would change the port.
  const buf = Buffer.concat([hex('ffffffffffff'), payload, attr(4, '0050')]);
  const svc = decodeServiceAt(buf, 6, 6 + payload.length);
  buf.fill(0xee);
  assert.deepEqual(svc, { ...tcpService, stats: fromStats64 });
});

test('destinations: family from ADDR_FAMILY or the service, forwarding, thresholds, tunnel', () => {
  const masq = attr(
    2,
    attr(1, 'c0a80002 000000000000000000000000'),
    attr(2, PORT_6443),
    attr(3, u32(0)),
    attr(4, u32(1)),
    attr(5, u32(100)),
    attr(6, u32(10)),
    attr(7, u32(3)),
    attr(8, u32(4)),
    attr(9, u32(5)),
    stats32,
    attr(11, AF_INET),
    stats64(12),
  );
  assert.deepEqual(decodeDestinationReply(reply(5, masq), 'inet'), {
    family: 'inet',
    address: '192.168.0.2',
    port: 6443,
    forward: 'masq',
    weight: 1,
    upperThreshold: 100,
    lowerThreshold: 10,
    tunnel: undefined,
    activeConns: 3,
    inactiveConns: 4,
    persistentConns: 5,
    stats: fromStats64,
  });
  // No ADDR_FAMILY (kernels before 5.x): the service's family. GUE tunnel with its port, flags.
  const gue = attr(
    2,
    attr(1, '20010db8000000000000000000000002'),
    attr(2, PORT_6443),
    attr(3, u32(0x2 | 0x10)), // tunnel, and a connection flag outside FWD_MASK
    attr(4, u32(0)),
    attr(13, '01'),
    attr(14, '17c1'),
    attr(15, u16(3)),
  );
  assert.deepEqual(decodeDestinationReply(reply(5, gue), 'inet6'), {
    family: 'inet6',
    address: '2001:db8::2',
    port: 6443,
    forward: 'tunnel',
    weight: 0,
    upperThreshold: 0,
    lowerThreshold: 0,
    tunnel: { type: 'gue', port: 6081, flags: 3 },
    activeConns: 0,
    inactiveConns: 0,
    persistentConns: 0,
    stats: { ...ZERO_STATS },
  });
});

/** The SERVICE nest with attribute `type` replaced by `replacement` (or left out). */
function serviceWith(type: number, replacement?: Buffer): Buffer {
  const parts: Record<number, Buffer> = {
    1: attr(1, AF_INET),
    2: attr(2, TCP),
    3: attr(3, ADDR_10_103_97_2),
    4: attr(4, PORT_6443),
    7: attr(7, u32(0), u32(0)),
  };
  if (replacement) parts[type] = replacement;
  else delete parts[type];
  return reply(1, attr(1, ...Object.values(parts)));
}

function destinationWith(...attrs: Buffer[]): Buffer {
  return reply(5, attr(2, attr(1, 'c0a80002'), attr(2, PORT_6443), ...attrs));
}

const refused: Array<[string, () => unknown, string]> = [
  [
    'no genl header',
    () => decodeServiceReply(hex('0401')),
    'generic netlink: 2 bytes, too short for a header',
  ],
  [
    'no SERVICE nest',
    () => decodeServiceReply(reply(1, attr(3, u32(1)))),
    'IPVS reply: attribute 1 is missing',
  ],
  [
    'no DEST nest',
    () => decodeDestinationReply(reply(5), 'inet'),
    'IPVS reply: attribute 2 is missing',
  ],
  ['no family', () => decodeServiceReply(serviceWith(1)), 'service: attribute 1 is missing'],
  [
    'a 1-byte family',
    () => decodeServiceReply(serviceWith(1, attr(1, '02'))),
    'service: attribute 1 has 1 bytes, expected 2',
  ],
  [
    'family 7',
    () => decodeServiceReply(serviceWith(1, attr(1, u16(7)))),
    'service: unknown address family 7',
  ],
  [
    'protocol 99',
    () => decodeServiceReply(serviceWith(2, attr(2, u16(99)))),
    'service: unknown protocol 99',
  ],
  ['no protocol', () => decodeServiceReply(serviceWith(2)), 'service: attribute 2 is missing'],
  [
    'flags of 2 bytes',
    () => decodeServiceReply(serviceWith(7, attr(7, '0000'))),
    'service: flags too short',
  ],
  [
    'a 3-byte address',
    () => decodeServiceReply(serviceWith(3, attr(3, '0a6761'))),
    'service: address has 3 bytes, expected 4',
  ],
  ['no port', () => decodeServiceReply(serviceWith(4)), 'service: attribute 4 is missing'],
  [
    'an attribute past its nest',
    () => decodeServiceReply(serviceWith(4, hex('2800 0400 192b 0000'))),
    'service: attribute 4 has length 40, 20 bytes left',
  ],
  [
    'a nest past the reply',
    () => decodeServiceReply(reply(1, hex('4000 0100 0600 0100'))),
    'IPVS reply: attribute 1 has length 64, 8 bytes left',
  ],
  [
    '2 trailing bytes in a nest',
    () => decodeServiceReply(reply(1, attr(1, attr(1, AF_INET), '0000'))),
    'service: 2 trailing bytes, too short for an attribute header',
  ],
  [
    'a short STATS64 counter',
    () => decodeServiceReply(serviceWith(10, attr(12, attr(1, u32(1))))),
    'stats64: attribute 1 has 4 bytes, expected 8',
  ],
  [
    'a short STATS counter',
    () => decodeServiceReply(serviceWith(10, attr(10, attr(2, '01')))),
    'stats: attribute 2 has 1 bytes, expected 4',
  ],
  [
    'forwarding method 5',
    () => decodeDestinationReply(destinationWith(attr(3, u32(5))), 'inet'),
    'destination: unknown forwarding method 5',
  ],
  [
    'tunnel type 9',
    () => decodeDestinationReply(destinationWith(attr(3, u32(2)), attr(13, '09')), 'inet'),
    'destination: unknown tunnel type 9',
  ],
  [
    'destination family 3',
    () => decodeDestinationReply(destinationWith(attr(11, u16(3))), 'inet'),
    'destination: unknown address family 3',
  ],
  [
    'an IPv4 address for an IPv6 service',
    () => decodeDestinationReply(destinationWith(), 'inet6'),
    'destination: address has 4 bytes, expected 16',
  ],
  [
    'no destination port',
    () => decodeDestinationReply(reply(5, attr(2, attr(1, 'c0a80002'))), 'inet'),
    'destination: attribute 2 is missing',
  ],
];

for (const [what, decode, message] of refused) {
  test(`refused with a decode error: ${what}`, () => {
    assert.throws(decode, (err) => {
      assert.ok(err instanceof NetlinkDecodeError, String(err));
      assert.equal(err.message, message);
      return true;
    });
  });
}
