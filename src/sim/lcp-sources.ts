/**
 * The FIB sources the emulator registers, as fib_source_dump lists them (VPP's fib_source.h
 * priorities: lower wins). linux-nl allocates its two sources at run time (lcp_router.c:
 * 'lcp-rt' at FIB_SOURCE_PRIORITY_HI, 'lcp-rt-dynamic' one below it), so their numbers depend on
 * what VPP loaded: here they are the first after the built-ins. Clients read them by name.
 */
export const LCP_RT_SOURCE = 22;
export const LCP_RT_DYNAMIC_SOURCE = 23;

export interface RegisteredSource {
  readonly id: number;
  readonly name: string;
  readonly priority: number;
}

export const REGISTERED_SOURCES: readonly RegisteredSource[] = [
  { id: 1, name: 'special', priority: 0x00 },
  { id: 4, name: 'interface', priority: 0x03 },
  { id: 8, name: 'API', priority: 0x80 },
  { id: 15, name: 'adjacency', priority: 0xd0 },
  { id: 18, name: 'recursive-resolution', priority: 0xfb },
  { id: 20, name: 'default-route', priority: 0xfd },
  { id: LCP_RT_SOURCE, name: 'lcp-rt', priority: 0x10 },
  { id: LCP_RT_DYNAMIC_SOURCE, name: 'lcp-rt-dynamic', priority: 0x11 },
];
