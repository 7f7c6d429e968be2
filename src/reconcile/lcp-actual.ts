/**
 * linux-cp as VPP reports it: the interface pairs, the default namespace, and the FIB sources
 * linux-nl registered at run time (their numbers depend on what VPP loaded, so they are read by
 * name through fib_source_dump).
 */

/** lcp_itf_host_type. */
export type HostType = 'tap' | 'tun';

export interface ActualPair {
  /** The paired VPP interface. */
  readonly swIfIndex: number;
  /** The VPP side of the host interface (tapN / tunN). */
  readonly hostSwIfIndex: number;
  readonly hostName: string;
  readonly hostType: HostType;
  readonly netns: string;
}

export interface ActualLcp {
  /** By the paired interface's sw_if_index. */
  readonly pairs: ReadonlyMap<number, ActualPair>;
  readonly defaultNetns: string;
  /** linux-nl's FIB sources ('lcp-rt', 'lcp-rt-dynamic') by number; empty when VPP does not list its sources. */
  readonly routingDaemonSources: ReadonlyMap<number, string>;
}

/** linux-nl's source names (lcp_router.c): routes the routing daemon put in the kernel. */
export const ROUTING_DAEMON_SOURCES = ['lcp-rt', 'lcp-rt-dynamic'] as const;

export const LEARNED_BY_ROUTING_DAEMON = 'learned by the routing daemon through linux-cp';

/** Whether FIB source `src` is the routing daemon's (through linux-nl). */
export function isRoutingDaemonSource(lcp: ActualLcp | undefined, src: number): boolean {
  return lcp?.routingDaemonSources.has(src) === true;
}

/** What a plan note calls the source that holds a route: the routing daemon by name, others by number. */
export function heldByText(lcp: ActualLcp | undefined, src: number): string {
  const name = lcp?.routingDaemonSources.get(src);
  return name !== undefined
    ? `the routing daemon's route (${name}, ${LEARNED_BY_ROUTING_DAEMON})`
    : `its source ${src}`;
}
