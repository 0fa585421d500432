import {
  RouteClient,
  NetlinkConnection,
  NETLINK_ROUTE,
  rtnl,
  encodeLinkRequest,
} from '@kha/netlink-ffi';
const conn = NetlinkConnection.open(NETLINK_ROUTE);
const payload = encodeLinkRequest({ name: 'lo' });
const N = 20000;
let t = performance.now();
for (let i = 0; i < N; i++) await conn.request({ type: rtnl.RTM.GETLINK, payload, operation: 'x' });
console.log('GETLINK lo', (((performance.now() - t) / N) * 1000).toFixed(1), 'us/op');
await conn.close();
