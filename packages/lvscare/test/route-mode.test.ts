// Route mode's rounds against a scripted rtnetlink kernel holding a tiny routing table: what it
// asks (never a dump) and what it changes. The kernel tier runs it against 20k real routes.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { type Route, RouteClient } from '@kha/netlink-ffi';
import {
  NLM_F_DUMP,
  NLM_F_EXCL,
  NLM_F_REPLACE,
  type NetlinkMessage,
  RTM,
  RTM_F_FIB_MATCH,
  completeRoute,
  decodeRoute,
  encodeRouteRequest,
} from '@kha/netlink-ffi/wire';
import { ack, errorReply, reply, scriptedConnection } from '@kha/netlink-ffi/testing';
import { RouteMode } from '../src/vip/route-mode.js';

const vip = { family: 'inet' as const, address: '10.103.97.2', port: 6443 };
const master = { family: 'inet' as const, address: '192.168.0.2', port: 6443 };
const config = { vip, realServers: [master], nodeIp: undefined };

/** A kernel whose main table is `table`; the path to the master is on link 2 from .10. */
function routingKernel(table: Map<string, Route>) {
  return scriptedConnection((req: NetlinkMessage) => {
    const route = decodeRoute(req.payload)!;
    switch (req.type) {
      case RTM.GETROUTE: {
        if (req.flags & NLM_F_DUMP) return [errorReply(req, 'EOPNOTSUPP')];
        if (!(req.payload.readUInt32LE(8) & RTM_F_FIB_MATCH)) {
          const path = completeRoute({
            destination: route.destination,
            prefixLength: 32,
            outputIndex: 2,
            preferredSource: '192.168.0.10',
          });
          return [reply(req, encodeRouteRequest(path), { type: RTM.NEWROUTE }), ack(req)];
        }
        const entry = table.get(route.destination);
        if (!entry) return [errorReply(req, 'ENETUNREACH')];
        return [reply(req, encodeRouteRequest(entry), { type: RTM.NEWROUTE }), ack(req)];
      }
      case RTM.NEWROUTE:
        if (table.has(route.destination) && req.flags & NLM_F_EXCL)
          return [errorReply(req, 'EEXIST')];
        table.set(route.destination, route);
        return [ack(req)];
      case RTM.DELROUTE:
        if (!table.delete(route.destination)) return [errorReply(req, 'ESRCH')];
        return [ack(req)];
    }
    return [errorReply(req, 'EOPNOTSUPP')];
  });
}

test('a round asks two single-address lookups, never a dump, and adds the missing VIP route', async () => {
  const table = new Map<string, Route>();
  const k = routingKernel(table);
  const mode = new RouteMode(config, RouteClient.connect(k.connection));
  assert.deepEqual(await mode.ensure(), [], 'the first set-up is no repair');
  assert.ok(
    k.requests.every((r) => r.type !== RTM.GETROUTE || (r.flags & NLM_F_DUMP) === 0),
    'no request is a dump',
  );
  assert.deepEqual(
    k.requests.map((r) => r.type),
    [RTM.GETROUTE, RTM.GETROUTE, RTM.NEWROUTE],
  );
  const added = table.get(vip.address);
  assert.equal(added?.prefixLength, 32);
  assert.equal(added?.preferredSource, '192.168.0.10');
  assert.equal(added?.outputIndex, 2);
  assert.equal(added?.table, 254);
});

test('a round with the route in place changes nothing; a removed or altered route is repaired', async () => {
  const table = new Map<string, Route>();
  const k = routingKernel(table);
  const mode = new RouteMode(config, RouteClient.connect(k.connection));
  await mode.ensure();
  const before = k.requests.length;
  assert.deepEqual(await mode.ensure(), []);
  assert.deepEqual(
    k.requests.slice(before).map((r) => r.type),
    [RTM.GETROUTE, RTM.GETROUTE],
    'only the two lookups',
  );

  table.delete(vip.address);
  assert.deepEqual(await mode.ensure(), ['route-missing']);
  table.set(vip.address, { ...table.get(vip.address)!, preferredSource: '192.168.0.99' });
  assert.deepEqual(await mode.ensure(), ['route-settings']);
  assert.ok(k.requests.at(-1)!.flags & NLM_F_REPLACE);
  assert.equal(table.get(vip.address)?.preferredSource, '192.168.0.10');
});

test('clean removes the VIP route, and is quiet when there is none', async () => {
  const table = new Map<string, Route>();
  const k = routingKernel(table);
  const mode = new RouteMode(config, RouteClient.connect(k.connection));
  await mode.ensure();
  await mode.clean();
  assert.equal(table.has(vip.address), false);
  await mode.clean();
});
