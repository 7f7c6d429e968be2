/**
 * The BGP sessions a desired state implies, for `vppwg render`: one per tunnel next hop of each
 * peer with `bgp`, spoken over the interface's host interface from the interface's own address,
 * and the prefixes the routing daemon must never install (vppwg routes them: the tunnels'
 * endpoints, the neighbours' tunnel addresses and the tunnels' own subnets), so the daemon and
 * the tunnels never disagree.
 */
import { parseAddress, parsePrefix, prefixCovers } from '../config/addr';
import type { AddressFamily, DesiredState } from '../config/model';

export interface BgpSession {
  /** A name both daemons accept: letters, digits and _. */
  readonly name: string;
  /** "<interface>/<peer>", for descriptions. */
  readonly description: string;
  readonly family: AddressFamily;
  readonly neighbour: string;
  readonly peerAs: number;
  /** The interface's address the session leaves from. */
  readonly source: string;
  /** The Linux interface (linux-cp pair) the session runs on. */
  readonly hostInterface: string;
}

export interface BgpPlan {
  readonly localAs: number;
  readonly routerId: string;
  readonly sessions: readonly BgpSession[];
  /** Prefixes the routing daemon must not import, per family (vppwg's routes, the tunnels' subnets). */
  readonly reserved: Readonly<Record<AddressFamily, readonly string[]>>;
}

export class RenderError extends Error {
  override name = 'RenderError';
}

function symbol(text: string): string {
  return text.replace(/[^A-Za-z0-9]/g, '_');
}

function hostPrefix(address: string): string {
  return address.includes(':') ? `${address}/128` : `${address}/32`;
}

/** The sessions of `desired`; a RenderError says what the file lacks. */
export function bgpPlan(desired: DesiredState, file: string): BgpPlan {
  if (!desired.bgp)
    throw new RenderError(
      `${file} has no top-level bgp: add "bgp: {local_as: AS, router_id: IPv4}" so the routing daemon knows its own AS and router id`,
    );
  const sessions: BgpSession[] = [];
  const reserved: Record<AddressFamily, Set<string>> = { ip4: new Set(), ip6: new Set() };
  const names = new Set<string>();
  for (const w of desired.wireguard) {
    // The tunnel's own subnet: a neighbour announcing it would have the kernel, and through
    // linux-nl VPP, route the tunnel's addresses over a BGP path instead of the interface.
    for (const a of w.addresses) {
      const net = parsePrefix(a)!;
      reserved[net.family].add(net.networkText);
    }
    for (const p of w.peers) {
      if (p.endpoint) reserved[parseAddress(p.endpoint.address)!.family].add(hostPrefix(p.endpoint.address));
      for (const nh of p.tunnelNextHops) reserved[parseAddress(nh)!.family].add(hostPrefix(nh));
      if (!p.bgp || w.hostInterface === undefined) continue;
      for (const nh of p.tunnelNextHops) {
        const addr = parseAddress(nh)!;
        // The interface address whose subnet holds the neighbour, else the first of its family.
        const own = w.addresses.filter((a) => parseAddress(a.split('/')[0]!)!.family === addr.family);
        const source = own.find((a) => prefixCovers(parsePrefix(a)!, addr)) ?? own[0];
        if (source === undefined)
          throw new RenderError(
            `peer "${p.name}" of "${w.name}": its BGP neighbour ${nh} is ${addr.family === 'ip6' ? 'IPv6' : 'IPv4'} but the interface has no address of that family to speak from: add one to its addresses`,
          );
        const base = symbol(`${w.name}_${p.name}_${addr.family === 'ip6' ? 'v6' : 'v4'}`);
        let name = /^[A-Za-z]/.test(base) ? base : `s_${base}`;
        for (let n = 2; names.has(name); n++) name = `${base}_${n}`;
        names.add(name);
        sessions.push({
          name,
          description: `${w.name}/${p.name}`,
          family: addr.family,
          neighbour: addr.text,
          peerAs: p.bgp.peerAs,
          source: source.split('/')[0]!,
          hostInterface: w.hostInterface,
        });
      }
    }
  }
  if (sessions.length === 0)
    throw new RenderError(
      `${file} has no BGP session: give a peer of an interface with host_interface "bgp: {peer_as: AS}" and tunnel_next_hops`,
    );
  return {
    localAs: desired.bgp.localAs,
    routerId: desired.bgp.routerId,
    sessions,
    reserved: { ip4: [...reserved.ip4], ip6: [...reserved.ip6] },
  };
}
