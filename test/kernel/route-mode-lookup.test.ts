// Route mode on a node with a large routing table: every round asks the kernel about the VIP and
// the first master only (no dump), and what it sets up is what `ip route` shows. The timing and
// memory comparison with a full dump is a benchmark, not a test: bench/route-lookup.ts.
import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import { RouteClient } from '@kha/netlink-ffi';
import {
  NETLINK_ROUTE,
  NLM_F_DUMP,
  type NetlinkMessage,
  NetlinkSocket,
  RTM,
  parseMessages,
} from '@kha/netlink-ffi/wire';
import { NetlinkConnection } from '@kha/netlink-ffi';
import { RouteMode } from '@kha/lvscare/parts';
import { assertKernelTier } from '../support/kernel.js';
import { ipJson } from '../support/ip-json.js';
import { attempt, run } from '../support/run.js';

// Many routes make a dump expensive; enough to show in the table, few enough to install quickly
// under an emulated CPU (bench/route-lookup.ts uses 100k).
const ROUTES = 20_000;
const LINK = 'khaup0';
const vip4 = { family: 'inet' as const, address: '10.103.97.2', port: 6443 };
const vip6 = { family: 'inet6' as const, address: 'fd00:103::2', port: 6443 };

const sent: NetlinkMessage[] = [];
let rt: RouteClient;

/** A route client whose every request is also recorded, over a real socket. */
function recordingClient(): RouteClient {
  const socket = NetlinkSocket.open(NETLINK_ROUTE);
  return RouteClient.connect(
    new NetlinkConnection({
      send(datagram) {
        sent.push(...parseMessages(Buffer.from(datagram))); // the connection reuses its bytes
        socket.send(datagram);
      },
      receiveNow: () => socket.receiveNow(),
      readable: (deadline) => socket.readable(deadline),
      close: () => socket.close(),
    }),
  );
}

const dumps = (): NetlinkMessage[] =>
  sent.filter((m) => m.type === RTM.GETROUTE && (m.flags & NLM_F_DUMP) === NLM_F_DUMP);

before(() => {
  assertKernelTier();
  attempt('ip', ['link', 'del', LINK]);
  run('ip', ['link', 'add', LINK, 'type', 'dummy']);
  run('ip', ['link', 'set', LINK, 'up']);
  run('ip', ['addr', 'add', '192.168.50.10/24', 'dev', LINK]);
  run('ip', ['addr', 'add', '192.168.50.11/24', 'dev', LINK]);
  run('ip', ['addr', 'add', 'fd00:50::10/64', 'dev', LINK, 'nodad']);
  const lines: string[] = [];
  for (let i = 0; i < ROUTES; i++)
    lines.push(`route add 172.${16 + (i >> 16)}.${(i >> 8) & 0xff}.${i & 0xff}/32 dev ${LINK}`);
  run('ip', ['-batch', '-'], `${lines.join('\n')}\n`);
  rt = recordingClient();
});
after(async () => {
  await rt?.close();
  attempt('ip', ['link', 'del', LINK]); // takes its routes with it
});

test(`with ${ROUTES} routes installed, route mode sets up, repairs and removes the VIP route without one dump`, async () => {
  assert.ok(ipJson('route', 'show', 'dev', LINK).length >= ROUTES, 'the routes are in place');
  const mode = new RouteMode(
    { vip: vip4, realServers: [{ ...vip4, address: '192.168.50.2' }], nodeIp: undefined },
    rt,
  );
  const shown = () => ipJson('route', 'show', 'table', 'main', `${vip4.address}/32`);

  assert.deepEqual(await mode.ensure(), []);
  assert.equal(shown()[0]?.dev, LINK);
  assert.equal(shown()[0]?.prefsrc, '192.168.50.10');

  assert.deepEqual(await mode.ensure(), [], 'in place: nothing to do');

  run('ip', ['route', 'del', `${vip4.address}/32`]);
  assert.deepEqual(await mode.ensure(), ['route-missing']);
  assert.equal(shown()[0]?.prefsrc, '192.168.50.10');

  run('ip', ['route', 'replace', `${vip4.address}/32`, 'dev', LINK, 'src', '192.168.50.11']);
  assert.deepEqual(await mode.ensure(), ['route-settings']);
  assert.equal(shown()[0]?.prefsrc, '192.168.50.10');
  assert.equal(shown().length, 1, 'replaced, not added beside');

  await mode.clean();
  assert.deepEqual(shown(), []);
  await mode.clean(); // nothing left: quiet
  assert.ok(ipJson('route', 'show', 'dev', LINK).length >= ROUTES, 'no other route touched');

  assert.ok(sent.length > 0);
  assert.deepEqual(dumps(), [], 'no request dumped the routing table');
});

test('the same for an IPv6 VIP', async () => {
  const mode = new RouteMode(
    { vip: vip6, realServers: [{ ...vip6, address: 'fd00:50::2' }], nodeIp: undefined },
    rt,
  );
  const shown = () => ipJson('-6', 'route', 'show', 'table', 'main', `${vip6.address}/128`);
  assert.deepEqual(await mode.ensure(), []);
  assert.equal(shown()[0]?.dev, LINK);
  assert.equal(shown()[0]?.prefsrc, 'fd00:50::10');
  assert.deepEqual(await mode.ensure(), [], 'in place: nothing to do');
  run('ip', ['-6', 'route', 'del', `${vip6.address}/128`]);
  assert.deepEqual(await mode.ensure(), ['route-missing']);
  await mode.clean();
  assert.deepEqual(shown(), []);
  assert.deepEqual(dumps(), []);
});

test('masters behind a gateway: the VIP route takes the gateway, and a second round changes nothing', async () => {
  run('ip', ['route', 'add', '192.168.70.0/24', 'via', '192.168.50.1']);
  run('ip', ['-6', 'route', 'add', 'fd00:70::/64', 'via', 'fd00:50::1']);
  for (const [vip, master, gateway] of [
    [vip4, '192.168.70.5', '192.168.50.1'],
    [vip6, 'fd00:70::5', 'fd00:50::1'],
  ] as const) {
    const mode = new RouteMode(
      { vip, realServers: [{ ...vip, address: master }], nodeIp: undefined },
      rt,
    );
    assert.deepEqual(await mode.ensure(), []);
    const family = vip.family === 'inet' ? '-4' : '-6';
    const [shown] = ipJson(family, 'route', 'show', 'table', 'main', vip.address);
    assert.equal(shown?.gateway, gateway);
    assert.deepEqual(await mode.ensure(), [], `${vip.family}: in place, nothing to do`);
    await mode.clean();
    assert.deepEqual(ipJson(family, 'route', 'show', 'table', 'main', vip.address), []);
  }
  assert.deepEqual(dumps(), []);
});
