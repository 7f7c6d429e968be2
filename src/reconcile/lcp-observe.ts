/** Reading linux-cp's state (pairs, default namespace, linux-nl's FIB sources) when VPP has the plugin. */
import * as fib from 'vpp-api-ts/fib';
import * as lcp from 'vpp-api-ts/lcp';
import type { VppClient } from '../client';
import { ROUTING_DAEMON_SOURCES, type ActualLcp, type ActualPair } from './lcp-actual';
import { hasLinuxCp } from './lcp-messages';

const HOST_TUN = 1;

/** linux-cp's state, or undefined when VPP has no linux-cp (nothing to read, nothing vppwg may pair). */
export async function readLcp(client: VppClient): Promise<ActualLcp | undefined> {
  if (!hasLinuxCp(client)) return undefined;
  const [rows, ns, sources] = await Promise.all([
    client.stream(lcp.lcp_itf_pair_get, { cursor: 0 }),
    client.has(lcp.lcp_default_ns_get) ? client.call(lcp.lcp_default_ns_get, {}) : undefined,
    client.has(fib.fib_source_dump) ? client.dump(fib.fib_source_dump, {}) : [],
  ]);
  const pairs = new Map<number, ActualPair>();
  for (const r of rows) {
    pairs.set(r.phy_sw_if_index, {
      swIfIndex: r.phy_sw_if_index,
      hostSwIfIndex: r.host_sw_if_index,
      hostName: r.host_if_name,
      hostType: r.host_if_type === HOST_TUN ? 'tun' : 'tap',
      netns: r.netns,
    });
  }
  const names: readonly string[] = ROUTING_DAEMON_SOURCES;
  return {
    pairs,
    defaultNetns: ns?.netns ?? '',
    routingDaemonSources: new Map(
      sources.filter((s) => names.includes(s.src.name)).map((s) => [s.src.id, s.src.name] as const),
    ),
  };
}
