/**
 * One agent per node name: the agent creates `nodes/<node>/claim` under its lease in a transaction
 * that succeeds only if the key is absent (version = 0). A second agent with the same name is
 * refused, and told who holds the name. The same lease carries the node's status, so both vanish
 * together when the agent is gone. A claim left by a crashed agent of this host (its pid is gone)
 * is taken over at once, in a transaction on the claim's mod revision, rather than waiting for
 * its lease to expire.
 */
import type { Etcd3, Lease } from 'etcd3';
import { hostname } from 'node:os';
import type { FleetLayout } from './layout';

export class NodeClaimedError extends Error {}

export interface ClaimHolder {
  host: string;
  pid: number;
  sinceMs: number;
}

export class NodeClaim {
  private constructor(
    readonly lease: Lease,
    readonly key: string,
  ) {}

  static async take(client: Etcd3, layout: FleetLayout, node: string, ttlSeconds: number): Promise<NodeClaim> {
    const key = layout.claim(node);
    const lease = client.lease(ttlSeconds);
    lease.on('lost', () => undefined); // Handled by the caller through `lost`; an unheard 'lost' would throw.
    const me: ClaimHolder = { host: hostname(), pid: process.pid, sinceMs: Date.now() };
    try {
      const leaseId = await lease.grant();
      const value = JSON.stringify(me);
      const res = await client
        .if(key, 'Version', '==', 0)
        .then(client.put(key).value(value).lease(leaseId))
        .else(client.get(key))
        .commit();
      if (!res.succeeded) {
        const held = res.responses[0]?.response_range?.kvs[0];
        const text = held?.value.toString() ?? '';
        const crashed = held !== undefined && leftByDeadProcess(text);
        const takenOver =
          crashed &&
          (
            await client
              .if(key, 'Mod', '==', held.mod_revision)
              .then(client.put(key).value(value).lease(leaseId))
              .commit()
          ).succeeded;
        if (!takenOver)
          throw new NodeClaimedError(
            `node name "${node}" is already in use by ${describeHolder(text)} (${key}): stop that agent, or give this one another --node (a crashed agent's claim expires within ${ttlSeconds} s)`,
          );
      }
    } catch (err) {
      await lease.revoke().catch(() => undefined);
      throw err;
    }
    return new NodeClaim(lease, key);
  }

  /** Gives the name up at once (status goes with it). */
  async release(): Promise<void> {
    await this.lease.revoke().catch(() => undefined);
  }
}

/** A claim of this host whose process is gone: its agent crashed, its lease has not expired yet. */
function leftByDeadProcess(text: string): boolean {
  let h: ClaimHolder;
  try {
    h = JSON.parse(text) as ClaimHolder;
  } catch {
    return false;
  }
  if (h.host !== hostname() || !Number.isInteger(h.pid) || h.pid <= 0 || h.pid === process.pid) return false;
  try {
    process.kill(h.pid, 0);
    return false;
  } catch (err) {
    // EPERM: the process exists (another user's): not dead.
    return (err as NodeJS.ErrnoException).code === 'ESRCH';
  }
}

function describeHolder(text: string): string {
  try {
    const h = JSON.parse(text) as ClaimHolder;
    return `the agent on host ${h.host} (pid ${h.pid}, since ${new Date(h.sinceMs).toISOString()})`;
  } catch {
    return 'another agent';
  }
}
