// The rtnetlink subset against a real kernel, with `ip` as the independent witness.
import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import { NetlinkError, RouteClient } from '@kha/netlink-ffi';
import { assertKernelTier } from '../support/kernel.js';
import { ipJson } from '../support/ip-json.js';
import { attempt } from '../support/run.js';

let rt: RouteClient;
before(() => {
  assertKernelTier();
  rt = RouteClient.open();
  attempt('ip', ['link', 'del', 'khatest0']);
});
after(async () => {
  attempt('ip', ['link', 'del', 'khatest0']);
  await rt?.close();
});

test('a dummy link, its addresses and a route made by the library are what ip shows, and go away', async () => {
  await rt.createDummyLink('khatest0');
  const link = await rt.link('khatest0');
  assert.ok(link, 'link is readable by name');
  assert.equal(link.kind, 'dummy');
  assert.equal(link.up, false);
  await rt.setLinkUp(link.index);
  assert.equal((await rt.link('khatest0'))?.up, true);
  const [shown] = ipJson('-d', 'link', 'show', 'khatest0');
  assert.equal(shown?.ifindex, link.index);
  assert.equal(shown?.linkinfo?.info_kind, 'dummy');
  assert.ok(shown?.flags?.includes('UP'));

  await rt.addAddress(link.index, '10.103.97.2', 32);
  await rt.addAddress(link.index, 'fd00:103::2', 128);
  const addrs = (ipJson('addr', 'show', 'dev', 'khatest0')[0]?.addr_info ?? []).map(
    (a) => `${a.local}/${a.prefixlen}`,
  );
  assert.ok(addrs.includes('10.103.97.2/32'), addrs.join(' '));
  assert.ok(addrs.includes('fd00:103::2/128'), addrs.join(' '));
  const mine = (await rt.addresses())
    .filter((a) => a.index === link.index)
    .map((a) => `${a.address}/${a.prefixLength}`);
  assert.ok(mine.includes('10.103.97.2/32') && mine.includes('fd00:103::2/128'), mine.join(' '));

  await rt.addRoute({ destination: '10.200.0.0', prefixLength: 24, outputIndex: link.index });
  const routes = ipJson('route', 'show', '10.200.0.0/24');
  assert.equal(routes[0]?.dev, 'khatest0');
  const listed = (await rt.routes('inet')).find(
    (r) => r.destination === '10.200.0.0' && r.prefixLength === 24,
  );
  assert.equal(listed?.outputIndex, link.index);
  assert.equal(listed?.table, 254);
  await assert.rejects(
    rt.addRoute({ destination: '10.200.0.0', prefixLength: 24, outputIndex: link.index }),
    /EEXIST/,
  );

  // A gateway nothing can reach: the kernel's extended-ack text comes through.
  await assert.rejects(
    rt.addRoute({ destination: '10.201.0.0', prefixLength: 24, gateway: '10.99.99.99' }),
    (err) => {
      assert.ok(err instanceof NetlinkError);
      assert.equal(err.code, 'ENETUNREACH');
      assert.match(err.kernelMessage ?? '', /gateway/i);
      return true;
    },
  );

  await rt.deleteRoute({ destination: '10.200.0.0', prefixLength: 24, outputIndex: link.index });
  assert.deepEqual(ipJson('route', 'show', '10.200.0.0/24'), []);
  await rt.deleteAddress(link.index, '10.103.97.2', 32);
  assert.ok(
    !ipJson('addr', 'show', 'dev', 'khatest0')[0]?.addr_info?.some(
      (a) => a.local === '10.103.97.2',
    ),
  );
  await rt.deleteLink('khatest0');
  assert.equal(await rt.link('khatest0'), undefined);
  assert.notEqual(attempt('ip', ['link', 'show', 'khatest0']).status, 0);
});

test('single-address lookups answer as `ip route get` and `ip route get fibmatch` do', async () => {
  attempt('ip', ['link', 'del', 'khatest0']);
  await rt.createDummyLink('khatest0');
  const link = (await rt.link('khatest0'))!;
  await rt.setLinkUp(link.index);
  await rt.addAddress(link.index, '10.210.0.1', 24);
  await rt.addRoute({ destination: '10.211.0.0', prefixLength: 16, gateway: '10.210.0.254' });
  try {
    const computed = await rt.routeTo('10.211.3.4');
    const [ipGet] = ipJson('route', 'get', '10.211.3.4');
    assert.equal(computed.destination, ipGet?.dst);
    assert.equal(computed.prefixLength, 32, 'computed for the one address');
    assert.equal(computed.gateway, ipGet?.gateway);
    assert.equal(computed.preferredSource, ipGet?.prefsrc);

    const entry = await rt.matchingRoute('10.211.3.4');
    const [fibmatch] = ipJson('route', 'get', 'fibmatch', '10.211.3.4');
    assert.equal(`${entry?.destination}/${entry?.prefixLength}`, fibmatch?.dst);
    assert.equal(entry?.gateway, fibmatch?.gateway);
    assert.equal(entry?.table, 254);

    // Nothing covers it once the route is gone (this namespace has no default route).
    await rt.deleteRoute({ destination: '10.211.0.0', prefixLength: 16, gateway: '10.210.0.254' });
    assert.notEqual(attempt('ip', ['route', 'get', 'fibmatch', '10.211.3.4']).status, 0);
    assert.equal(await rt.matchingRoute('10.211.3.4'), undefined);
    await assert.rejects(
      rt.routeTo('10.211.3.4'),
      (err) => err instanceof NetlinkError && err.is('ENETUNREACH'),
    );
  } finally {
    await rt.deleteLink('khatest0');
  }
});
