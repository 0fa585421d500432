// A virtual server for the Kubernetes API on 10.103.97.2:6443 with two masters behind it, then
// what the kernel holds. Run as root (CAP_NET_ADMIN) with the ip_vs module loaded:
//   node packages/netlink-ffi/dist/examples/virtual-server.js
import { type Destination, IpvsClient, NetlinkError, type Service } from '@kha/netlink-ffi';

const service: Service = {
  family: 'inet',
  protocol: 'tcp',
  address: '10.103.97.2',
  port: 6443,
  scheduler: 'rr',
  flags: 0,
  timeout: 0,
  netmask: 32,
};
const master = (address: string): Destination => ({
  address,
  port: 6443,
  forward: 'masq',
  weight: 1,
  upperThreshold: 0,
  lowerThreshold: 0,
});

const ipvs = await IpvsClient.open();
try {
  try {
    await ipvs.createService(service);
  } catch (err) {
    if (!(err instanceof NetlinkError && err.is('EEXIST'))) throw err; // already there: fine
  }
  for (const address of ['192.168.0.2', '192.168.0.3']) {
    try {
      await ipvs.createDestination(service, master(address));
    } catch (err) {
      if (!(err instanceof NetlinkError && err.is('EEXIST'))) throw err;
    }
  }
  for (const svc of await ipvs.services()) {
    console.log(`${svc.protocol} ${svc.address}:${svc.port} ${svc.scheduler}`);
    for (const d of await ipvs.destinations(svc)) {
      console.log(`  -> ${d.address}:${d.port} ${d.forward} weight ${d.weight}`);
    }
  }
} finally {
  await ipvs.close();
}
