/**
 * What a fleet node mirrors from the store: every network (their members tell it whom to follow),
 * its own keys, and the public keys of the members of its networks. Not other nodes' statuses:
 * each grows with the fleet and changes with every handshake, so N nodes following N statuses
 * received N³ in all, and a 200-node fleet could not start.
 */
import type { FleetLayout } from './layout';

export function followedPrefixes(layout: FleetLayout, node: string, kvs: ReadonlyMap<string, string>): string[] {
  const networks = layout.networks();
  const mine = new Set<string>();
  const members: { network: string; node: string }[] = [];
  for (const key of kvs.keys()) {
    if (!key.startsWith(networks)) continue;
    const k = layout.parse(key);
    if (k?.kind !== 'member') continue;
    if (k.node === node) mine.add(k.network);
    else members.push(k);
  }
  const prefixes = [networks, layout.node(node)];
  for (const m of members) if (mine.has(m.network)) prefixes.push(layout.publicKeys(m.node));
  return prefixes;
}
