/**
 * Adoption: WireGuard interfaces someone else made (vppctl, scripts, another agent) that the file
 * describes are taken over by tagging them, never recreated. The planner sees VPP as it would be
 * once they carry vppwg's tag, so whatever still differs shows as ordinary operations beside the
 * `= adopt` ones, and a matching interface costs nothing but its tag.
 */
import type { DesiredState } from '../config/model';
import { TAG_PREFIX } from '../config/tag';
import { buildActualState, type ActualInterface, type ActualState } from '../reconcile/actual';

export interface Adoption {
  /** The file's logical name, recorded as the tag vppwg:<owner>. */
  readonly owner: string;
  readonly swIfIndex: number;
  /** VPP's name, e.g. wg0. */
  readonly vppName: string;
  /** The tag it had, when it had one (replaced by vppwg's). */
  readonly previousTag: string;
}

/**
 * The WireGuard interface the file's interface `d` describes, among those no one tagged for vppwg:
 * the one with its instance when the file names one, else the one with its port and source.
 */
function candidateFor(
  d: DesiredState['wireguard'][number],
  actual: ActualState,
  taken: ReadonlySet<number>,
): ActualInterface | undefined {
  const free = [...actual.wireguard.values()].filter((w) => {
    const itf = actual.interfaces.get(w.swIfIndex);
    return itf && itf.owner === undefined && !itf.tag.startsWith(TAG_PREFIX) && !taken.has(w.swIfIndex);
  });
  const match =
    d.instance !== undefined
      ? free.filter((w) => w.instance === d.instance)
      : free.filter((w) => w.listenPort === d.listenPort && w.source === d.source);
  return match.length === 1 ? actual.interfaces.get(match[0]!.swIfIndex) : undefined;
}

/** VPP as the planner should see it once the adoptable interfaces carry vppwg's tag, and which those are. */
export function adoptionView(
  desired: DesiredState,
  actual: ActualState,
): { actual: ActualState; adoptions: Adoption[] } {
  const adoptions: Adoption[] = [];
  const taken = new Set<number>();
  for (const d of desired.wireguard) {
    if (actual.owned.interfaces.has(d.name)) continue;
    const itf = candidateFor(d, actual, taken);
    if (!itf) continue;
    taken.add(itf.swIfIndex);
    adoptions.push({ owner: d.name, swIfIndex: itf.swIfIndex, vppName: itf.name, previousTag: itf.tag });
  }
  if (!adoptions.length) return { actual, adoptions };
  const ownerOf = new Map(adoptions.map((a) => [a.swIfIndex, a.owner]));
  const interfaces = [...actual.interfaces.values()].map((i) => {
    const owner = ownerOf.get(i.swIfIndex);
    return owner === undefined ? i : { ...i, owner, tag: TAG_PREFIX + owner };
  });
  // Interfaces tagged vppwg: that are not WireGuard ones were left out of `interfaces` with their owner dropped.
  const view = buildActualState({
    interfaces,
    wireguard: [...actual.wireguard.values()],
    peers: [...actual.peers.values()],
    tables: [...actual.tables],
    routes: [...actual.routes.values()],
    teib: [...actual.teib],
    peerV2: actual.capabilities.peerV2,
    ...(actual.capabilities.version !== undefined ? { version: actual.capabilities.version } : {}),
    ...(actual.routeScope ? { routeScope: actual.routeScope } : {}),
  });
  return { actual: view, adoptions };
}
