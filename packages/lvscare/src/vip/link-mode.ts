// Link mode: a dummy link holding VIP/32 (or /128), as lvscare does. Locally generated traffic
// to the VIP then leaves with the VIP itself as source, which masters on a real L2 network answer
// through their own gateway, so the VIP's traffic to them is masqueraded to the node's address.
import { NetlinkError, type RouteClient } from '@kha/netlink-ffi';
import type { CareConfig } from '../config/care-config.js';
import { installNatRule, natRulePresent, removeNatRule } from './nat-rule.js';
import { VS_CONNTRACK, ensureSysctl } from './sysctl.js';
import type { VipSetup } from './vip-setup.js';

/** nft is a process; the NAT rule is checked every this many rounds, the link every round. */
export const NAT_CHECK_EVERY = 10;

export class LinkMode implements VipSetup {
  readonly mode = 'link' as const;
  private established = false;
  private rounds = 0;

  constructor(
    private readonly config: CareConfig,
    private readonly rt: RouteClient,
  ) {}

  private get prefixLength(): number {
    return this.config.vip.family === 'inet' ? 32 : 128;
  }

  async ensure(): Promise<string[]> {
    const repairs: string[] = [];
    const note = (kind: string): void => {
      if (this.established) repairs.push(kind);
    };
    const { iface, vip } = this.config;
    let link = await this.rt.link(iface);
    if (!link) {
      await this.rt.createDummyLink(iface);
      link = await this.rt.link(iface);
      if (!link) throw new Error(`link mode: created ${iface} but cannot read it back`);
      note('link-missing');
    } else if (link.kind !== undefined && link.kind !== 'dummy') {
      throw new Error(
        `link mode: ${iface} exists and is a ${link.kind} link, not ours; choose another --iface`,
      );
    }
    if (!link.up) {
      await this.rt.setLinkUp(link.index);
      note('link-down');
    }
    const addrs = await this.rt.addresses(vip.family);
    if (
      !addrs.some(
        (a) =>
          a.index === link!.index &&
          a.address === vip.address &&
          a.prefixLength === this.prefixLength,
      )
    ) {
      await this.rt.addAddress(link.index, vip.address, this.prefixLength);
      note('address-missing');
    }
    if (!this.established || this.rounds % NAT_CHECK_EVERY === 0) {
      ensureSysctl(VS_CONNTRACK, '1');
      if (!(await natRulePresent(vip, this.config.realServers))) {
        await installNatRule(vip, this.config.realServers);
        note('nat-rule-missing');
      }
    }
    this.rounds++;
    this.established = true;
    return repairs;
  }

  async clean(): Promise<void> {
    try {
      await this.rt.deleteLink(this.config.iface);
    } catch (err) {
      if (!(err instanceof NetlinkError && err.is('ENODEV'))) throw err;
    }
    await removeNatRule(this.config.vip);
  }
}
