// The main job for now: the IPVS client driving a real kernel. Creates the default VIP service
// over three masters, shows it through the library and through ipvsadm, then removes it.
import { execFileSync } from 'node:child_process';
import { IpvsClient, RouteClient } from '@kha/netlink-ffi';

const vip = { family: 'inet', protocol: 'tcp', address: '10.103.97.2', port: 6443 } as const;
const masters = ['192.168.0.2', '192.168.0.3', '192.168.0.4'];
const sh = (cmd: string, ...args: string[]) => execFileSync(cmd, args, { encoding: 'utf8' });

const ipvs = await IpvsClient.open();
const info = await ipvs.info();
console.log(
  `IPVS ${info.version} in kernel ${sh('uname', '-r').trim()}, family id ${ipvs.familyId}`,
);
await ipvs.createService({ ...vip, scheduler: 'rr', flags: 0, timeout: 0, netmask: 32 });
for (const m of masters) {
  await ipvs.createDestination(vip, {
    address: m,
    port: 6443,
    forward: 'masq',
    weight: 1,
    upperThreshold: 0,
    lowerThreshold: 0,
  });
}
await ipvs.updateDestination(vip, {
  address: masters[2]!,
  port: 6443,
  forward: 'masq',
  weight: 0,
  upperThreshold: 0,
  lowerThreshold: 0,
});
console.log('\n$ lvscare ipvs list');
console.log(sh('node', 'packages/lvscare/bin/lvscare.js', 'ipvs', 'list'));
console.log('$ ipvsadm -Ln   (an independent client reading the same kernel table)');
console.log(sh('ipvsadm', '-Ln'));

const rt = RouteClient.open();
await rt.createDummyLink('kha-demo');
const link = await rt.link('kha-demo');
await rt.setLinkUp(link!.index);
await rt.addAddress(link!.index, vip.address, 32);
console.log('$ ip -br addr show kha-demo');
console.log(sh('ip', '-br', 'addr', 'show', 'kha-demo'));
await rt.deleteLink('kha-demo');
await rt.close();

await ipvs.removeService(vip);
console.log(`removed; the kernel now holds ${(await ipvs.services()).length} services`);
await ipvs.close();
