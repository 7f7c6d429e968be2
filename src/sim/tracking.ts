/**
 * The adjacencies on WireGuard interfaces and the endpoint routes VPP tracks for them.
 *
 * A route through a WireGuard interface with a next hop makes an adjacency for that next hop. The
 * plugin hands the adjacency to the peer whose allowed IPs cover the next hop (wg_peer_if_adj_change,
 * also run over the interface's adjacencies when a peer is added), and while the interface is up
 * and the peer has an endpoint, stacks it on the FIB entry of the endpoint in the peer's table
 * (adj_midchain_delegate_stack → fib_entry_track): a host route of the recursive-resolution source
 * that `ip_route_dump` shows, forwarding as its cover does. An adjacency keeps the entry it tracks
 * until the tracking is removed (adj_midchain_delegate_remove) or the adjacency goes: 26.10 removes
 * it when the interface goes down or the peer goes; 24.10 only unstacks then (the entry stays until
 * the route through the next hop goes). With allowed IPs overlapping between peers of one interface
 * VPP's choice follows its peer hash; here the lowest peer index wins.
 */
import { type FibPath, type FibTable, PATH_TYPE_NORMAL, RR_MARK, hasNextHop } from './fib';
import { type Af, type Prefix, addrString, covers, isZeroAddress, maskPrefix, parsePrefix, prefixString } from './net';

/** What the tracker needs of the model. */
export interface TrackingHost {
  isWireguard(swIfIndex: number): boolean;
  adminUp(swIfIndex: number): boolean;
  table(af: Af, tableId: number): FibTable | undefined;
}

/** The peer fields that decide what is tracked. */
export interface TrackedPeer {
  index: number;
  swIfIndex: number;
  tableId: number;
  endpoint: string;
  port: number;
  allowedIps: string[];
}

interface Adjacency {
  swIfIndex: number;
  nh: Prefix;
  /** FIB paths using it. */
  refs: number;
  owner: TrackedPeer | undefined;
  /** The tracked endpoint it is stacked on, if any. */
  stackedOn: string | undefined;
}

interface Tracked {
  table: FibTable;
  prefix: Prefix;
  refs: number;
}

export interface TrackingOptions {
  /** VPP 24.10: going down or losing the peer unstacks an adjacency but keeps its tracked entry. */
  keepOnUnstack?: boolean;
}

export class PeerTracking {
  private readonly adjs = new Map<string, Adjacency>();
  private readonly adjsByIf = new Map<number, Set<Adjacency>>();
  /** Per interface: its peers by allowed prefix (masked, `len|prefix`), and the lengths in use. */
  private readonly allowedByIf = new Map<
    number,
    { byPrefix: Map<string, TrackedPeer[]>; lengths: Map<string, number> }
  >();
  private readonly tracked = new Map<string, Tracked>();

  constructor(
    private readonly host: TrackingHost,
    private readonly opts: TrackingOptions = {},
  ) {}

  /** A FIB entry's paths changed: count the next-hop paths through WireGuard interfaces. */
  readonly onPathsChange = (_t: FibTable, before: FibPath[] | undefined, after: FibPath[] | undefined): void => {
    // Adds first, so an adjacency kept by both sides is never dropped and made again.
    if (after) for (const p of after) if (this.isAdjPath(p)) this.ref(p, 1);
    if (before) for (const p of before) if (this.isAdjPath(p)) this.ref(p, -1);
  };

  peerAdded(peer: TrackedPeer): void {
    const prefixes = allowedPrefixes(peer);
    let idx = this.allowedByIf.get(peer.swIfIndex);
    if (!idx) this.allowedByIf.set(peer.swIfIndex, (idx = { byPrefix: new Map(), lengths: new Map() }));
    for (const p of prefixes) {
      const key = prefixString(maskPrefix(p));
      const list = idx.byPrefix.get(key);
      if (list) list.push(peer);
      else idx.byPrefix.set(key, [peer]);
      const lk = `${p.af}|${p.len}`;
      idx.lengths.set(lk, (idx.lengths.get(lk) ?? 0) + 1);
    }
    // wg_peer_fill: the interface's adjacencies its allowed IPs cover become its own.
    for (const adj of this.adjsByIf.get(peer.swIfIndex) ?? []) {
      if (!prefixes.some((p) => covers(p, adj.nh))) continue;
      adj.owner = peer;
      this.restack(adj);
    }
  }

  /** wg_peer_clear: its adjacencies lose their stacking and their peer (none other takes them). */
  peerRemoved(peer: TrackedPeer): void {
    const idx = this.allowedByIf.get(peer.swIfIndex);
    if (idx) {
      for (const p of allowedPrefixes(peer)) {
        const key = prefixString(maskPrefix(p));
        const list = idx.byPrefix.get(key)?.filter((x) => x !== peer);
        if (list?.length) idx.byPrefix.set(key, list);
        else idx.byPrefix.delete(key);
        const lk = `${p.af}|${p.len}`;
        const n = (idx.lengths.get(lk) ?? 1) - 1;
        if (n > 0) idx.lengths.set(lk, n);
        else idx.lengths.delete(lk);
      }
    }
    for (const adj of this.adjsByIf.get(peer.swIfIndex) ?? []) {
      if (adj.owner !== peer) continue;
      if (!this.opts.keepOnUnstack) this.unstack(adj);
      adj.owner = undefined;
    }
  }

  /** wg_if_admin_up_down: every peer's adjacencies are stacked again, or not. */
  adminChanged(swIfIndex: number): void {
    for (const adj of this.adjsByIf.get(swIfIndex) ?? []) if (adj.owner) this.restack(adj);
  }

  /** The interface is gone (its peers were removed first). */
  interfaceDeleted(swIfIndex: number): void {
    for (const adj of this.adjsByIf.get(swIfIndex) ?? []) {
      this.unstack(adj);
      this.adjs.delete(adjKey(adj.swIfIndex, adj.nh));
    }
    this.adjsByIf.delete(swIfIndex);
    this.allowedByIf.delete(swIfIndex);
  }

  private isAdjPath(p: FibPath): boolean {
    return p.type === PATH_TYPE_NORMAL && hasNextHop(p) && this.host.isWireguard(p.swIfIndex);
  }

  private ref(p: FibPath, delta: number): void {
    const nh = parsePrefix(p.nh);
    if (!nh) return;
    const key = adjKey(p.swIfIndex, nh);
    let adj = this.adjs.get(key);
    if (!adj) {
      if (delta < 0) return;
      adj = { swIfIndex: p.swIfIndex, nh, refs: 0, owner: undefined, stackedOn: undefined };
      this.adjs.set(key, adj);
      let set = this.adjsByIf.get(p.swIfIndex);
      if (!set) this.adjsByIf.set(p.swIfIndex, (set = new Set()));
      set.add(adj);
    }
    adj.refs += delta;
    if (adj.refs === delta && delta > 0) {
      // A new adjacency: wg_if_update_adj offers it to the interface's peers.
      adj.owner = this.ownerOf(adj);
      if (adj.owner) this.restack(adj);
    } else if (adj.refs <= 0) {
      this.unstack(adj);
      this.adjs.delete(key);
      this.adjsByIf.get(adj.swIfIndex)?.delete(adj);
    }
  }

  /** The peer whose allowed IPs cover the adjacency's next hop (the lowest index if several do). */
  private ownerOf(adj: Adjacency): TrackedPeer | undefined {
    const idx = this.allowedByIf.get(adj.swIfIndex);
    if (!idx) return undefined;
    let best: TrackedPeer | undefined;
    for (const lk of idx.lengths.keys()) {
      const [af, len] = lk.split('|').map(Number) as [number, number];
      if (af !== adj.nh.af) continue;
      for (const peer of idx.byPrefix.get(prefixString(maskPrefix({ ...adj.nh, len }))) ?? []) {
        if (!best || peer.index < best.index) best = peer;
      }
    }
    return best;
  }

  /** wg_peer_adj_stack: on the endpoint's entry while the interface is up and the peer can send. */
  private restack(adj: Adjacency): void {
    const peer = adj.owner!;
    // wg_peer_can_send: VPP builds no rewrite for a zero endpoint or port.
    const ep = parsePrefix(peer.endpoint);
    const canSend = ep !== undefined && !isZeroAddress(peer.endpoint) && peer.port !== 0;
    const table = canSend ? this.host.table(ep.af, peer.tableId) : undefined;
    if (!table || !this.host.adminUp(adj.swIfIndex)) {
      if (!this.opts.keepOnUnstack) this.unstack(adj);
      return;
    }
    // adj_midchain_delegate_stack: an adjacency already tracking an entry keeps that one.
    if (adj.stackedOn !== undefined) return;
    const key = `${ep!.af}|${peer.tableId}|${prefixString(ep!)}`;
    let t = this.tracked.get(key);
    if (!t) {
      t = { table, prefix: ep!, refs: 0 };
      this.tracked.set(key, t);
      table.add(ep!, 'rr', RR_MARK);
    }
    t.refs++;
    adj.stackedOn = key;
  }

  private unstack(adj: Adjacency): void {
    const key = adj.stackedOn;
    if (key === undefined) return;
    adj.stackedOn = undefined;
    const t = this.tracked.get(key);
    if (!t || --t.refs > 0) return;
    this.tracked.delete(key);
    t.table.remove(t.prefix, 'rr');
  }
}

function adjKey(swIfIndex: number, nh: Prefix): string {
  return `${swIfIndex}|${addrString(nh)}`;
}

function allowedPrefixes(peer: TrackedPeer): Prefix[] {
  return peer.allowedIps.map((a) => parsePrefix(a)).filter((p): p is Prefix => p !== undefined);
}
