/**
 * The peers pass of one WireGuard interface: names, public keys, preshared keys, endpoints, allowed
 * IPs (disjoint between peers), tunnel next hops and routes (inside the peer's allowed IPs).
 */
import { echo } from '../echo';
import { familyLabel, parseAddress, parsePrefix, prefixCovers, type ParsedAddress, type ParsedPrefix } from '../addr';
import { decodeKey, encodeKey } from '../keys';
import type { DataPath } from '../locate';
import type { DesiredPeer } from '../model';
import type { CheckContext, Owned } from './context';
import { KEY_FORMAT_HINT, resolveKey } from './key-sources';
import { checkNetworkPrefix, findOverlaps, prefixCoveredByUnion } from './prefixes';
import { checkTableRef } from './tables';
import { asList, int, isObj, str, type Obj } from './values';

/** Where each peer came from, so checks run after loading (capabilities) can still name a line. */
export const peerPlaces = new WeakMap<
  object,
  { readonly file: string; readonly path: DataPath; readonly line: number; readonly column: number }
>();

/** What the peers of an interface are checked against. */
export interface InterfaceFacts {
  name: string;
  path: DataPath;
  table: number;
  /** The interface's own public key, when its private key is known. */
  ownPublic: string | undefined;
  source: ParsedAddress | undefined;
  ownAddresses: ReadonlySet<string>;
}

/** One peer being checked. */
interface PeerScope {
  readonly iface: InterfaceFacts;
  readonly raw: Obj;
  readonly path: DataPath;
  readonly name: string;
  /** 'peer "x" of "wg0"', for messages. */
  readonly who: string;
}

export function checkPeers(ctx: CheckContext, rawPeers: unknown, iface: InterfaceFacts): DesiredPeer[] {
  const { f } = ctx;
  const peerNames = new Map<string, DataPath>();
  const allowedOwners: Owned[] = [];
  const out: DesiredPeer[] = [];
  asList(rawPeers).forEach((raw, k) => {
    const path = [...iface.path, 'peers', k];
    if (!isObj(raw)) return;
    const name = str(raw.name) ?? `#${k}`;
    if (str(raw.name) !== undefined) {
      const prior = peerNames.get(name);
      if (prior)
        f.error(
          [...path, 'name'],
          `peer "${echo(name)}" appears twice in "${echo(iface.name)}" (first at line ${f.lineOf(prior)}): give each peer its own name`,
        );
      else peerNames.set(name, path);
    }
    const peer = checkPeer(
      ctx,
      { iface, raw, path, name, who: `peer "${echo(name)}" of "${echo(iface.name)}"` },
      allowedOwners,
    );
    if (peer) out.push(peer);
  });

  // VPP gives an adjacency to the first matching peer, so allowed IPs of peers must be disjoint.
  for (const [later, earlier] of findOverlaps(f, allowedOwners)) {
    f.error(
      later.path,
      `allowed IP ${later.prefix.networkText} of peer "${echo(later.owner)}" overlaps ${earlier.prefix.networkText} of peer "${echo(earlier.owner)}" (line ${f.lineOf(earlier.path)}) on "${echo(iface.name)}": allowed IPs of peers on one interface must not overlap; split the range or use one interface per peer`,
    );
  }
  return out;
}

function checkPeer(ctx: CheckContext, peer: PeerScope, allowedOwners: Owned[]): DesiredPeer | undefined {
  const { f } = ctx;
  const { raw, path } = peer;
  const publicKey = checkPublicKey(ctx, peer);
  const presharedKey =
    raw.preshared_key === undefined
      ? undefined
      : resolveKey(f, [...path, 'preshared_key'], raw.preshared_key, ctx.keys, 'preshared key');
  const endpoint = checkEndpoint(ctx, peer);

  const underlayTable = int(raw.underlay_table);
  const source = peer.iface.source;
  checkTableRef(
    ctx,
    [...path, 'underlay_table'],
    underlayTable,
    source ? [source.family] : [],
    `underlay of ${peer.who}`,
  );
  if (underlayTable && !ctx.skip([...path, 'underlay_table'])) {
    f.warn(
      [...path, 'underlay_table'],
      `VPP sends handshakes and keepalives through table 0 whatever underlay_table says: make sure ${peer.who}'s endpoint is reachable in table 0 too, or keep the underlay in table 0`,
    );
  }

  const allowed = checkAllowedIps(ctx, peer, allowedOwners);
  const nextHops = checkTunnelNextHops(ctx, peer, allowed);
  const routes = checkPeerRoutes(ctx, peer, allowed, nextHops);

  if (publicKey === undefined || allowed.length === 0) return undefined;
  const out: DesiredPeer = {
    name: peer.name,
    publicKey,
    ...(presharedKey ? { presharedKey } : {}),
    ...(endpoint ? { endpoint } : {}),
    allowedIps: allowed.map((p) => p.networkText),
    persistentKeepalive: int(raw.persistent_keepalive) ?? 0,
    underlayTable: underlayTable ?? 0,
    tunnelNextHops: nextHops.map((n) => n.text),
    routes,
  };
  if (presharedKey) {
    // Placed on first use: a place needs the position-keeping parse, which a valid file never otherwise runs.
    let place: { line: number; column: number } | undefined;
    const placeOnce = () => (place ??= f.locator.place([...path, 'preshared_key']));
    peerPlaces.set(out, {
      file: f.file,
      path,
      get line() {
        return placeOnce().line;
      },
      get column() {
        return placeOnce().column;
      },
    });
  }
  return out;
}

/** A WireGuard key, unique across all interfaces (VPP refuses a duplicate anywhere), not the interface's own. */
function checkPublicKey(ctx: CheckContext, peer: PeerScope): string | undefined {
  const { f } = ctx;
  const at = [...peer.path, 'public_key'];
  const text = str(peer.raw.public_key);
  if (text === undefined || ctx.skip(at)) return undefined;
  const bytes = decodeKey(text);
  if (!bytes) {
    f.error(at, `public_key of ${peer.who} is not a WireGuard key: ${KEY_FORMAT_HINT}`);
    return undefined;
  }
  const publicKey = encodeKey(bytes);
  const prior = ctx.publicKeys.get(publicKey);
  if (prior) {
    f.error(
      at,
      `public key ${publicKey} is already used by ${prior.what} (line ${f.lineOf(prior.path)}): VPP allows each public key once across all interfaces; remove one`,
    );
  } else {
    ctx.publicKeys.set(publicKey, { what: peer.who, path: at });
  }
  if (peer.iface.ownPublic !== undefined && peer.iface.ownPublic === publicKey) {
    f.error(at, `public_key of ${peer.who} is the interface's own public key: give the remote side's public key`);
  }
  return publicKey;
}

/** The endpoint: absent = remote-access server peer (VPP learns it from the handshake). */
function checkEndpoint(ctx: CheckContext, peer: PeerScope): { address: string; port: number } | undefined {
  const { f } = ctx;
  const { raw, path, iface } = peer;
  if (!isObj(raw.endpoint)) {
    if (int(raw.persistent_keepalive) && !ctx.skip([...path, 'persistent_keepalive'])) {
      f.warn(
        [...path, 'persistent_keepalive'],
        `${peer.who} has no endpoint, so VPP cannot send keepalives to it: persistent_keepalive has no effect (set it on the client side)`,
      );
    }
    return undefined;
  }
  const at = str(raw.endpoint.address);
  const port = int(raw.endpoint.port);
  const ap = [...path, 'endpoint', 'address'];
  if (at === undefined || ctx.skip(ap)) return undefined;
  const a = parseAddress(at);
  if (!a) {
    f.error(
      ap,
      `endpoint address "${echo(at)}" is not an IP address: write the peer's public address (names are not resolved)`,
    );
    return undefined;
  }
  if (a.value === 0n) {
    f.error(ap, `endpoint address ${a.text} is unspecified: omit endpoint for a peer whose address VPP should learn`);
    return undefined;
  }
  const source = iface.source;
  if (source && a.family !== source.family) {
    f.error(
      ap,
      `endpoint ${a.text} is ${familyLabel(a.family)} but the source of "${echo(iface.name)}" is ${familyLabel(source.family)}: VPP uses one underlay family per interface; put this peer on a wireguard interface with an ${familyLabel(a.family)} source`,
    );
  }
  ctx.endpoints.push({ wg: iface.name, peer: peer.name, address: a, table: int(raw.underlay_table) ?? 0, path: ap });
  return port !== undefined ? { address: a.text, port } : undefined;
}

function checkAllowedIps(ctx: CheckContext, peer: PeerScope, allowedOwners: Owned[]): ParsedPrefix[] {
  const allowed: ParsedPrefix[] = [];
  const seen = new Set<string>();
  asList(peer.raw.allowed_ips).forEach((a, j) => {
    const ap = [...peer.path, 'allowed_ips', j];
    const p = checkNetworkPrefix(ctx.f, ap, a, 'allowed IP');
    if (!p) return;
    if (seen.has(p.networkText)) {
      ctx.f.error(ap, `allowed IP ${p.networkText} is listed twice for ${peer.who}: remove the duplicate`);
      return;
    }
    seen.add(p.networkText);
    allowed.push(p);
    allowedOwners.push({ prefix: p, owner: peer.name, path: ap });
  });
  return allowed;
}

const covers = (allowed: readonly ParsedPrefix[], addr: ParsedAddress) => allowed.some((p) => prefixCovers(p, addr));
const summary = (allowed: readonly ParsedPrefix[]) =>
  allowed
    .slice(0, 4)
    .map((p) => p.networkText)
    .join(', ') + (allowed.length > 4 ? ', …' : '');
const hostLen = (a: ParsedAddress) => (a.family === 'ip4' ? 32 : 128);

/** Tunnel next hops: each becomes a host route via itself on the interface. */
function checkTunnelNextHops(ctx: CheckContext, peer: PeerScope, allowed: ParsedPrefix[]): ParsedAddress[] {
  const { f } = ctx;
  const { iface, who } = peer;
  const nextHops: ParsedAddress[] = [];
  asList(peer.raw.tunnel_next_hops).forEach((n, j) => {
    const np = [...peer.path, 'tunnel_next_hops', j];
    if (typeof n !== 'string' || ctx.skip(np)) return;
    const a = parseAddress(n);
    if (!a) {
      f.error(np, `tunnel next hop "${echo(n)}" is not an IP address: give the peer's tunnel address, e.g. 10.2.111.2`);
      return;
    }
    if (nextHops.some((x) => x.text === a.text)) {
      f.error(np, `tunnel next hop ${a.text} is listed twice for ${who}: remove the duplicate`);
      return;
    }
    if (iface.ownAddresses.has(a.text)) {
      f.error(
        np,
        `tunnel next hop ${a.text} is an address of "${echo(iface.name)}" itself: VPP keeps a local route for it, so no host route to the peer can take its place; give the peer's own tunnel address`,
      );
      return;
    }
    if (allowed.length > 0 && !covers(allowed, a)) {
      f.error(
        np,
        `tunnel next hop ${a.text} is not inside the allowed IPs of ${who} (${summary(allowed)}): VPP picks the peer by next hop, so add ${a.text}/${hostLen(a)} (or a covering prefix) to allowed_ips`,
      );
    }
    nextHops.push(a);
    const host = parsePrefix(`${a.text}/${hostLen(a)}`)!;
    ctx.fib.push({
      table: iface.table,
      prefix: host,
      viaWireguard: iface.name,
      what: `the tunnel next hop of ${who}`,
      path: np,
    });
  });
  return nextHops;
}

/** Routes through the peer: each needs a next hop inside the peer's allowed IPs. */
function checkPeerRoutes(
  ctx: CheckContext,
  peer: PeerScope,
  allowed: ParsedPrefix[],
  nextHops: ParsedAddress[],
): { prefix: string; via: string }[] {
  const { f } = ctx;
  const { iface, who } = peer;
  const routes: { prefix: string; via: string }[] = [];
  asList(peer.raw.routes).forEach((r, j) => {
    const rp = [...peer.path, 'routes', j];
    if (!isObj(r)) return;
    const prefix = checkNetworkPrefix(f, [...rp, 'prefix'], r.prefix, 'route prefix');
    if (!prefix) return;
    // VPP forwards a received packet only if its source is inside the sender's allowed IPs.
    if (allowed.length > 0 && !prefixCoveredByUnion(prefix, allowed)) {
      f.error(
        [...rp, 'prefix'],
        `route ${prefix.networkText} is not inside the allowed IPs of ${who} (${summary(allowed)}): VPP would send to it but drop what comes back from it; add ${prefix.networkText} to allowed_ips`,
      );
    }
    let via: ParsedAddress | undefined;
    const viaText = str(r.via);
    if (viaText !== undefined) {
      if (ctx.skip([...rp, 'via'])) return;
      via = parseAddress(viaText);
      if (!via) {
        f.error(
          [...rp, 'via'],
          `via "${echo(viaText)}" is not an IP address: give a next hop inside the peer's allowed IPs, e.g. its tunnel address`,
        );
        return;
      }
      if (via.family !== prefix.family) {
        f.error(
          [...rp, 'via'],
          `via ${via.text} is ${familyLabel(via.family)} but ${prefix.networkText} is ${familyLabel(prefix.family)}: use a next hop of the same family`,
        );
        return;
      }
      if (iface.ownAddresses.has(via.text)) {
        f.error(
          [...rp, 'via'],
          `via ${via.text} is an address of "${echo(iface.name)}" itself: VPP delivers to itself what is routed there; use the peer's tunnel address`,
        );
        return;
      }
      if (allowed.length > 0 && !covers(allowed, via)) {
        f.error(
          [...rp, 'via'],
          `via ${via.text} is not inside the allowed IPs of ${who} (${summary(allowed)}): VPP picks the peer by next hop and would drop this route; use the peer's tunnel address or add a prefix covering ${via.text} to allowed_ips`,
        );
        return;
      }
    } else {
      const sameFamily = nextHops.filter((n) => n.family === prefix.family);
      via = sameFamily.find((n) => prefixCovers(prefix, n)) ?? sameFamily[0];
      if (!via && prefix.len === (prefix.family === 'ip4' ? 32 : 128)) {
        const host = parseAddress(prefix.networkText.split('/')[0]!)!;
        if (covers(allowed, host)) via = host;
      }
      if (!via) {
        if (allowed.length > 0) {
          f.error(
            rp,
            `route ${prefix.networkText} of ${who} has no via and the peer has no ${familyLabel(prefix.family)} tunnel next hop: add via (an address inside the peer's allowed IPs) or a tunnel_next_hops entry; a route via a WireGuard interface without a next hop is dropped by VPP`,
            'value',
          );
        }
        return;
      }
    }
    routes.push({ prefix: prefix.networkText, via: via.text });
    ctx.fib.push({
      table: iface.table,
      prefix,
      viaWireguard: iface.name,
      what: `route ${prefix.networkText} of ${who}`,
      path: [...rp, 'prefix'],
    });
  });
  return routes;
}
