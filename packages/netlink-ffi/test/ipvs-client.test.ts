// IpvsClient's own logic (family resolution, dump assembly, ACKs, errors, batches) against a
// scripted kernel; the kernel tier proves the same client against the real one.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import {
  IPVS_NEEDS_CAP,
  IPVS_UNAVAILABLE,
  IpvsClient,
  NetlinkError,
  type Service,
  ZERO_STATS,
} from '../src/index.js';
import {
  ack,
  dumpReplies,
  errorReply,
  familyReplies,
  reply,
  scriptedConnection,
} from '../src/testing.js';
import {
  Attributes,
  DATAGRAMS_PER_TURN,
  GENL_ID_CTRL,
  IpvsCommand,
  type NetlinkMessage,
  decodeGenl,
  encodeService,
  ipvsPayload,
} from '../src/wire.js';

const IPVS_ID = 0x24;
const svc = (port: number): Service => ({
  family: 'inet',
  protocol: 'tcp',
  address: '10.103.97.2',
  port,
  scheduler: 'rr',
  flags: 0,
  timeout: 0,
  netmask: 32,
});
const command = (m: NetlinkMessage): number => decodeGenl(m.payload).command;
const asService = (s: Service): Buffer =>
  ipvsPayload(IpvsCommand.NEW_SERVICE, (a) => encodeService(a, s));

/** A kernel with IPVS at `familyId` that answers `answer` for everything but family lookups. */
function ipvsKernel(answer: (req: NetlinkMessage) => Buffer[], familyId = () => IPVS_ID) {
  return scriptedConnection((req) =>
    req.type === GENL_ID_CTRL ? familyReplies(req, { id: familyId(), name: 'IPVS' }) : answer(req),
  );
}

test('connect resolves the IPVS family by name, and requests go to its id', async () => {
  const k = ipvsKernel((req) => [ack(req)]);
  const ipvs = await IpvsClient.connect(k.connection);
  await ipvs.flush();
  const [lookup, flush] = k.requests;
  assert.equal(lookup!.type, GENL_ID_CTRL);
  assert.equal(
    Attributes.parse(decodeGenl(lookup!.payload).attributes).string(2),
    'IPVS',
    'CTRL_ATTR_FAMILY_NAME',
  );
  assert.equal(flush!.type, IPVS_ID);
  assert.equal(command(flush!), IpvsCommand.FLUSH);
  assert.equal(ipvs.familyId, IPVS_ID);
});

test('services() assembles a dump spread over datagrams, in order', async () => {
  const k = ipvsKernel((req) => {
    const [a, b, c, done] = dumpReplies(req, [
      asService(svc(1)),
      asService(svc(2)),
      asService(svc(3)),
    ]);
    return [Buffer.concat([a!, b!]), c!, done!];
  });
  const ipvs = await IpvsClient.connect(k.connection);
  const services = await ipvs.services();
  assert.deepEqual(
    services.map((s) => s.port),
    [1, 2, 3],
  );
  assert.deepEqual(services[0], { ...svc(1), peName: undefined, stats: { ...ZERO_STATS } });
});

test('service() of a missing service is ESRCH, as the kernel says it', async () => {
  const k = ipvsKernel((req) => [errorReply(req, 'ESRCH')]);
  const ipvs = await IpvsClient.connect(k.connection);
  await assert.rejects(
    ipvs.service(svc(1)),
    (err) => err instanceof NetlinkError && err.is('ESRCH'),
  );
});

test('a single change and the same change in a batch send the same bytes', async () => {
  const k = ipvsKernel((req) => [ack(req)]);
  const ipvs = await IpvsClient.connect(k.connection);
  const dest = {
    address: '192.168.0.2',
    port: 6443,
    forward: 'masq',
    weight: 1,
    upperThreshold: 0,
    lowerThreshold: 0,
  } as const;
  await ipvs.createService(svc(6443));
  await ipvs.createDestination(svc(6443), dest);
  await ipvs.removeDestination(svc(6443), dest);
  const single = k.requests.slice(1).map((m) => m.payload);
  const results = await ipvs.batch([
    { op: 'create-service', service: svc(6443) },
    { op: 'create-destination', service: svc(6443), destination: dest },
    { op: 'remove-destination', service: svc(6443), destination: dest },
  ]);
  assert.deepEqual(results, [undefined, undefined, undefined]);
  assert.deepEqual(
    k.requests.slice(4).map((m) => m.payload),
    single,
  );
  assert.deepEqual(
    single.map((p) => decodeGenl(p).command),
    [IpvsCommand.NEW_SERVICE, IpvsCommand.NEW_DEST, IpvsCommand.DEL_DEST],
  );
});

test('EPERM carries the operator hint, keeps the errno, and keeps the kernel error as cause', async () => {
  const k = ipvsKernel((req) => [errorReply(req, 'EPERM')]);
  const ipvs = await IpvsClient.connect(k.connection);
  for (const attempt of [
    ipvs.createService(svc(1)),
    ipvs.batch([{ op: 'remove-service', service: svc(1) }]).then(([e]) => {
      throw e ?? new Error('the batch reported no error for a refused request');
    }),
  ]) {
    await assert.rejects(attempt, (err) => {
      assert.ok(err instanceof NetlinkError);
      assert.equal(err.message, IPVS_NEEDS_CAP);
      assert.ok(err.is('EPERM'));
      assert.ok(err.cause instanceof NetlinkError);
      assert.match(err.cause.operation, /^IPVS (NEW|DEL)_SERVICE tcp 10\.103\.97\.2:1$/);
      return true;
    });
  }
});

test('ENOENT after the module came back under a new id: re-resolved and retried once', async () => {
  let id = IPVS_ID;
  const k = ipvsKernel(
    (req) => (req.type === id ? [ack(req)] : [errorReply(req, 'ENOENT')]),
    () => id,
  );
  const ipvs = await IpvsClient.connect(k.connection);
  id = 0x25;
  await ipvs.flush();
  assert.deepEqual(
    k.requests.map((m) => m.type),
    [GENL_ID_CTRL, IPVS_ID, GENL_ID_CTRL, 0x25],
  );
});

test('ENOENT with an unchanged id (no such destination) is thrown, not retried', async () => {
  const k = ipvsKernel((req) =>
    command(req) === IpvsCommand.DEL_DEST ? [errorReply(req, 'ENOENT')] : [ack(req)],
  );
  const ipvs = await IpvsClient.connect(k.connection);
  await assert.rejects(
    ipvs.removeDestination(svc(1), { address: '192.168.0.9', port: 1 }),
    (err) => err instanceof NetlinkError && err.is('ENOENT') && /DEL_DEST/.test(err.operation),
  );
  assert.equal(k.requests.filter((m) => m.type === IPVS_ID).length, 1);
});

test('no IPVS family: connect fails with the modprobe hint and closes the connection', async () => {
  const k = scriptedConnection((req) => [errorReply(req, 'ENOENT')]);
  await assert.rejects(IpvsClient.connect(k.connection), (err) => {
    assert.ok(err instanceof NetlinkError);
    assert.equal(err.message, IPVS_UNAVAILABLE);
    assert.ok(err.is('ENOENT') && err.cause instanceof NetlinkError);
    return true;
  });
  assert.equal(k.closed, true);
});

test('info() without a reply is ENODATA, not a crash', async () => {
  const k = ipvsKernel((req) => [ack(req)]);
  const ipvs = await IpvsClient.connect(k.connection);
  await assert.rejects(ipvs.info(), (err) => err instanceof NetlinkError && err.is('ENODATA'));
  // And with one, it decodes.
  const k2 = ipvsKernel((req) => {
    const attrs = Buffer.from('08000100010201000800020000100000', 'hex');
    return [
      reply(req, Buffer.concat([Buffer.from([IpvsCommand.SET_INFO, 1, 0, 0]), attrs])),
      ack(req),
    ];
  });
  assert.deepEqual(await (await IpvsClient.connect(k2.connection)).info(), {
    versionCode: 0x010201,
    version: '1.2.1',
    connTableSize: 4096,
  });
});

test('services() of a dump over many datagrams lets the event loop run while it reads', async () => {
  const count = 10 * DATAGRAMS_PER_TURN;
  const k = ipvsKernel((req) =>
    dumpReplies(
      req,
      Array.from({ length: count }, (_, i) => asService(svc(i + 1))),
    ),
  );
  const ipvs = await IpvsClient.connect(k.connection);
  let turns = 0;
  const tick = (): void => {
    turns++;
    if (turns < count) setImmediate(tick);
  };
  setImmediate(tick);
  const services = await ipvs.services();
  assert.deepEqual(
    services.map((s) => s.port),
    Array.from({ length: count }, (_, i) => i + 1),
  );
  // One turn per DATAGRAMS_PER_TURN datagrams read: the dump never held the loop for longer.
  assert.ok(turns >= count / DATAGRAMS_PER_TURN - 1, `${turns} turns of the event loop`);
});

test('destinations() sends GET_DEST naming the service, as ipvsadm does, and decodes each reply', async () => {
  const dest = (address: string): Buffer =>
    ipvsPayload(IpvsCommand.NEW_DEST, (a) =>
      a.nested(2, (d) => {
        d.u16(11, 2);
        d.bytes(1, Buffer.from([192, 168, 0, Number(address.split('.')[3])]));
        d.be16(2, 6443);
        d.u32(3, 0);
        d.u32(4, 1);
      }),
    );
  const k = ipvsKernel((req) =>
    dumpReplies(req, [dest('192.168.0.2'), dest('192.168.0.3'), dest('192.168.0.4')]),
  );
  const ipvs = await IpvsClient.connect(k.connection);
  const dests = await ipvs.destinations(svc(6443));
  assert.deepEqual(
    dests.map((d) => `${d.address}:${d.port} ${d.forward} ${d.weight}`),
    ['192.168.0.2:6443 masq 1', '192.168.0.3:6443 masq 1', '192.168.0.4:6443 masq 1'],
  );
  const sent = k.requests.at(-1)!;
  assert.equal(sent.flags, 0x301, 'REQUEST | DUMP');
  // The service nest is the one of the NEW_DEST bytes captured from ipvsadm (fixtures.test.ts).
  assert.deepEqual(
    sent.payload,
    Buffer.from(
      '08010000' +
        '30000100' +
        '0600010002000000' +
        '0600020006000000' +
        '140003000a676102000000000000000000000000' +
        '06000400192b0000',
      'hex',
    ),
  );
});
