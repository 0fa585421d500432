// RouteClient's own logic against a scripted kernel; the kernel tier proves it against the real one.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { NetlinkError, RouteClient } from '../src/index.js';
import { dumpReplies, errorReply, reply, scriptedConnection } from '../src/testing.js';
import {
  NLM_F_DUMP,
  RTM,
  RTM_F_CLONED,
  RTM_F_FIB_MATCH,
  completeRoute,
  encodeRouteRequest,
} from '../src/wire.js';

const vipRoute = completeRoute({
  destination: '10.103.97.2',
  prefixLength: 32,
  outputIndex: 3,
  preferredSource: '192.168.0.10',
});
const asReply = (flags = 0): Buffer => {
  const payload = encodeRouteRequest(vipRoute);
  payload.writeUInt32LE(flags, 8);
  return payload;
};

test('matchingRoute asks one fibmatch lookup (no dump) and returns the table entry', async () => {
  const k = scriptedConnection((req) => [
    reply(req, asReply(), { type: RTM.NEWROUTE }),
    errorReply(req, 0),
  ]);
  const rt = RouteClient.connect(k.connection);
  const route = await rt.matchingRoute('10.103.97.2');
  assert.equal(route?.destination, '10.103.97.2');
  assert.equal(route?.prefixLength, 32);
  assert.equal(route?.preferredSource, '192.168.0.10');
  assert.equal(route?.table, 254);
  const [req] = k.requests;
  assert.equal(k.requests.length, 1);
  assert.equal(req!.type, RTM.GETROUTE);
  assert.equal(req!.flags & NLM_F_DUMP, 0, 'not a dump');
  assert.equal(req!.payload.readUInt32LE(8), RTM_F_FIB_MATCH);
});

test('matchingRoute of an address no route covers is undefined', async () => {
  const k = scriptedConnection((req) => [errorReply(req, 'ENETUNREACH')]);
  assert.equal(await RouteClient.connect(k.connection).matchingRoute('10.103.97.2'), undefined);
});

test('a kernel that answers a fibmatch lookup with a computed route is refused, not misread', async () => {
  const k = scriptedConnection((req) => [
    reply(req, asReply(RTM_F_CLONED), { type: RTM.NEWROUTE }),
    errorReply(req, 0),
  ]);
  await assert.rejects(
    RouteClient.connect(k.connection).matchingRoute('10.103.97.2'),
    (err) => err instanceof NetlinkError && err.is('EOPNOTSUPP'),
  );
});

test('EPERM on a route change names the operation and what to do, keeping the cause', async () => {
  const k = scriptedConnection((req) => [errorReply(req, 'EPERM')]);
  await assert.rejects(RouteClient.connect(k.connection).addRoute(vipRoute), (err) => {
    assert.ok(err instanceof NetlinkError && err.is('EPERM'));
    assert.match(err.message, /^RTM_NEWROUTE 10\.103\.97\.2\/32: needs CAP_NET_ADMIN/);
    assert.ok(err.cause instanceof NetlinkError);
    return true;
  });
});

test('routes() reads the table again when the kernel marks the dump interrupted', async () => {
  let round = 0;
  const k = scriptedConnection((req) => {
    round++;
    const routes = round === 1 ? [] : [encodeRouteRequest(vipRoute)];
    return dumpReplies(req, routes, { interrupted: round === 1, type: RTM.NEWROUTE });
  });
  const routes = await RouteClient.connect(k.connection).routes('inet');
  assert.equal(routes.length, 1);
  assert.equal(k.requests.length, 2);
});
