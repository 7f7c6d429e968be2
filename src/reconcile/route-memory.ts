/**
 * Which static routes vppwg remembers having applied (see src/state/route-record.ts) after a run
 * that left VPP as desired: the file's, and those it applied before that VPP still has.
 */
import type { DesiredState } from '../config/model';
import type { RecordedRoute } from '../state/route-record';
import { routeKey, type ActualState } from './actual';

/** Whether VPP has `r` (its prefix with a path via its next hop on its interface). */
function stillInVpp(actual: ActualState, r: RecordedRoute): boolean {
  const a = actual.routes.get(routeKey(r.table, r.prefix));
  if (!a) return false;
  return a.paths.some((p) => {
    const i = actual.interfaces.get(p.swIfIndex);
    return p.nh === r.via && (i?.owner ?? i?.name) === r.interface;
  });
}

export function routesToRemember(
  desired: DesiredState,
  previous: readonly RecordedRoute[],
  after: ActualState,
): RecordedRoute[] {
  const out: RecordedRoute[] = desired.routes.map((r) => ({
    table: r.table,
    prefix: r.prefix,
    via: r.via,
    interface: r.interface,
  }));
  const wanted = new Set(out.map((r) => `${routeKey(r.table, r.prefix)}|${r.via}|${r.interface}`));
  for (const r of previous) {
    if (!wanted.has(`${routeKey(r.table, r.prefix)}|${r.via}|${r.interface}`) && stillInVpp(after, r)) out.push(r);
  }
  return out;
}

/** The routeKeys of recorded routes: read along with what the file wants, so the plan sees them. */
export function recordedRouteKeys(routes: readonly RecordedRoute[]): string[] {
  return routes.map((r) => routeKey(r.table, r.prefix));
}
