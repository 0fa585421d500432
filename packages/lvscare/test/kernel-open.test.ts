// Opening the two kernel clients: a failure of the second never leaks the first.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { IpvsClient, NetlinkError, RouteClient } from '@kha/netlink-ffi';
import { GENL_ID_CTRL } from '@kha/netlink-ffi/wire';
import { ack, familyReplies, scriptedConnection } from '@kha/netlink-ffi/testing';
import { openKernel, withKernel } from '../src/reconcile/kernel.js';

const ipvsKernel = () =>
  scriptedConnection((req) =>
    req.type === GENL_ID_CTRL ? familyReplies(req, { id: 0x24, name: 'IPVS' }) : [ack(req)],
  );
const noSocket = (): RouteClient => {
  throw new NetlinkError({ errno: 24, operation: 'socket(AF_NETLINK)' }); // EMFILE
};

test('when the route socket cannot open, the IPVS socket is closed and the error goes on', async () => {
  const ipvs = ipvsKernel();
  await assert.rejects(
    openKernel({ ipvs: () => IpvsClient.connect(ipvs.connection), rt: noSocket }),
    (err) => err instanceof NetlinkError && err.is('EMFILE'),
  );
  assert.equal(ipvs.closed, true);
});

test('withKernel closes both clients however its work ends', async () => {
  const ipvs = ipvsKernel();
  const rt = scriptedConnection((req) => [ack(req)]);
  const open = {
    ipvs: () => IpvsClient.connect(ipvs.connection),
    rt: () => RouteClient.connect(rt.connection),
  };
  await assert.rejects(
    withKernel(async () => {
      throw new Error('work failed');
    }, open),
    /work failed/,
  );
  assert.equal(ipvs.closed && rt.closed, true);
});
