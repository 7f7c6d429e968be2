/**
 * Taking back an interface an interrupted vppwg run created but could not tag: an untagged
 * WireGuard interface that matches a recorded create (src/state/create-journal.ts) by instance
 * when recorded, listen port and source is vppwg's, and the plan tags it.
 */
import type { CreateRecord } from '../state/create-journal';
import { TAG_PREFIX } from '../config/tag';
import { buildActualState, type ActualState } from './actual';

export interface Adoption {
  /** `actual` with each adopted interface as vppwg's (its owner set), for the planner. */
  readonly actual: ActualState;
  /** Logical name → sw_if_index of each adopted interface. */
  readonly adopted: ReadonlyMap<string, number>;
}

export function adoptInterrupted(actual: ActualState, records: readonly CreateRecord[]): Adoption {
  const adopted = new Map<string, number>();
  for (const r of records) {
    if (actual.owned.interfaces.has(r.name) || adopted.has(r.name)) continue;
    for (const w of actual.wireguard.values()) {
      const i = actual.interfaces.get(w.swIfIndex);
      if (!i || i.tag !== '' || [...adopted.values()].includes(w.swIfIndex)) continue;
      if (w.listenPort !== r.listenPort || w.source !== r.source) continue;
      if (r.instance !== undefined && w.instance !== r.instance) continue;
      adopted.set(r.name, w.swIfIndex);
      break;
    }
  }
  if (!adopted.size) return { actual, adopted };
  const ownerOf = new Map([...adopted].map(([name, idx]) => [idx, name]));
  const interfaces = [...actual.interfaces.values()].map((i) => {
    const owner = ownerOf.get(i.swIfIndex);
    // Tagged as it will be: the planner then treats it as any interface of vppwg's.
    return owner === undefined ? i : { ...i, tag: TAG_PREFIX + owner, owner };
  });
  return {
    actual: buildActualState({
      interfaces,
      wireguard: [...actual.wireguard.values()],
      peers: [...actual.peers.values()],
      tables: [...actual.tables],
      routes: [...actual.routes.values()],
      teib: [...actual.teib],
      peerV2: actual.capabilities.peerV2,
      ...(actual.capabilities.version !== undefined ? { version: actual.capabilities.version } : {}),
      ...(actual.routeScope ? { routeScope: actual.routeScope } : {}),
    }),
    adopted,
  };
}
