/**
 * Cross-checks once every pass has recorded its facts: overlapping interface subnets, one route per
 * (table, prefix), and endpoints that would be reached through their own tunnel.
 */
import { echo } from '../echo';
import { familyWidth, maskTo, type ParsedAddress } from '../addr';
import type { CheckContext, FibEntry, Owned } from './context';
import { findOverlaps } from './prefixes';
import { asList, isObj, type Obj } from './values';

/** VPP refuses an interface address whose subnet overlaps one on another interface of the same table. */
export function checkSubnetOverlaps(ctx: CheckContext): void {
  const { f } = ctx;
  const byTable = new Map<number, (Owned & { table: number })[]>();
  for (const sn of ctx.subnets) {
    const list = byTable.get(sn.table);
    if (list) list.push(sn);
    else byTable.set(sn.table, [sn]);
  }
  for (const [table, list] of byTable) {
    for (const [later, earlier] of findOverlaps(f, list)) {
      f.error(
        later.path,
        `address ${later.prefix.text} of ${later.owner} overlaps ${earlier.prefix.text} of ${earlier.owner} (line ${f.lineOf(earlier.path)}) in table ${table}: VPP refuses overlapping subnets on two interfaces of one table; pick another subnet or put one interface in another table`,
      );
    }
  }
}

/** One route per (table, prefix): several entries would fight over the same FIB entry. */
export function checkDuplicateRoutes(ctx: CheckContext): void {
  const { f } = ctx;
  const routeKeys = new Map<string, FibEntry>();
  for (const e of ctx.fib) {
    const key = `${e.table} ${e.prefix.networkText}`;
    const prior = routeKeys.get(key);
    if (prior) {
      f.error(
        e.path,
        `${e.prefix.networkText} in table ${e.table} is already ${prior.what} (line ${f.lineOf(prior.path)}): keep one route per prefix and table`,
      );
    } else routeKeys.set(key, e);
  }
}

/** A peer's endpoint must not be reached through its own tunnel (full tunnel without a pinned route). */
export function checkEndpointRecursion(ctx: CheckContext): void {
  const { f } = ctx;
  const routeIndex = new RouteIndex([...ctx.fib, ...ctx.connected]);
  for (const ep of ctx.endpoints) {
    const best = routeIndex.longestMatch(ep.table, ep.address);
    if (best?.viaWireguard !== ep.wg) continue;
    const gatewayHint = asList(ctx.data.routes).find(
      (r) => isObj(r) && r.prefix === (ep.address.family === 'ip4' ? '0.0.0.0/0' : '::/0'),
    ) as Obj | undefined;
    const pin = `{prefix: ${ep.address.text}/${ep.address.family === 'ip4' ? 32 : 128}, via: ${gatewayHint ? String(gatewayHint.via) : '<underlay gateway>'}, interface: ${gatewayHint ? String(gatewayHint.interface) : '<uplink>'}${ep.table ? `, table: ${ep.table}` : ''}}`;
    f.error(
      ep.path,
      `endpoint ${ep.address.text} of peer "${echo(ep.peer)}" would be reached through "${echo(ep.wg)}" itself (${best.what}, line ${f.lineOf(best.path)}): VPP drops such a recursive path; pin the endpoint with ${pin} under routes`,
    );
  }
}

/** Longest-prefix match over the file's routes and connected subnets, indexed once per (table, family, length). */
class RouteIndex {
  private readonly byKey = new Map<string, FibEntry>();
  private readonly lengths = new Map<string, number[]>();

  constructor(entries: FibEntry[]) {
    for (const e of entries) {
      const key = `${e.table}/${e.prefix.family}/${e.prefix.len}/${e.prefix.network}`;
      // The first entry wins, as the duplicate check reports later ones.
      if (!this.byKey.has(key)) this.byKey.set(key, e);
      const lk = `${e.table}/${e.prefix.family}`;
      const list = this.lengths.get(lk) ?? [];
      if (!list.includes(e.prefix.len)) list.push(e.prefix.len);
      this.lengths.set(lk, list);
    }
    for (const list of this.lengths.values()) list.sort((a, b) => b - a);
  }

  longestMatch(table: number, addr: ParsedAddress): FibEntry | undefined {
    const width = familyWidth(addr.family);
    for (const len of this.lengths.get(`${table}/${addr.family}`) ?? []) {
      const hit = this.byKey.get(`${table}/${addr.family}/${len}/${maskTo(addr.value, len, width)}`);
      if (hit) return hit;
    }
    return undefined;
  }
}
