/**
 * The reconciler reads VPP back before it brings WireGuard interfaces up (see reconcile): after
 * that VPP computes a first handshake for every peer and any read waits behind it. One thing the
 * up itself changes in what was read: VPP adds an interface's local and connected entries only
 * while it is up, and those outrank a route the file wants for the same prefix. Such routes (rare:
 * a next hop equal to the interface's own address) are read again after the up.
 */
import { routeKey, type ActualState } from './actual';
import { canonicalVppPrefix, familyOf, hostPrefix } from './ip';

/** Wanted routes (keys of `scope`) that the interfaces brought up (`adminSet` true) may now hold with their own entries. */
export function routesAnUpMayShadow(
  state: ActualState,
  adminSet: ReadonlyMap<number, boolean>,
  scope: ReadonlySet<string>,
): Map<string, { table: number; prefix: string }> {
  const out = new Map<string, { table: number; prefix: string }>();
  for (const [idx, up] of adminSet) {
    const i = state.interfaces.get(idx);
    if (!up || !i) continue;
    for (const addr of i.addresses) {
      const table = familyOf(addr) === 'ip6' ? i.table.ip6 : i.table.ip4;
      for (const prefix of [hostPrefix(addr.slice(0, addr.indexOf('/'))), canonicalVppPrefix(addr)]) {
        const k = routeKey(table, prefix);
        if (scope.has(k)) out.set(k, { table, prefix });
      }
    }
  }
  return out;
}
