/**
 * The linux-cp and BGP pass: host interface names (Linux's and linux-cp's rules), the namespace they
 * need, and the BGP sessions `vppwg render` writes. It runs after the others and adds the new keys
 * to the interfaces, uplinks and peers they already produced.
 */
import { echo } from '../echo';
import { parseAddress } from '../addr';
import type { DataPath } from '../locate';
import type { DesiredPeer } from '../model';
import type { CheckContext } from './context';
import { asList, int, isObj, str } from './values';

/** IFNAMSIZ less the terminating NUL: Linux's limit, and linux-cp's (lcp_validate_if_name). */
export const MAX_HOST_INTERFACE_BYTES = 15;
/** What both accept: linux-cp takes letters, digits and - _ % @ : . ; Linux refuses ':' (and '/', spaces). */
const HOST_INTERFACE_CHARS = /^[A-Za-z0-9_.%@-]+$/;

/** Why `name` cannot be a host interface name, or undefined when it can. */
export function hostInterfaceProblem(name: string): string | undefined {
  const bytes = Buffer.byteLength(name, 'utf8');
  if (bytes > MAX_HOST_INTERFACE_BYTES)
    return `is ${bytes} bytes long: Linux interface names hold at most ${MAX_HOST_INTERFACE_BYTES} bytes, so shorten it`;
  if (!HOST_INTERFACE_CHARS.test(name))
    return 'has a character Linux or linux-cp refuses: use letters, digits and _ . % @ -';
  if (name === '.' || name === '..') return 'is "." or "..", which Linux refuses: pick a real name';
  return undefined;
}

export function checkLinuxCp(ctx: CheckContext): void {
  const { f, data } = ctx;
  const netns = isObj(data.linux_cp) ? str(data.linux_cp.netns) : undefined;
  if (netns !== undefined && !ctx.skip(['linux_cp', 'netns'])) ctx.out.linuxCp = { netns };
  const seen = new Map<string, DataPath>();

  /** The checked host interface of one uplink or interface, or undefined. */
  const hostInterface = (owner: Record<string, unknown>, path: DataPath, what: string): string | undefined => {
    const name = str(owner.host_interface);
    const at: DataPath = [...path, 'host_interface'];
    if (name === undefined || ctx.skip(at)) return undefined;
    const problem = hostInterfaceProblem(name);
    if (problem) {
      f.error(at, `host interface "${echo(name)}" of ${what} ${problem}`);
      return undefined;
    }
    const prior = seen.get(name);
    if (prior) {
      f.error(
        at,
        `host interface "${echo(name)}" of ${what} is already used at line ${f.lineOf(prior)}: each pair needs its own Linux interface`,
      );
      return undefined;
    }
    seen.set(name, at);
    if (netns === undefined && !isObj(data.linux_cp))
      f.error(
        at,
        `host interface "${echo(name)}" of ${what} needs linux_cp: add "linux_cp: {netns: dataplane}" (the namespace the routing daemon runs in) at the top of the file`,
      );
    return name;
  };

  asList(data.uplinks).forEach((u, i) => {
    if (!isObj(u)) return;
    const name = str(u.name);
    const host = hostInterface(u, ['uplinks', i], `uplink "${echo(name ?? i)}"`);
    const k = ctx.out.uplinks.findIndex((o) => o.name === name);
    if (host !== undefined && k >= 0) ctx.out.uplinks[k] = { ...ctx.out.uplinks[k]!, hostInterface: host };
  });

  let bgpPeers = 0;
  asList(data.wireguard).forEach((w, i) => {
    if (!isObj(w)) return;
    const path: DataPath = ['wireguard', i];
    const name = str(w.name);
    const host = hostInterface(w, path, `wireguard "${echo(name ?? i)}"`);
    const sessions = new Map<string, { peerAs: number }>();
    asList(w.peers).forEach((p, j) => {
      if (!isObj(p) || !isObj(p.bgp)) return;
      const at: DataPath = [...path, 'peers', j, 'bgp'];
      const peerAs = int(p.bgp.peer_as);
      if (peerAs === undefined || ctx.skip([...at, 'peer_as'])) return;
      bgpPeers++;
      const peerName = str(p.name) ?? `#${j}`;
      if (asList(p.tunnel_next_hops).length === 0)
        f.error(
          at,
          `peer "${echo(peerName)}" has a BGP session but no tunnel_next_hops: list the peer's tunnel address (the BGP neighbour) under tunnel_next_hops, so VPP routes the session into the tunnel`,
          'key',
        );
      else if (w.host_interface === undefined)
        f.error(
          at,
          `peer "${echo(peerName)}" has a BGP session but wireguard "${echo(name ?? i)}" has no host_interface: add one, so the routing daemon can reach the tunnel`,
          'key',
        );
      else sessions.set(peerName, { peerAs });
    });
    const k = ctx.out.wireguard.findIndex((o) => o.name === name);
    if (k < 0) return;
    const out = ctx.out.wireguard[k]!;
    const peers: DesiredPeer[] = out.peers.map((p) => {
      const bgp = sessions.get(p.name);
      return bgp ? { ...p, bgp } : p;
    });
    ctx.out.wireguard[k] = { ...out, peers, ...(host !== undefined ? { hostInterface: host } : {}) };
  });

  checkBgp(ctx, bgpPeers);
}

/** The top-level `bgp`: an IPv4 router id; without it, peers' sessions cannot be rendered (said once). */
function checkBgp(ctx: CheckContext, bgpPeers: number): void {
  const { f, data } = ctx;
  if (!isObj(data.bgp)) {
    if (bgpPeers > 0 && data.bgp === undefined)
      f.warn(
        [],
        `${bgpPeers} peer(s) have a BGP session but the file has no top-level bgp: add "bgp: {local_as: AS, router_id: IPv4}" so \`vppwg render\` can write the configuration`,
      );
    return;
  }
  const localAs = int(data.bgp.local_as);
  const idText = str(data.bgp.router_id);
  if (idText === undefined || ctx.skip(['bgp', 'router_id'])) return;
  const id = parseAddress(idText);
  if (!id || id.family !== 'ip4') {
    f.error(
      ['bgp', 'router_id'],
      `router_id "${echo(idText)}" is not an IPv4 address: BGP router ids are written as one, e.g. the loopback's or the uplink's IPv4 address`,
    );
    return;
  }
  if (localAs !== undefined && !ctx.skip(['bgp', 'local_as'])) ctx.out.bgp = { localAs, routerId: id.text };
}
