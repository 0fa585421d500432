// Link mode's bookkeeping with a scripted route client and NAT rule; the kernel side is tested in
// the kernel tier (care-modes).
import assert from 'node:assert/strict';
import { test } from 'node:test';
import type { RouteClient } from '@kha/netlink-ffi';
import { LinkMode, NAT_CHECK_EVERY, type NatRule } from '../src/vip/link-mode.js';
import { VipSetupError } from '../src/vip/mode.js';
import { masters } from './support/daemon-rig.js';

const linkConfig = {
  vip: { family: 'inet' as const, address: '10.103.97.2', port: 6443 },
  realServers: masters,
  iface: 'lvscare',
};

function fakeRoute() {
  const state = {
    link: undefined as { index: number; up: boolean; kind: string } | undefined,
    addrs: [] as Array<{ index: number; address: string; prefixLength: number }>,
  };
  const rt = {
    link: async () => (state.link ? { ...state.link } : undefined),
    createDummyLink: async () => {
      state.link = { index: 7, up: false, kind: 'dummy' };
    },
    setLinkUp: async () => {
      state.link!.up = true;
    },
    addresses: async () => state.addrs,
    addAddress: async (index: number, address: string, prefixLength: number) => {
      state.addrs.push({ index, address, prefixLength });
    },
    deleteLink: async () => {
      state.link = undefined;
    },
  };
  return { state, rt: rt as unknown as RouteClient };
}

function scriptedNat() {
  const nat = { present: false, failing: true, installs: 0, checks: 0 };
  const rule: NatRule = {
    present: async () => (nat.checks++, nat.present),
    install: async () => {
      nat.installs++;
      if (nat.failing) throw new Error('nft: command not found');
      nat.present = true;
    },
    remove: async () => {},
  };
  return { nat, rule };
}

test('a failing NAT step: the error names it, the link work done is kept, retried every round until it works', async () => {
  const { state, rt } = fakeRoute();
  const { nat, rule } = scriptedNat();
  const mode = new LinkMode(linkConfig, rt, rule);
  await assert.rejects(mode.ensure(), (err: unknown) => {
    assert.ok(err instanceof VipSetupError);
    assert.match(err.message, /link mode: NAT rule \(nft\): nft: command not found/);
    return true;
  });
  assert.equal(state.link?.up, true, 'the link step ran before the NAT step failed');
  for (let i = 0; i < 3; i++) await assert.rejects(mode.ensure());
  assert.equal(nat.installs, 4, 'retried every round while failing');
  nat.failing = false;
  assert.deepEqual(await mode.ensure(), [], 'a first successful install is not a repair');
  // Now in place: checked every NAT_CHECK_EVERY rounds, counted from round one whatever failed.
  const checks = nat.checks;
  for (let i = 0; i < NAT_CHECK_EVERY; i++) await mode.ensure();
  assert.equal(nat.checks - checks, 1);
});

test('a link deleted behind our back while the NAT step fails is still reported as repaired', async () => {
  const { state, rt } = fakeRoute();
  const { nat, rule } = scriptedNat();
  nat.failing = false;
  const mode = new LinkMode(linkConfig, rt, rule);
  for (let i = 0; i < NAT_CHECK_EVERY; i++) await mode.ensure(); // the next round checks NAT
  state.link = undefined;
  state.addrs = [];
  nat.present = false;
  nat.failing = true;
  await assert.rejects(mode.ensure(), (err: unknown) => {
    assert.deepEqual((err as VipSetupError).repairs, [
      'link-missing',
      'link-down',
      'address-missing',
    ]);
    return true;
  });
});
