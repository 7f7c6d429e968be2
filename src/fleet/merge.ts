/**
 * The --config file's state and the fleet's state merged into one. An object both define (a table
 * id, an uplink, a route, a WireGuard interface) is a conflict: an error naming both sources.
 */
import type { DesiredState, Diagnostic } from '../config';

export function mergeStates(
  a: { state: DesiredState; source: string },
  b: { state: DesiredState; source: string },
): { state?: DesiredState; diagnostics: Diagnostic[] } {
  const diagnostics: Diagnostic[] = [];
  const clash = (what: string, fix: string) =>
    diagnostics.push({
      severity: 'error',
      file: b.source,
      line: 0,
      column: 0,
      path: '',
      message: `${what} is defined both by ${a.source} and by ${b.source}: ${fix}`,
    });
  const check = <T>(xs: readonly T[], ys: readonly T[], id: (x: T) => string, what: (k: string) => string) => {
    const seen = new Set(xs.map(id));
    for (const y of ys) if (seen.has(id(y))) clash(what(id(y)), 'keep it in one of them');
  };
  check(
    a.state.tables,
    b.state.tables,
    (t) => String(t.id),
    (k) => `table ${k}`,
  );
  check(
    a.state.uplinks,
    b.state.uplinks,
    (u) => u.name,
    (k) => `uplink "${k}"`,
  );
  check(
    a.state.routes,
    b.state.routes,
    (r) => `${r.prefix} in table ${r.table}`,
    (k) => `route ${k}`,
  );
  check(
    a.state.wireguard,
    b.state.wireguard,
    (w) => w.name,
    (k) => `wireguard interface "${k}"`,
  );
  if (diagnostics.length) return { diagnostics };
  return {
    state: {
      tables: [...a.state.tables, ...b.state.tables],
      uplinks: [...a.state.uplinks, ...b.state.uplinks],
      routes: [...a.state.routes, ...b.state.routes],
      wireguard: [...a.state.wireguard, ...b.state.wireguard],
    },
    diagnostics,
  };
}
