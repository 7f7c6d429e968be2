/**
 * The static routes (the file's `routes:`) vppwg applied, remembered in the state directory: VPP
 * cannot say who made a route, so this record is how a plan can name the routes the file dropped
 * that are still in VPP (and `--prune-routes` can remove them).
 */
import { StateDirError, type StateDir } from './state-dir';

export interface RecordedRoute {
  readonly table: number;
  readonly prefix: string;
  readonly via: string;
  /** As the file names it: an uplink's VPP name or a WireGuard interface's logical name. */
  readonly interface: string;
}

const DOCUMENT = 'applied-routes.json';

function isRoute(v: unknown): v is RecordedRoute {
  const r = v as RecordedRoute;
  return (
    typeof r === 'object' &&
    r !== null &&
    typeof r.table === 'number' &&
    typeof r.prefix === 'string' &&
    typeof r.via === 'string' &&
    typeof r.interface === 'string'
  );
}

export function sameRoute(a: RecordedRoute, b: RecordedRoute): boolean {
  return a.table === b.table && a.prefix === b.prefix && a.via === b.via && a.interface === b.interface;
}

export class RouteRecord {
  constructor(readonly dir: StateDir) {}

  /** The routes recorded; none when nothing was recorded yet; a damaged document is an error naming it. */
  read(): RecordedRoute[] {
    const doc = this.dir.readDocument<{ routes?: unknown }>(DOCUMENT);
    if (doc === undefined) return [];
    if (!Array.isArray(doc.routes) || !doc.routes.every(isRoute))
      throw new StateDirError(
        `${this.dir.documentPath(DOCUMENT)} is not a list of routes: delete it (vppwg then forgets which dropped routes it applied)`,
      );
    return doc.routes;
  }

  /** Replaces the record, writing only when it changes (a daemon saves it after every run). */
  write(routes: readonly RecordedRoute[], previous: readonly RecordedRoute[]): void {
    if (routes.length === previous.length && routes.every((r) => previous.some((p) => sameRoute(p, r)))) return;
    this.dir.writeDocument(DOCUMENT, { routes });
  }
}
