// Link mode: a dummy link holding VIP/32 (or /128), as lvscare does. Locally generated traffic
// to the VIP then leaves with the VIP itself as source, which masters on a real L2 network answer
// through their own gateway, so the VIP's traffic to them is masqueraded to the node's address.
import { NetlinkError, type RouteClient, hostPrefixLength } from '@kha/netlink-ffi';
import type { CareConfig } from '../config/care-config.js';
import type { Endpoint } from '../config/endpoint.js';
import { installNatRule, natRulePresent, removeNatRule } from './nat-rule.js';
import { VS_CONNTRACK, ensureSysctl } from './sysctl.js';
import { type VipSetup, VipSetupError } from './mode.js';

/** nft is a process; the NAT rule is checked every this many rounds, the link every round. */
export const NAT_CHECK_EVERY = 10;

/** The source-NAT rule's operations (nft); replaceable in unit tests. */
export interface NatRule {
  present(vip: Endpoint, masters: Endpoint[]): Promise<boolean>;
  install(vip: Endpoint, masters: Endpoint[]): Promise<void>;
  remove(vip: Endpoint): Promise<void>;
}

const nftRule: NatRule = {
  present: natRulePresent,
  install: installNatRule,
  remove: removeNatRule,
};

/** What link mode reads of the configuration. */
export type LinkModeConfig = Pick<CareConfig, 'vip' | 'realServers' | 'iface'>;

export class LinkMode implements VipSetup {
  readonly mode = 'link' as const;
  /** Each piece once set up: from then on, finding it missing is a repair. */
  private linkEstablished = false;
  private natEstablished = false;
  private rounds = 0;
  /** False until the NAT rule is known right; while false it is checked every round. */
  private natInPlace = false;

  constructor(
    private readonly config: LinkModeConfig,
    private readonly rt: RouteClient,
    private readonly nat: NatRule = nftRule,
  ) {}

  private get prefixLength(): number {
    return hostPrefixLength(this.config.vip.family);
  }

  async ensure(): Promise<string[]> {
    const repairs: string[] = [];
    // The round counts whatever happens in it, so a failing step is retried on schedule.
    const round = this.rounds++;
    try {
      await this.ensureLink((kind) => this.linkEstablished && repairs.push(kind));
      this.linkEstablished = true;
      if (!this.natInPlace || round % NAT_CHECK_EVERY === 0) {
        this.natInPlace = false;
        await this.ensureNat((kind) => this.natEstablished && repairs.push(kind));
        this.natInPlace = this.natEstablished = true;
      }
    } catch (err) {
      throw new VipSetupError(`link mode: ${(err as Error).message}`, repairs, { cause: err });
    }
    return repairs;
  }

  private async ensureLink(note: (kind: string) => unknown): Promise<void> {
    const { iface, vip } = this.config;
    let link = await this.rt.link(iface);
    if (!link) {
      await this.rt.createDummyLink(iface);
      link = await this.rt.link(iface);
      if (!link) throw new Error(`created ${iface} but cannot read it back`);
      note('link-missing');
    } else if (link.kind !== undefined && link.kind !== 'dummy') {
      throw new Error(
        `${iface} exists and is a ${link.kind} link, not ours; choose another --iface`,
      );
    }
    if (!link.up) {
      await this.rt.setLinkUp(link.index);
      note('link-down');
    }
    const index = link.index;
    const addrs = await this.rt.addresses(vip.family);
    if (
      !addrs.some(
        (a) =>
          a.index === index && a.address === vip.address && a.prefixLength === this.prefixLength,
      )
    ) {
      await this.rt.addAddress(index, vip.address, this.prefixLength);
      note('address-missing');
    }
  }

  private async ensureNat(note: (kind: string) => unknown): Promise<void> {
    const { vip, realServers } = this.config;
    ensureSysctl(VS_CONNTRACK, '1');
    if (!(await this.nat.present(vip, realServers))) {
      try {
        await this.nat.install(vip, realServers);
      } catch (err) {
        throw new Error(`NAT rule (nft): ${(err as Error).message}`, { cause: err });
      }
      note('nat-rule-missing');
    }
  }

  async clean(): Promise<void> {
    try {
      await this.rt.deleteLink(this.config.iface);
    } catch (err) {
      if (!(err instanceof NetlinkError && err.is('ENODEV'))) throw err;
    }
    await this.nat.remove(this.config.vip);
  }
}
