// The generic netlink family id is not forever: ip_vs can be unloaded and loaded again, and the
// new family gets a new id. The client must say clearly that IPVS is gone, and recover after.
import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import { IPVS_UNAVAILABLE, IpvsClient, NetlinkError } from '@kha/netlink-ffi';
import { clearIpvs, savedRules } from '../support/ipvsadm.js';
import { assertKernelTier } from '../support/kernel.js';
import { unloadIpvs } from '../support/modules.js';

let reload: (() => void) | undefined;

before(() => {
  assertKernelTier();
  clearIpvs();
});
after(() => reload?.()); // never leave the tier without ip_vs, whatever failed

const vip = { family: 'inet', protocol: 'tcp', address: '10.103.97.2', port: 6443 } as const;

test('ip_vs unloaded: a clear "not available" error; reloaded: the same client works again', async () => {
  const client = await IpvsClient.open();
  const before = client.familyId;
  try {
    reload = unloadIpvs();
    await assert.rejects(client.services(), (err) => {
      assert.ok(err instanceof NetlinkError);
      assert.equal(err.code, 'ENOENT');
      assert.equal(err.message, IPVS_UNAVAILABLE);
      return true;
    });
    await assert.rejects(IpvsClient.open(), { message: IPVS_UNAVAILABLE });

    reload();
    reload = undefined;
    await client.createService({ ...vip, scheduler: 'rr', flags: 0, timeout: 0, netmask: 32 });
    assert.notEqual(client.familyId, before, 'the reloaded module registered a new family id');
    assert.deepEqual(savedRules(), ['-A -t 10.103.97.2:6443 -s rr']);
  } finally {
    await client.close();
  }
});
