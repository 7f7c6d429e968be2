/**
 * The route part of a plan: the routes and tunnel next hops the desired state wants (by routeKey,
 * cached per desired interface), against those VPP has, as drafts for the planner to order.
 */
import type { DesiredState, DesiredWireguardInterface } from '../config/model';
import {
  routeKey,
  sourceRanksAboveApi,
  tableKey,
  type ActualInterface,
  type ActualRoute,
  type ActualState,
} from './actual';
import type { Action } from './action';
import { ifLabel, ifResource, type IfRef } from './if-ref';
import { familyOf, hostOfCanonical, isDefaultPrefix, pairedAddressOf31 } from './ip';
import { heldByText } from './lcp-actual';
import type { Draft, Fate, PathRef, Phase } from './plan-model';

/** What the route part reads from, and gives its drafts to: the planner (./plan.ts). */
export interface RoutePlanner {
  readonly desired: DesiredState;
  readonly actual: ActualState;
  /** Owned interfaces' fates, by sw_if_index. */
  readonly fates: ReadonlyMap<number, Fate>;
  readonly desiredByOwner: ReadonlyMap<string, DesiredWireguardInterface>;
  /** For every logical wg interface: the sw_if_index it will keep, if it is neither new nor recreated. */
  readonly keptIndex: ReadonlyMap<string, number>;
  /** Peers re-added with a new endpoint (VPP < 26.02): their routes are added again. */
  readonly rebuildRoutesOf: ReadonlySet<string>;
  readonly notes: string[];
  keepsAddress(i: ActualInterface, addr: string): boolean;
  add(d: Draft): void;
}

/** No paths (a route VPP lacks): one shared list, not 100,000 empty ones in a large plan. */
const NO_PATHS: readonly PathRef[] = Object.freeze([]);

/** A route operation: everything but the action, kind, reason and phase follows from the route. */
function routeDraft(
  action: Action,
  kind: string,
  reason: string,
  phase: Phase,
  route: { readonly table: number; readonly prefix: string },
  paths: readonly PathRef[],
  previous: readonly PathRef[],
  parents: string[],
): Draft {
  const { table, prefix } = route;
  return {
    action,
    kind,
    key: `table ${table} ${prefix}`,
    reason,
    phase,
    step: { t: 'route', table, prefix, paths, previous },
    provides: `route:${routeKey(table, prefix)}`,
    parents,
  };
}

/**
 * The route part of a plan: the routes and tunnel next hops the desired state wants, against
 * those VPP has. Built once per plan; its lookups (fates, /31 pairs, routing-daemon interfaces) are
 * computed up front because they run for every route (20,000 in a 10,000-peer no-op).
 */
export class RouteDiff {
  readonly want: Map<string, Want>;
  /** Wants this plan built or cloned (the others are wantedRoutesOf's cached ones, never changed). */
  private readonly mine = new Set<Want>();
  /** Interfaces whose peers accept everything: their routes the file does not list are the routing daemon's. */
  private readonly daemonRouted = new Set<string>();
  /** Interfaces being deleted or recreated: a route through one goes with it. Usually none. */
  private readonly dying = new Set<number>();
  /** The host routes VPP adds for the other address of each /31 interface address (see wantedRoutesOf)... */
  private readonly paired = new Set<string>();
  /** ...and which of them outlive this plan (their address stays). */
  private readonly pairedKept = new Set<string>();

  constructor(private readonly planner: RoutePlanner) {
    this.want = this.wantedRoutes();
    this.findDaemonRouted();
    for (const [idx, f] of planner.fates) if (f === 'delete' || f === 'replace') this.dying.add(idx);
    this.findPaired();
  }

  private get actual(): ActualState {
    return this.planner.actual;
  }

  /**
   * The wireguard interfaces' wants are built once per desired interface object and shared (a
   * daemon plans the same desired state again and again); an entry is cloned before a merge
   * changes it, so the cached maps stay as built.
   */
  private wantedRoutes(): Map<string, Want> {
    const { desired, desiredByOwner } = this.planner;
    const sources = desired.wireguard.map(wantedRoutesOf);
    if (sources.length === 1 && !desired.routes.length) return sources[0] as Map<string, Want>;
    const want = new Map<string, Want>();
    for (const source of sources)
      for (const [k, w] of source) {
        const have = want.get(k);
        if (!have) want.set(k, w);
        else for (const path of w.paths) mergeWant(want, this.mine, k, have, w.kind, path);
      }
    for (const r of desired.routes) {
      const d = desiredByOwner.get(r.interface);
      const iface: IfRef = d
        ? { owner: d.name }
        : { swIfIndex: this.actual.interfacesByName.get(r.interface)!.swIfIndex, name: r.interface };
      const kind: Want['kind'] = d ? 'route' : 'underlay-route';
      const path = { iface, nh: r.via };
      const k = routeKey(r.table, r.prefix);
      const w = want.get(k);
      if (w) mergeWant(want, this.mine, k, w, kind, path);
      else {
        const fresh: Want = { table: r.table, prefix: r.prefix, kind, paths: [path] };
        this.mine.add(fresh);
        want.set(k, fresh);
      }
    }
    return want;
  }

  /** One tunnel per peer, routes from a routing daemon: peers that allow 0.0.0.0/0 or ::/0, in VPP or in the file. */
  private findDaemonRouted(): void {
    const { actual, desired } = this.planner;
    for (const a of actual.peers.values()) {
      for (const ip of a.allowedIps) if (isDefaultPrefix(ip)) this.daemonRouted.add(`${a.swIfIndex}|${familyOf(ip)}`);
    }
    for (const d of desired.wireguard) {
      const idx = actual.owned.interfaces.get(d.name);
      if (idx === undefined) continue;
      for (const p of d.peers)
        for (const ip of p.allowedIps) if (isDefaultPrefix(ip)) this.daemonRouted.add(`${idx}|${familyOf(ip)}`);
    }
  }

  private findPaired(): void {
    for (const i of this.actual.interfaces.values()) {
      for (const addr of i.addresses) {
        const other = pairedAddressOf31(addr);
        if (other === undefined) continue;
        const id = `${routeKey(i.table.ip4, `${other}/32`)}|${i.swIfIndex}|${other}`;
        this.paired.add(id);
        if (this.planner.keepsAddress(i, addr)) this.pairedKept.add(id);
      }
    }
  }

  private currentIndex(ref: IfRef): number | undefined {
    return 'owner' in ref ? this.planner.keptIndex.get(ref.owner) : ref.swIfIndex;
  }

  // Plain loops below: these run for every route.
  private samePaths(w: Want, a: ActualRoute): boolean {
    if (w.paths.length !== a.paths.length) return false;
    for (const p of w.paths) {
      const idx = this.currentIndex(p.iface);
      if (idx === undefined) return false;
      let found = false;
      for (const q of a.paths) {
        if (q.swIfIndex === idx && q.nh === p.nh) {
          found = true;
          break;
        }
      }
      if (!found) return false;
    }
    return true;
  }

  /**
   * A path through an interface that no longer exists is a drop in VPP for good, even once the
   * index is reused, and a replace with the same path keeps it so: a wanted route is deleted and
   * added anew. Someone else's is left alone.
   */
  private viaGone(a: ActualRoute): boolean {
    for (const p of a.paths) if (!this.actual.interfaces.has(p.swIfIndex)) return true;
    return false;
  }

  private viaDying(a: ActualRoute): boolean {
    for (const p of a.paths) if (this.dying.has(p.swIfIndex) || !this.actual.interfaces.has(p.swIfIndex)) return true;
    return false;
  }

  toRefs(r: ActualRoute): PathRef[] {
    return r.paths.map((p) => {
      const i = this.actual.interfaces.get(p.swIfIndex);
      return {
        iface:
          i?.owner !== undefined
            ? { owner: i.owner }
            : { swIfIndex: p.swIfIndex, name: i?.name ?? String(p.swIfIndex) },
        nh: p.nh,
      };
    });
  }

  private pathId(k: string, a: ActualRoute): string | undefined {
    return this.paired.size > 0 && a.paths.length === 1 ? `${k}|${a.paths[0]!.swIfIndex}|${a.paths[0]!.nh}` : undefined;
  }

  /** VPP's own host route for the other address of a /31. */
  private addressOwn(k: string, a: ActualRoute): boolean {
    const id = this.pathId(k, a);
    return id !== undefined && this.paired.has(id);
  }

  /** Such a route goes with its address: wanted without the address, it has to be added. */
  private goingWithAddress(k: string, a: ActualRoute): boolean {
    const id = this.pathId(k, a);
    return id !== undefined && this.paired.has(id) && !this.pairedKept.has(id);
  }

  private parentsOf(w: Want): string[] {
    const out = [...new Set(w.paths.map((p) => ifResource(p.iface)))];
    if (w.peerRes) out.push(w.peerRes);
    if (w.table !== 0) out.push(`table:${tableKey(familyOf(w.prefix), w.table)}`);
    return out;
  }

  /** Whether VPP's route `a` (not wanted) is vppwg's to remove. */
  private removable(k: string, a: ActualRoute, viaDead: boolean): boolean {
    // Not what VPP forwards by an API route: nothing vppwg may or could remove.
    if (!viaDead && (a.heldBy !== undefined || this.addressOwn(k, a))) return false;
    if (!a.paths.some((p) => this.planner.fates.has(p.swIfIndex))) return false;
    const nextHopShape = a.paths.every((p) => hostOfCanonical(p.nh) === a.prefix);
    return viaDead || nextHopShape || !a.paths.every((p) => this.daemonRouted.has(`${p.swIfIndex}|${a.family}`));
  }

  /** Routes VPP has that go: not wanted and vppwg's, or through an interface that goes (wanted ones come back). */
  planUnwanted(): void {
    for (const [k, a] of this.actual.routes) {
      const w = this.want.get(k);
      const viaDead = this.viaDying(a);
      if (w ? !viaDead : !this.removable(k, a, viaDead)) continue; // a wanted one is compared in planWanted
      // Paths through interfaces vppwg does not own stay (the route may be shared).
      // (A path through a deleted interface cannot be named in a request: VPP refuses it.)
      const refs = this.toRefs(a);
      const foreign = w
        ? []
        : refs.filter((p) => !('owner' in p.iface) && this.actual.interfaces.has(p.iface.swIfIndex));
      const nextHopShape = a.paths.every((p) => hostOfCanonical(p.nh) === a.prefix);
      const underlay = a.paths.every((p) => !this.planner.fates.has(p.swIfIndex));
      const reason = !viaDead
        ? 'not in the file'
        : this.viaGone(a)
          ? 'through a deleted interface, which VPP keeps as a drop: deleted to be added anew'
          : 'its interface is removed or recreated';
      this.planner.add(
        routeDraft(
          foreign.length ? 'modify' : 'delete',
          nextHopShape ? 'next-hop' : 'route',
          reason,
          nextHopShape ? 'nexthop-del' : underlay ? 'underlay-route-del' : 'route-del',
          a,
          foreign,
          refs,
          [...new Set(refs.map((p) => ifResource(p.iface)))],
        ),
      );
    }
  }

  /** The route VPP has for wanted `w` that this plan can build on, if any. */
  private usableActual(k: string, w: Want): ActualRoute | undefined {
    const a = this.actual.routes.get(k);
    const alive = a && !this.viaDying(a) && !this.goingWithAddress(k, a) ? a : undefined;
    // A source below the API holds it, so there is no API route (it would rank first): adding one takes over.
    if (alive?.heldBy !== undefined && !this.samePaths(w, alive)) return undefined;
    return alive;
  }

  /** Wanted routes VPP lacks or has otherwise; on VPP < 26.02, routes of a peer re-added with a new endpoint. */
  planWanted(): void {
    const { actual, planner } = this;
    for (const [k, w] of this.want) {
      const held = actual.routes.get(k);
      if (
        held?.heldBy !== undefined &&
        !this.viaDying(held) &&
        !this.goingWithAddress(k, held) &&
        !this.samePaths(w, held) &&
        sourceRanksAboveApi(held.heldBy)
      ) {
        // VPP prefers that source for this prefix: a route vppwg added would not be used.
        planner.notes.push(
          `table ${w.table} ${w.prefix}: VPP forwards by ${heldByText(actual.lcp, held.heldBy)} (via ${held.paths.map((p) => p.nh).join(', ')}), which ranks above the routes vppwg adds; left as VPP has it`,
        );
        continue;
      }
      const aliveA = this.usableActual(k, w);
      if (aliveA && this.samePaths(w, aliveA)) {
        if (w.peerRes === undefined || !planner.rebuildRoutesOf.has(w.peerRes)) continue;
        const why = `withdrawn and re-added: VPP ${actual.capabilities.version ?? '< 26.02'} keeps a replaced peer's old endpoint until its adjacencies are rebuilt`;
        const nextHop = w.kind === 'next-hop';
        const kind = nextHop ? 'next-hop' : 'route';
        const parents = this.parentsOf(w);
        planner.add(
          routeDraft('delete', kind, why, nextHop ? 'nexthop-del' : 'route-del', w, [], this.toRefs(aliveA), parents),
        );
        planner.add(routeDraft('create', kind, why, nextHop ? 'nexthop' : 'route', w, w.paths, [], parents));
        continue;
      }
      const phase: Phase = w.kind === 'next-hop' ? 'nexthop' : w.kind === 'underlay-route' ? 'underlay-route' : 'route';
      const via = w.paths.map((p) => `${p.nh} ${ifLabel(p.iface)}`).join(', ');
      const reason = aliveA
        ? `paths ${aliveA.paths.map((p) => `${p.nh} ${actual.interfaces.get(p.swIfIndex)?.name ?? p.swIfIndex}`).join(', ')} → ${via}`
        : `via ${via}${w.peer === undefined ? '' : ` (peer ${w.owner}/${w.peer})`}`;
      planner.add(
        routeDraft(
          aliveA ? 'modify' : 'create',
          w.kind,
          reason,
          phase,
          w,
          w.paths,
          aliveA ? this.toRefs(aliveA) : NO_PATHS,
          this.parentsOf(w),
        ),
      );
    }
  }
}

interface Want {
  readonly table: number;
  readonly prefix: string;
  kind: 'next-hop' | 'route' | 'underlay-route';
  /** The peer it goes through ('wg/peer'), built only when an operation needs it. */
  readonly owner?: string;
  readonly peer?: string;
  readonly peerRes?: string;
  readonly paths: PathRef[];
}

/** A desired interface's routes and tunnel next hops, by routeKey: its whole part of the route diff. */
const wantedRoutesCache = new WeakMap<DesiredWireguardInterface, ReadonlyMap<string, Want>>();

/**
 * Allocation-light on purpose (20,000 entries at 10,000 peers), and cached: the result depends on
 * `d` alone, which the loader never changes after building it.
 */
function wantedRoutesOf(d: DesiredWireguardInterface): ReadonlyMap<string, Want> {
  const cached = wantedRoutesCache.get(d);
  if (cached) return cached;
  const want = new Map<string, Want>();
  const iface: IfRef = { owner: d.name };
  const put = (prefix: string, kind: Want['kind'], path: PathRef, peer: string, peerRes: string): void => {
    const k = routeKey(d.table, prefix);
    const w = want.get(k);
    if (!w) {
      want.set(k, { table: d.table, prefix, kind, owner: d.name, peer, peerRes, paths: [path] });
      return;
    }
    if (kind === 'route' && w.kind === 'next-hop') w.kind = 'route';
    if (!w.paths.some((p) => p.nh === path.nh && sameIf(p.iface, path.iface))) w.paths.push(path);
  };
  // A tunnel next hop that is the other address of one of the interface's /31s is VPP's own
  // (an attached host route it adds with the address): nothing to add, nothing to remove.
  const paired = new Set<string>();
  for (const a of d.addresses) {
    const other = pairedAddressOf31(a);
    if (other !== undefined) paired.add(other);
  }
  for (const p of d.peers) {
    const peerRes = `peer:${p.publicKey}@${d.name}`;
    for (const nh of p.tunnelNextHops) {
      if (!paired.has(nh)) put(hostOfCanonical(nh), 'next-hop', { iface, nh }, p.name, peerRes);
    }
    for (const r of p.routes) put(r.prefix, 'route', { iface, nh: r.via }, p.name, peerRes);
  }
  wantedRoutesCache.set(d, want);
  return want;
}

/** wantedRouteKeys per desired state: a daemon asks again on every reconcile of the same state. */
const wantedKeysCache = new WeakMap<DesiredState, ReadonlySet<string>>();

/**
 * Every routeKey the desired state wants (its routes, and each WireGuard interface's routes and
 * tunnel next hops): with the routes through WireGuard interfaces, all the planner acts on.
 */
export function wantedRouteKeys(desired: DesiredState): ReadonlySet<string> {
  const cached = wantedKeysCache.get(desired);
  if (cached) return cached;
  const keys = new Set<string>();
  for (const r of desired.routes) keys.add(routeKey(r.table, r.prefix));
  for (const d of desired.wireguard) for (const k of wantedRoutesOf(d).keys()) keys.add(k);
  wantedKeysCache.set(desired, keys);
  return keys;
}

/** Adds a path to a wanted route, first cloning it when it is a cached one (`mine` holds this run's own). */
function mergeWant(
  want: Map<string, Want>,
  mine: Set<Want>,
  k: string,
  w: Want,
  kind: Want['kind'],
  path: PathRef,
): void {
  let target = w;
  if (!mine.has(w)) {
    target = { ...w, paths: [...w.paths] };
    mine.add(target);
    want.set(k, target);
  }
  if (kind === 'route' && target.kind === 'next-hop') target.kind = 'route';
  if (!target.paths.some((p) => p.nh === path.nh && sameIf(p.iface, path.iface))) target.paths.push(path);
}

function sameIf(a: IfRef, b: IfRef): boolean {
  if ('owner' in a) return 'owner' in b && a.owner === b.owner;
  return !('owner' in b) && a.swIfIndex === b.swIfIndex;
}
