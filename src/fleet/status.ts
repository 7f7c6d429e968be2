/**
 * The node's status as the fleet sees it (nodes/<node>/status): built from the daemon's own status,
 * limited to the fleet's interfaces, plus whether the store was reachable. Public facts only.
 */
import type { StatusMsg } from '../daemon/api/proto';
import type { FleetNodeStatus } from './model';

export function fleetStatusOf(
  node: string,
  daemon: StatusMsg,
  networks: ReadonlySet<string>,
  storeReachable: boolean,
  rejected?: string,
): FleetNodeStatus {
  const last = daemon.lastReconcile;
  return {
    node,
    atMs: Date.now(),
    vppConnected: daemon.vpp.connected,
    storeReachable,
    ...(last
      ? {
          lastReconcile: {
            atMs: last.finishedAtMs,
            ok: last.ok,
            summary: last.summary,
            ...(last.error ? { error: last.error } : {}),
          },
        }
      : {}),
    ...(rejected ? { rejected } : {}),
    peers: daemon.peers
      .filter((p) => networks.has(p.interface))
      .map((p) => ({
        network: p.interface,
        node: p.name,
        publicKey: p.publicKey,
        established: p.established,
        sinceMs: p.sinceMs,
      })),
  };
}
