/**
 * linux-cp in the emulator: interface pairs (a VPP interface and the Linux TAP or TUN the tap
 * plugin makes for it, seen in VPP as tapN / tunN), the default namespace, and the routes linux-nl
 * copies from the kernel (source 'lcp-rt-dynamic'), which a test injects and withdraws through the
 * control socket. Rules and error codes as VPP's lcp_interface.c / lcp_api.c / lcp.c have them.
 */
import { VppErrno } from '../client/errors';
import { PATH_TYPE_NORMAL, type FibPath, type FibTable } from './fib';
import { type Af, parsePrefix } from './net';

/** What linux-cp needs of the model (kept narrow: the model owns an LcpState). */
export interface LcpHost {
  readonly ifaces: ReadonlyMap<number, { readonly kind: string; readonly mtu: readonly number[] }>;
  /** Makes the host-side interface VPP shows for a pair (tapN / tunN, virtio). */
  addHostInterface(name: string, mtu: readonly number[]): { readonly swIfIndex: number };
  removeHostInterface(swIfIndex: number): void;
  table(af: Af, tableId: number): FibTable | undefined;
}

/** lcp_itf_host_type: TAP 0, TUN 1. */
export const HOST_TAP = 0;
export const HOST_TUN = 1;
/** IFNAMSIZ and LCP_NS_LEN: names must fit with their NUL. */
const IFNAMSIZ = 16;
const LCP_NS_LEN = 32;
/** What lcp_validate_if_name accepts besides letters and digits. */
const HOST_NAME = /^[A-Za-z0-9_%@:.-]+$/;

export interface LcpPair {
  readonly phySwIfIndex: number;
  readonly hostSwIfIndex: number;
  readonly vifIndex: number;
  readonly hostName: string;
  readonly hostType: number;
  readonly netns: string;
}

export class LcpState {
  /** By the paired (phy) sw_if_index, in creation (pool) order. */
  readonly pairs = new Map<number, LcpPair>();
  defaultNetns = '';
  private nextVif = 100;
  private tapId = 0;

  constructor(private readonly model: LcpHost) {}

  /** lcp_itf_pair_create, then the tap plugin's host interface. */
  add(phy: number, hostName: string, hostType: number, netns: string): { retval: number; pair?: LcpPair } {
    if (this.pairs.has(phy)) return { retval: VppErrno.VALUE_EXIST };
    const i = this.model.ifaces.get(phy);
    if (!i || i.kind === 'host-tap') return { retval: VppErrno.INVALID_SW_IF_INDEX };
    if (!hostName || Buffer.byteLength(hostName) >= IFNAMSIZ || !HOST_NAME.test(hostName))
      return { retval: VppErrno.INVALID_ARGUMENT };
    // A layer-3 tunnel is no Ethernet interface: "don't create TAP for non-eth interface; use tun".
    if (i.kind === 'wireguard' && hostType !== HOST_TUN) return { retval: VppErrno.INVALID_ARGUMENT };
    if ([...this.pairs.values()].some((p) => p.hostName === hostName)) return { retval: VppErrno.INVALID_ARGUMENT };
    const host = this.model.addHostInterface(`${hostType === HOST_TUN ? 'tun' : 'tap'}${this.tapId++}`, i.mtu);
    const pair: LcpPair = {
      phySwIfIndex: phy,
      hostSwIfIndex: host.swIfIndex,
      vifIndex: this.nextVif++,
      hostName,
      hostType: hostType === HOST_TUN ? HOST_TUN : HOST_TAP,
      netns: netns || this.defaultNetns,
    };
    this.pairs.set(phy, pair);
    return { retval: 0, pair };
  }

  /** lcp_itf_pair_delete: the host interface goes too. */
  delete(phy: number): number {
    const pair = this.pairs.get(phy);
    if (!pair) return VppErrno.INVALID_SW_IF_INDEX;
    this.pairs.delete(phy);
    this.model.removeHostInterface(pair.hostSwIfIndex);
    return 0;
  }

  /** linux-cp's interface-delete hook: a deleted interface takes its pair with it. */
  interfaceDeleted(swIfIndex: number): void {
    if (this.pairs.has(swIfIndex)) this.delete(swIfIndex);
  }

  /** lcp_set_default_ns: too long is -1; empty clears it. */
  setDefaultNetns(netns: string): number {
    if (Buffer.byteLength(netns) >= LCP_NS_LEN) return VppErrno.UNSPECIFIED;
    this.defaultNetns = netns;
    return 0;
  }

  /**
   * What linux-nl does when the routing daemon installs `prefix via nh dev <host interface>`: an
   * entry of source lcp-rt-dynamic through the paired VPP interface. Returns a reason when refused.
   */
  injectRoute(r: { table?: number; prefix: string; via: string; swIfIndex: number }): string | undefined {
    const p = parsePrefix(r.prefix);
    if (!p) return `prefix "${r.prefix}" is not a prefix: give 'a.b.c.d/len' or 'x::/len'`;
    const nh = parsePrefix(`${r.via}/${p.af === 6 ? 128 : 32}`);
    if (!nh || nh.af !== p.af) return `via "${r.via}" is not an ${p.af === 6 ? 'IPv6' : 'IPv4'} address`;
    // linux-nl skips a route whose next hop is on no paired interface.
    if (![...this.pairs.values()].some((x) => x.phySwIfIndex === r.swIfIndex))
      return `sw_if_index ${r.swIfIndex} has no linux-cp pair: linux-nl installs routes only through paired interfaces`;
    const table = this.model.table(p.af, r.table ?? 0);
    if (!table) return `table ${r.table ?? 0} does not exist for IPv${p.af}`;
    const path: FibPath = {
      swIfIndex: r.swIfIndex,
      nh: r.via,
      type: PATH_TYPE_NORMAL,
      weight: 1,
      preference: 0,
      flags: 0,
      proto: p.af === 6 ? 1 : 0,
      tableId: 0,
    };
    table.add(p, 'lcp', [path]);
    return undefined;
  }

  /** The routing daemon withdrew it: linux-nl removes its source from the entry. */
  withdrawRoute(r: { table?: number; prefix: string }): string | undefined {
    const p = parsePrefix(r.prefix);
    if (!p) return `prefix "${r.prefix}" is not a prefix: give 'a.b.c.d/len' or 'x::/len'`;
    const table = this.model.table(p.af, r.table ?? 0);
    if (!table) return `table ${r.table ?? 0} does not exist for IPv${p.af}`;
    table.remove(p, 'lcp');
    return undefined;
  }

  snapshot(): unknown {
    return { defaultNetns: this.defaultNetns, pairs: [...this.pairs.values()] };
  }
}
