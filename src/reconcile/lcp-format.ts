/** The linux-cp part of `vppwg show`: each pair, and whose it is. */
import type { DesiredState } from '../config/model';
import type { ActualState } from './actual';

export function formatPairs(actual: ActualState, desired?: DesiredState): string[] {
  const lcp = actual.lcp;
  if (!lcp) return [];
  const pairedUplinks = new Set(desired?.uplinks.filter((u) => u.hostInterface !== undefined).map((u) => u.name));
  const out = [`linux-cp pairs (default netns ${lcp.defaultNetns || 'none'}):`];
  for (const p of lcp.pairs.values()) {
    const i = actual.interfaces.get(p.swIfIndex);
    const name = i?.name ?? `sw_if_index ${p.swIfIndex}`;
    const whose =
      i?.owner !== undefined
        ? `vppwg "${i.owner}"`
        : i && pairedUplinks.has(i.name)
          ? 'managed (uplink)'
          : 'not managed by vppwg';
    out.push(`  ${name} ↔ ${p.hostName} (${p.hostType.toUpperCase()}) in netns ${p.netns || 'default'}: ${whose}`);
  }
  return out;
}
