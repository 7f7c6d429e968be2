/** Address and prefix checks shared by the passes: interface addresses, network prefixes, overlaps, coverage. */
import { echo } from '../echo';
import { familyWidth, maskTo, parsePrefix, prefixEnd, type ParsedPrefix } from '../addr';
import type { Findings } from '../findings';
import type { DataPath } from '../locate';
import type { Owned } from './context';

/** An interface address 'a.b.c.d/len', not link-local and not already on another interface (recorded in `seen`). */
export function checkInterfaceAddress(
  f: Findings,
  path: DataPath,
  raw: unknown,
  owner: string,
  seen: Map<string, { owner: string; path: DataPath }>,
): ParsedPrefix | undefined {
  if (typeof raw !== 'string' || f.isBad(path)) return undefined;
  const p = parsePrefix(raw);
  if (!p) {
    f.error(path, `address "${echo(raw)}" is not 'address/length': write e.g. 192.0.2.1/24 or 2001:db8::1/64`);
    return undefined;
  }
  if (/^fe[89ab][0-9a-f]:/i.test(p.text)) {
    // VPP keeps one link-local address per interface outside its address list (ip_address_dump
    // never shows it), so it could never be seen as applied.
    f.error(
      path,
      `address ${raw} is IPv6 link-local (fe80::/10): VPP makes one per IPv6-enabled interface itself and does not list it among the interface's addresses; remove it (vppwg does not manage link-local addresses)`,
    );
    return undefined;
  }
  const prior = seen.get(p.text.split('/')[0]!);
  if (prior) {
    f.error(
      path,
      `address ${p.text.split('/')[0]} is already on ${prior.owner} (line ${f.lineOf(prior.path)}): an address can be on one interface only`,
    );
    return undefined;
  }
  seen.set(p.text.split('/')[0]!, { owner, path });
  return p;
}

/** A prefix written as its network ('10.0.0.0/8', not '10.1.2.3/8'). */
export function checkNetworkPrefix(f: Findings, path: DataPath, raw: unknown, what: string): ParsedPrefix | undefined {
  if (typeof raw !== 'string' || f.isBad(path)) return undefined;
  const p = parsePrefix(raw);
  if (!p) {
    f.error(path, `${what} "${echo(raw)}" is not a prefix: write 'address/length', e.g. 10.0.0.0/24 or 2001:db8::/64`);
    return undefined;
  }
  if (!p.isNetwork) {
    f.error(path, `${what} ${raw} has host bits set: write ${p.networkText}`);
    return undefined;
  }
  return p;
}

/** True when the union of `set` covers every address of `prefix` (one covering prefix, or several that tile it). */
export function prefixCoveredByUnion(prefix: ParsedPrefix, set: readonly ParsedPrefix[]): boolean {
  const start = prefix.network;
  const end = prefixEnd(prefix);
  const inside: [bigint, bigint][] = [];
  for (const p of set) {
    if (p.family !== prefix.family) continue;
    if (p.len <= prefix.len && maskTo(start, p.len, familyWidth(p.family)) === p.network) return true;
    if (p.len > prefix.len && p.network >= start && p.network <= end) inside.push([p.network, prefixEnd(p)]);
  }
  inside.sort((a, b) => (a[0] < b[0] ? -1 : a[0] > b[0] ? 1 : 0));
  let next = start;
  for (const [lo, hi] of inside) {
    if (lo > next) return false;
    if (hi + 1n > next) next = hi + 1n;
    if (next > end) return true;
  }
  return false;
}

/**
 * Pairs of overlapping prefixes with different owners, each pair once (ordered: later in the file,
 * earlier). Prefixes are either nested or disjoint: sort by start, widest first, and keep a stack
 * of the open ones, so this is O(n log n) for thousands of peers.
 */
export function findOverlaps<T extends Owned>(f: Findings, items: T[]): [T, T][] {
  const order = [...items].sort((a, b) =>
    a.prefix.family !== b.prefix.family
      ? a.prefix.family < b.prefix.family
        ? -1
        : 1
      : a.prefix.network < b.prefix.network
        ? -1
        : a.prefix.network > b.prefix.network
          ? 1
          : a.prefix.len - b.prefix.len,
  );
  const out: [T, T][] = [];
  const stack: T[] = [];
  for (const cur of order) {
    while (stack.length > 0) {
      const top = stack[stack.length - 1]!;
      if (top.prefix.family === cur.prefix.family && cur.prefix.network <= prefixEnd(top.prefix)) break;
      stack.pop();
    }
    for (let i = stack.length - 1; i >= 0; i--) {
      const other = stack[i]!;
      if (other.owner === cur.owner) continue;
      out.push(f.lineOf(cur.path) >= f.lineOf(other.path) ? [cur, other] : [other, cur]);
      break;
    }
    stack.push(cur);
  }
  return out;
}
