// The IPVS client against a real kernel, with ipvsadm as the independent client both ways.
import assert from 'node:assert/strict';
import { after, before, beforeEach, test } from 'node:test';
import { IpvsClient, NetlinkError, type Destination, type Service } from '@kha/netlink-ffi';
import { clearIpvs, ipvsadm, restoreRules, savedRules } from '../support/ipvsadm.js';
import { assertKernelTier } from '../support/kernel.js';

let ipvs: IpvsClient;

before(async () => {
  assertKernelTier();
  ipvs = await IpvsClient.open();
});
after(async () => ipvs?.close());
beforeEach(() => clearIpvs());

const vip = { family: 'inet', protocol: 'tcp', address: '10.103.97.2', port: 6443 } as const;
const plain = { flags: 0, timeout: 0, netmask: 32 } as const;
const dest = (address: string, extra: Partial<Destination> = {}): Destination => ({
  address,
  port: 6443,
  forward: 'masq',
  weight: 1,
  upperThreshold: 0,
  lowerThreshold: 0,
  ...extra,
});

test('info reports the IPVS version and connection table size', async () => {
  const info = await ipvs.info();
  assert.match(info.version, /^1\.2\.\d+$/);
  assert.ok(info.connTableSize > 0);
  assert.match(
    ipvsadm('-Ln').split('\n')[0]!,
    new RegExp(`version ${info.version.replace(/\./g, '\\.')} \\(size=${info.connTableSize}\\)`),
  );
});

test('timeouts set by the library are what ipvsadm reports, and read back', async () => {
  await ipvs.setConfig({ tcp: 901, tcpFin: 61, udp: 299 });
  assert.match(ipvsadm('-L', '--timeout'), /Timeout \(tcp tcpfin udp\): 901 61 299/);
  ipvsadm('--set', '902', '62', '298');
  assert.deepEqual(await ipvs.config(), { tcp: 902, tcpFin: 62, udp: 298 });
});

const created: Array<{ svc: Service; dests: Destination[] }> = [
  {
    svc: { ...vip, scheduler: 'rr', ...plain },
    dests: [dest('192.168.0.2'), dest('192.168.0.3', { weight: 0 })],
  },
  {
    svc: {
      family: 'inet',
      protocol: 'udp',
      address: '10.0.0.53',
      port: 53,
      scheduler: 'wlc',
      flags: 1,
      timeout: 300,
      netmask: 24,
    },
    // ipvsadm forces a direct-routing destination's port to the service's, so use that port here.
    dests: [
      dest('10.0.1.1', {
        port: 53,
        forward: 'route',
        weight: 7,
        upperThreshold: 100,
        lowerThreshold: 10,
      }),
    ],
  },
  {
    svc: {
      family: 'inet',
      protocol: 'sctp',
      address: '10.0.0.9',
      port: 3868,
      scheduler: 'sh',
      flags: 0x18,
      timeout: 0,
      netmask: 32,
    },
    dests: [
      dest('10.0.2.1', {
        port: 3868,
        forward: 'tunnel',
        weight: 3,
        tunnel: { type: 'ipip', port: 0, flags: 0 },
      }),
      dest('10.0.2.2', {
        port: 3868,
        forward: 'tunnel',
        weight: 4,
        tunnel: { type: 'gue', port: 6080, flags: 0 },
      }),
    ],
  },
  {
    svc: {
      family: 'inet6',
      protocol: 'tcp',
      address: '2001:db8::10',
      port: 443,
      scheduler: 'mh',
      flags: 0,
      timeout: 0,
      netmask: 128,
    },
    dests: [
      dest('2001:db8::1', { port: 8443, weight: 65535 }),
      dest('2001:db8::2', { port: 443, weight: 2, forward: 'route' }),
    ],
  },
  {
    svc: {
      family: 'inet6',
      protocol: 'tcp',
      address: 'fd00::1',
      port: 80,
      scheduler: 'lc',
      flags: 1,
      timeout: 60,
      netmask: 64,
    },
    dests: [dest('fd00::2', { port: 80 })],
  },
  {
    svc: { family: 'inet', fwmark: 7, scheduler: 'wrr', flags: 4, timeout: 0, netmask: 32 },
    dests: [dest('10.0.3.1', { port: 0, forward: 'route', weight: 5 })],
  },
  {
    svc: { family: 'inet6', fwmark: 8, scheduler: 'rr', flags: 0, timeout: 0, netmask: 128 },
    dests: [dest('fd00::8', { port: 0, forward: 'route' })],
  },
];

// What `ipvsadm -S -n` prints for `created`, line for line (sorted). The save format carries no
// thresholds; `thresholds()` below reads those from `ipvsadm -Ln --thresholds`.
const expectedRules = [
  '-A -t 10.103.97.2:6443 -s rr',
  '-a -t 10.103.97.2:6443 -r 192.168.0.2:6443 -m -w 1',
  '-a -t 10.103.97.2:6443 -r 192.168.0.3:6443 -m -w 0',
  '-A -u 10.0.0.53:53 -s wlc -p 300 -M 255.255.255.0',
  '-a -u 10.0.0.53:53 -r 10.0.1.1:53 -g -w 7',
  '-A --sctp-service 10.0.0.9:3868 -s sh -b sh-fallback,sh-port',
  '-a --sctp-service 10.0.0.9:3868 -r 10.0.2.1:3868 -i -w 3 --tun-type ipip',
  '-a --sctp-service 10.0.0.9:3868 -r 10.0.2.2:3868 -i -w 4 --tun-type gue --tun-port 6080 --tun-nocsum',
  '-A -t [2001:db8::10]:443 -s mh',
  '-a -t [2001:db8::10]:443 -r [2001:db8::1]:8443 -m -w 65535',
  '-a -t [2001:db8::10]:443 -r [2001:db8::2]:443 -g -w 2',
  '-A -t [fd00::1]:80 -s lc -p 60 -M 64',
  '-a -t [fd00::1]:80 -r [fd00::2]:80 -m -w 1',
  '-A -f 7 -s wrr -o',
  '-a -f 7 -r 10.0.3.1:0 -g -w 5',
  '-A -f 8 -6 -s rr',
  '-a -f 8 -6 -r [fd00::8]:0 -g -w 1',
].sort();

/** "address:port" -> [upper, lower] for every real server, from `ipvsadm -Ln --thresholds`. */
function thresholds(): Map<string, [number, number]> {
  const out = new Map<string, [number, number]>();
  for (const line of ipvsadm('-Ln', '--thresholds').split('\n')) {
    const m = /^\s+-> (\S+)\s+(\d+)\s+(\d+)\s/.exec(line);
    if (m) out.set(m[1]!, [Number(m[2]), Number(m[3])]);
  }
  return out;
}

test('what the library creates, ipvsadm -S shows exactly, thresholds included', async () => {
  for (const { svc, dests } of created) {
    await ipvs.createService(svc);
    for (const d of dests) await ipvs.createDestination(svc, d);
  }
  assert.deepEqual(savedRules(), expectedRules);
  const t = thresholds();
  assert.equal(
    t.size,
    created.reduce((n, c) => n + c.dests.length, 0),
  );
  assert.deepEqual(t.get('10.0.1.1:53'), [100, 10]);
  assert.deepEqual(t.get('192.168.0.2:6443'), [0, 0]);
});

test('what ipvsadm creates, the library reads back exactly', async () => {
  // The same rules, with the thresholds the save format leaves out.
  restoreRules(
    expectedRules.map((r) =>
      r === '-a -u 10.0.0.53:53 -r 10.0.1.1:53 -g -w 7' ? `${r} -x 100 -y 10` : r,
    ),
  );
  const services = await ipvs.services();
  assert.equal(services.length, created.length);
  for (const { svc, dests } of created) {
    const found = await ipvs.service(svc);
    const { stats, ...settings } = found;
    assert.equal(stats.conns, 0);
    assert.deepEqual(
      { ...settings },
      { peName: undefined, ...svc },
      `service ${JSON.stringify(svc)}`,
    );
    const got = (await ipvs.destinations(svc)).map(
      ({ stats: _s, activeConns, inactiveConns, persistentConns, family, ...d }) => {
        assert.equal(activeConns + inactiveConns + persistentConns, 0);
        assert.equal(family, svc.family);
        return d;
      },
    );
    const sortByAddress = (a: { address: string }, b: { address: string }) =>
      a.address.localeCompare(b.address);
    const want = dests.map((d) => ({ ...d, tunnel: d.tunnel && { ...d.tunnel } }));
    assert.deepEqual(got.sort(sortByAddress), want.sort(sortByAddress));
  }
});

test('updates to a service and a destination show in ipvsadm', async () => {
  await ipvs.createService({ ...vip, scheduler: 'rr', ...plain });
  await ipvs.createDestination(vip, dest('192.168.0.2'));
  await ipvs.updateService({ ...vip, scheduler: 'wlc', flags: 1, timeout: 120, netmask: 32 });
  await ipvs.updateDestination(vip, dest('192.168.0.2', { weight: 0, upperThreshold: 5 }));
  assert.deepEqual(
    savedRules(),
    [
      '-A -t 10.103.97.2:6443 -s wlc -p 120',
      '-a -t 10.103.97.2:6443 -r 192.168.0.2:6443 -m -w 0',
    ].sort(),
  );
  assert.deepEqual(thresholds().get('192.168.0.2:6443'), [5, 0]);
  await ipvs.removeDestination(vip, { address: '192.168.0.2', port: 6443 });
  assert.deepEqual(savedRules(), ['-A -t 10.103.97.2:6443 -s wlc -p 120']);
  await ipvs.removeService(vip);
  assert.deepEqual(savedRules(), []);
});

test('flush removes every service; zero resets counters without error', async () => {
  await ipvs.createService({ ...vip, scheduler: 'rr', ...plain });
  await ipvs.zero(vip);
  await ipvs.zero();
  await ipvs.flush();
  assert.deepEqual(savedRules(), []);
  assert.deepEqual(await ipvs.services(), []);
});

const rejectsWith = (p: Promise<unknown>, code: string) =>
  assert.rejects(p, (err) => {
    assert.ok(err instanceof NetlinkError, `expected NetlinkError, got ${String(err)}`);
    assert.equal(err.code, code);
    assert.match(err.operation, /^IPVS /);
    return true;
  });

test('kernel errors come back typed: EEXIST, ESRCH, ENOENT, ERANGE', async () => {
  await ipvs.createService({ ...vip, scheduler: 'rr', ...plain });
  await rejectsWith(ipvs.createService({ ...vip, scheduler: 'rr', ...plain }), 'EEXIST');
  await ipvs.createDestination(vip, dest('192.168.0.2'));
  await rejectsWith(ipvs.createDestination(vip, dest('192.168.0.2')), 'EEXIST');
  const missing = { ...vip, port: 1 };
  await rejectsWith(ipvs.removeService(missing), 'ESRCH');
  await rejectsWith(ipvs.service(missing), 'ESRCH');
  await rejectsWith(ipvs.createDestination(missing, dest('192.168.0.2')), 'ESRCH');
  assert.deepEqual(await ipvs.destinations(missing), [], 'a dump of a missing service is empty');
  await rejectsWith(ipvs.removeDestination(vip, { address: '192.168.0.9', port: 6443 }), 'ENOENT');
  await rejectsWith(
    ipvs.createService({ ...vip, port: 2, scheduler: 'nosuch', ...plain }),
    'ENOENT',
  );
  await rejectsWith(ipvs.createDestination(vip, dest('192.168.0.4', { weight: -1 })), 'ERANGE');
  await rejectsWith(
    ipvs.createDestination(vip, dest('192.168.0.4', { upperThreshold: 1, lowerThreshold: 2 })),
    'ERANGE',
  );
  assert.deepEqual(
    savedRules(),
    ['-A -t 10.103.97.2:6443 -s rr', '-a -t 10.103.97.2:6443 -r 192.168.0.2:6443 -m -w 1'].sort(),
  );
});

/** n distinct TCP services on port 6443, 10.100.0.1 upwards. */
const manyServices = (n: number): Service[] =>
  Array.from({ length: n }, (_, i) => ({
    family: 'inet',
    protocol: 'tcp',
    address: `10.${100 + (i >> 8)}.${i & 0xff}.1`,
    port: 6443,
    scheduler: 'rr',
    ...plain,
  }));

test('1000 services x 3 destinations: create, list, delete', async () => {
  const services = manyServices(1000);
  for (const svc of services) {
    await ipvs.createService(svc);
    for (let d = 2; d <= 4; d++) await ipvs.createDestination(svc, dest(`192.168.0.${d}`));
  }
  const listed = await ipvs.services();
  assert.equal(listed.length, 1000);
  let destinations = 0;
  for (const svc of listed) destinations += (await ipvs.destinations(svc)).length;
  assert.equal(destinations, 3000);
  assert.equal(savedRules().length, 4000, 'ipvsadm sees the same 4000 rules');
  for (const svc of services) await ipvs.removeService(svc);
  assert.deepEqual(await ipvs.services(), []);
  assert.deepEqual(savedRules(), []);
});

test('a batch applies 1000 services x 3 destinations, and reports a failure at its own index', async () => {
  const services = manyServices(1000);
  const ops = services.flatMap((service) => [
    { op: 'create-service' as const, service },
    ...[2, 3, 4].map((d) => ({
      op: 'create-destination' as const,
      service,
      destination: dest(`192.168.0.${d}`),
    })),
  ]);
  ops.splice(2001, 0, { op: 'create-service', service: services[0]! }); // already exists
  const results = await ipvs.batch(ops);
  assert.equal(results.filter((r) => r !== undefined).length, 1);
  assert.equal(results[2001]?.code, 'EEXIST');
  assert.match(results[2001].operation, /NEW_SERVICE tcp 10\.100\.0\.1:6443/);
  assert.equal(savedRules().length, 4000, 'everything else was applied');
  const removed = await ipvs.batch(
    services.map((service) => ({ op: 'remove-service' as const, service })),
  );
  assert.deepEqual(
    removed.filter((r) => r !== undefined),
    [],
  );
  assert.deepEqual(savedRules(), []);
});
