/**
 * Interfaces vppwg takes as its own without recreating them, by tagging them:
 * - one an interrupted vppwg run created and could not tag: an untagged WireGuard interface that
 *   matches a recorded create (src/state/create-journal.ts) by instance when recorded, listen port
 *   and source;
 * - one made outside vppwg (vppctl, scripts, another agent) that the file describes: the untagged
 *   WireGuard interface with the file's instance, or, when the file names none, its port, source
 *   and (when the file gives a key) public key. Taken only when the operator asks (`vppwg adopt`,
 *   `serve --adopt`).
 * The planner sees VPP as it will be once they carry the tag, so whatever still differs from the
 * file shows as ordinary operations beside the tag, and one that matches costs nothing else.
 */
import type { DesiredState } from '../config/model';
import type { CreateRecord } from '../state/create-journal';
import { TAG_PREFIX } from '../config/tag';
import { buildActualState, type ActualState, type ActualWireguardInterface } from './actual';

export interface Adoption {
  /** `actual` with each adopted interface as vppwg's (its owner set), for the planner. */
  readonly actual: ActualState;
  /** Logical name → sw_if_index of each adopted interface. */
  readonly adopted: ReadonlyMap<string, number>;
}

/** An interface made outside vppwg that the file describes. */
export interface TakenInterface {
  readonly swIfIndex: number;
  /** VPP's name, e.g. wg0. */
  readonly vppName: string;
  /** The tag it had ('' when none), replaced by vppwg's. */
  readonly previousTag: string;
}

/** `actual` as it will be once each interface of `owners` (logical name → sw_if_index) carries vppwg's tag. */
export function withOwners(actual: ActualState, owners: ReadonlyMap<string, number>): ActualState {
  if (!owners.size) return actual;
  const ownerOf = new Map([...owners].map(([name, idx]) => [idx, name]));
  const interfaces = [...actual.interfaces.values()].map((i) => {
    const owner = ownerOf.get(i.swIfIndex);
    return owner === undefined ? i : { ...i, tag: TAG_PREFIX + owner, owner };
  });
  return buildActualState({
    interfaces,
    wireguard: [...actual.wireguard.values()],
    peers: [...actual.peers.values()],
    tables: [...actual.tables],
    routes: [...actual.routes.values()],
    teib: [...actual.teib],
    peerV2: actual.capabilities.peerV2,
    ...(actual.capabilities.version !== undefined ? { version: actual.capabilities.version } : {}),
    ...(actual.routeScope ? { routeScope: actual.routeScope } : {}),
    ...(actual.lcp ? { lcp: actual.lcp } : {}),
  });
}

/** WireGuard interfaces no one tagged for vppwg, not yet chosen. */
function untagged(actual: ActualState, chosen: ReadonlySet<number>, anyTag: boolean): ActualWireguardInterface[] {
  return [...actual.wireguard.values()].filter((w) => {
    const i = actual.interfaces.get(w.swIfIndex);
    if (!i || i.owner !== undefined || chosen.has(w.swIfIndex)) return false;
    return anyTag ? !i.tag.startsWith(TAG_PREFIX) : i.tag === '';
  });
}

export function adoptInterrupted(actual: ActualState, records: readonly CreateRecord[]): Adoption {
  const adopted = new Map<string, number>();
  for (const r of records) {
    if (actual.owned.interfaces.has(r.name) || adopted.has(r.name)) continue;
    const w = untagged(actual, new Set(adopted.values()), false).find(
      (w) =>
        w.listenPort === r.listenPort &&
        w.source === r.source &&
        (r.instance === undefined || w.instance === r.instance),
    );
    if (w) adopted.set(r.name, w.swIfIndex);
  }
  return { actual: withOwners(actual, adopted), adopted };
}

/** The interfaces made outside vppwg that the file describes, by logical name (see the header). */
export function findTakeable(desired: DesiredState, actual: ActualState): Map<string, TakenInterface> {
  const taken = new Map<string, TakenInterface>();
  const chosen = new Set<number>();
  for (const d of desired.wireguard) {
    if (actual.owned.interfaces.has(d.name)) continue;
    const free = untagged(actual, chosen, true);
    const match =
      d.instance !== undefined
        ? free.filter((w) => w.instance === d.instance)
        : // Without an instance, port and source say little: the key must match too where the file gives one.
          free.filter(
            (w) =>
              w.listenPort === d.listenPort &&
              w.source === d.source &&
              (d.publicKey === undefined || w.publicKey === d.publicKey),
          );
    if (match.length !== 1) continue;
    const itf = actual.interfaces.get(match[0]!.swIfIndex)!;
    chosen.add(itf.swIfIndex);
    taken.set(d.name, { swIfIndex: itf.swIfIndex, vppName: itf.name, previousTag: itf.tag });
  }
  return taken;
}
