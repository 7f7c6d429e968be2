/**
 * Plans and actual state for people (terraform-like text) and for machines (JSON). Neither form
 * contains a private or preshared key: only public keys and whether a preshared key is set.
 */
import type { ActualState } from './actual';
import { signOf } from './action';
import { endpointText } from './ip';
import { LEARNED_BY_ROUTING_DAEMON, isRoutingDaemonSource } from './lcp-actual';
import { formatPairs } from './lcp-format';
import type { Plan } from './plan-model';
import { TAG_PREFIX } from '../config/tag';
import type { DesiredState, DesiredUplink } from '../config/model';
import { PlanError } from './plan-error';
import { pciOfInterface, resolveUplinks } from './uplink-match';

/** The plan's counts as one sentence ('2 to create, 0 to change, 1 to delete'; 'no changes' when empty). */
export function planSummaryText(plan: Plan): string {
  if (plan.isEmpty) return 'no changes';
  const s = plan.summary;
  return `${s.create} to create, ${s.modify} to change, ${s.delete} to delete${s.adopt ? `, ${s.adopt} to adopt` : ''}`;
}

export function formatPlan(plan: Plan): string {
  const lines: string[] = [];
  if (plan.isEmpty) {
    lines.push('No changes: VPP matches the desired state.');
  } else {
    for (const op of plan.operations) lines.push(`  ${signOf(op.action)} ${op.kind} ${op.key}: ${op.reason}`);
    lines.push('');
    lines.push(`Plan: ${planSummaryText(plan)}.`);
  }
  // Loud, after the operations: an interface's public key changes and every peer must be told.
  for (const w of plan.warnings) lines.push(`! ${w}`);
  for (const n of plan.notes) lines.push(`note: ${n}`);
  return lines.join('\n');
}

export function planToJson(plan: Plan): unknown {
  return {
    isEmpty: plan.isEmpty,
    summary: { ...plan.summary },
    operations: plan.operations.map((op) => ({
      id: op.id,
      action: op.action,
      kind: op.kind,
      key: op.key,
      reason: op.reason,
      dependsOn: [...op.dependsOn],
    })),
    warnings: [...plan.warnings],
    notes: [...plan.notes],
  };
}

export interface ShownPeer {
  peerIndex: number;
  /** The peer's name in the desired state, when show was given it and the file lists this public key. */
  name?: string;
  publicKey: string;
  endpoint: string | null;
  allowedIps: string[];
  persistentKeepalive: number;
  underlayTable: number;
  presharedKey: 'set' | 'none' | 'unknown';
  established: boolean;
}

export interface ShownState {
  tables: { id: number; family: string; name: string; ownedByVppwg: boolean }[];
  interfaces: {
    swIfIndex: number;
    name: string;
    type: string;
    owner: string | null;
    /** VPP's interface tag, '' when none (shows a vppwg tag on an interface vppwg does not own). */
    tag: string;
    /** Whether the desired state show was given names this interface as an uplink. */
    uplink: boolean;
    /** The file's logical name for an uplink it matches by hardware (`match`), e.g. 'wan'. */
    uplinkName?: string;
    /** Hardware address, when VPP reports one; the PCI address VPP's DPDK name encodes. */
    mac?: string;
    pci?: string;
    adminUp: boolean;
    linkUp: boolean;
    mtu: number;
    table: { ip4: number; ip6: number };
    addresses: string[];
  }[];
  wireguard: {
    name: string;
    owner: string | null;
    swIfIndex: number;
    instance: number;
    publicKey: string;
    listenPort: number;
    source: string;
    peers: ShownPeer[];
  }[];
  routes: { table: number; prefix: string; paths: { via: string; interface: string }[] }[];
  teib: { interface: string; peer: string; nh: string; nhTable: number }[];
}

/** What `show` can add when it knows the desired state: peer names, which uplinks the file manages. */
export interface ShowOptions {
  desired?: DesiredState;
}

/** The file's uplinks with VPP's names; one that matches no single interface is simply not marked. */
function shownUplinks(desired: DesiredState | undefined, actual: ActualState): readonly DesiredUplink[] {
  if (!desired) return [];
  try {
    return resolveUplinks(desired, actual).uplinks;
  } catch (err) {
    if (!(err instanceof PlanError)) throw err;
    return desired.uplinks.filter((u) => !u.match);
  }
}

/** `{[key]: value}` when value is defined, else `{}`: optional fields stay absent in JSON. */
function optional<K extends string, V>(key: K, value: V | undefined): { [P in K]?: V } {
  return value === undefined ? {} : ({ [key]: value } as { [P in K]?: V });
}

export function showState(actual: ActualState, opts: ShowOptions = {}): ShownState {
  const ifName = (i: number): string => actual.interfaces.get(i)?.name ?? `sw_if_index ${i}`;
  const peerNames = new Map<string, string>();
  for (const w of opts.desired?.wireguard ?? []) for (const p of w.peers) peerNames.set(p.publicKey, p.name);
  const uplinks = new Map(shownUplinks(opts.desired, actual).map((u) => [u.name, u.logicalName]));
  const peersBy = new Map<number, ShownPeer[]>();
  for (const p of actual.peers.values()) {
    const list = peersBy.get(p.swIfIndex) ?? [];
    const name = peerNames.get(p.publicKey);
    list.push({
      peerIndex: p.peerIndex,
      ...(name !== undefined ? { name } : {}),
      publicKey: p.publicKey,
      endpoint: p.endpoint ? endpointText(p.endpoint) : null,
      allowedIps: [...p.allowedIps],
      persistentKeepalive: p.persistentKeepalive,
      underlayTable: p.underlayTable,
      presharedKey: p.presharedKeySet === undefined ? 'unknown' : p.presharedKeySet ? 'set' : 'none',
      established: p.established,
    });
    peersBy.set(p.swIfIndex, list);
  }
  return {
    tables: actual.tables
      .map((t) => ({ id: t.id, family: t.family, name: t.name, ownedByVppwg: t.name.startsWith(TAG_PREFIX) }))
      .sort((a, b) => a.family.localeCompare(b.family) || a.id - b.id),
    interfaces: [...actual.interfaces.values()]
      .sort((a, b) => a.swIfIndex - b.swIfIndex)
      .map((i) => ({
        swIfIndex: i.swIfIndex,
        name: i.name,
        type: i.devType,
        owner: i.owner ?? null,
        tag: i.tag,
        uplink: uplinks.has(i.name),
        ...optional('uplinkName', uplinks.get(i.name)),
        ...optional('mac', i.mac),
        ...optional('pci', pciOfInterface(i)),
        adminUp: i.adminUp,
        linkUp: i.linkUp,
        mtu: i.mtu[0] ?? 0,
        table: { ...i.table },
        addresses: [...i.addresses],
      })),
    wireguard: [...actual.wireguard.values()]
      .sort((a, b) => a.swIfIndex - b.swIfIndex)
      .map((w) => ({
        name: ifName(w.swIfIndex),
        owner: actual.interfaces.get(w.swIfIndex)?.owner ?? null,
        swIfIndex: w.swIfIndex,
        instance: w.instance,
        publicKey: w.publicKey,
        listenPort: w.listenPort,
        source: w.source,
        peers: (peersBy.get(w.swIfIndex) ?? []).sort((a, b) => a.peerIndex - b.peerIndex),
      })),
    routes: [...actual.routes.values()]
      .map((r) => ({
        table: r.table,
        prefix: r.prefix,
        paths: r.paths.map((p) => ({ via: p.nh, interface: ifName(p.swIfIndex) })),
      }))
      .sort((a, b) => a.table - b.table || a.prefix.localeCompare(b.prefix)),
    teib: actual.teib.map((e) => ({ interface: ifName(e.swIfIndex), peer: e.peer, nh: e.nh, nhTable: e.nhTable })),
  };
}

/** What put a route there when it was not an API call (ip_route_v2's source; VPP's fib_source.h numbers). */
function vppSourceNote(src: number, actual: ActualState): string {
  if (isRoutingDaemonSource(actual.lcp, src)) return LEARNED_BY_ROUTING_DAEMON;
  switch (src) {
    case 4:
      return "VPP's own: an interface address";
    case 15:
      return "VPP's own: a neighbour it resolved";
    case 18:
      return "VPP's own: it tracks a WireGuard peer's endpoint here";
    default:
      return `VPP's own: FIB source ${src}`;
  }
}

export function formatShow(actual: ActualState, opts: ShowOptions = {}): string {
  const s = showState(actual, opts);
  const out: string[] = [];
  out.push('Tables:');
  for (const t of s.tables)
    out.push(`  ${t.family} ${t.id}${t.name ? ` "${t.name}"` : ''}${t.ownedByVppwg ? ' (vppwg)' : ''}`);
  out.push('Interfaces:');
  for (const i of s.interfaces) {
    const attrs = [
      i.adminUp ? 'up' : 'down',
      i.mtu ? `mtu ${i.mtu}` : undefined,
      i.table.ip4 || i.table.ip6 ? `table ${i.table.ip4}/${i.table.ip6}` : undefined,
      i.owner !== null
        ? `vppwg "${i.owner}"`
        : i.tag.startsWith(TAG_PREFIX)
          ? `tag "${i.tag}" but not a WireGuard interface, so not managed by vppwg`
          : i.uplink
            ? `managed (uplink${i.uplinkName !== undefined ? ` "${i.uplinkName}"` : ''})`
            : 'not managed by vppwg',
      i.mac !== undefined ? `mac ${i.mac}` : undefined,
      i.pci !== undefined ? `pci ${i.pci}` : undefined,
    ].filter(Boolean);
    out.push(`  ${i.name} [${i.swIfIndex}] ${i.type}: ${attrs.join(', ')}`);
    for (const a of i.addresses) out.push(`      ${a}`);
  }
  for (const w of s.wireguard) {
    out.push(
      `WireGuard ${w.name}${w.owner !== null ? ` ("${w.owner}")` : ''}: instance ${w.instance}, port ${w.listenPort}, source ${w.source}`,
    );
    out.push(`  public key ${w.publicKey}`);
    for (const p of w.peers) {
      out.push(
        `  peer [${p.peerIndex}]${p.name !== undefined ? ` "${p.name}"` : ''} ${p.publicKey}${p.established ? ' (established)' : ''}`,
      );
      out.push(
        `      endpoint ${p.endpoint ?? '(none: learned from the handshake)'}, allowed ${p.allowedIps.join(', ')}`,
      );
      const extra = [
        p.persistentKeepalive ? `keepalive ${p.persistentKeepalive}s` : undefined,
        p.underlayTable ? `underlay table ${p.underlayTable}` : undefined,
        p.presharedKey === 'set' ? 'preshared key set' : undefined,
      ].filter(Boolean);
      if (extra.length) out.push(`      ${extra.join(', ')}`);
    }
  }
  out.push('Routes (with a next hop):');
  const heldBy = new Map<string, number>();
  for (const r of actual.routes.values()) if (r.heldBy !== undefined) heldBy.set(`${r.table} ${r.prefix}`, r.heldBy);
  for (const r of s.routes) {
    const src = heldBy.get(`${r.table} ${r.prefix}`);
    out.push(
      `  table ${r.table} ${r.prefix} via ${r.paths
        .map(
          (p) =>
            `${p.via} ${p.interface}${p.interface.startsWith('sw_if_index ') ? ' (deleted interface: VPP drops this path)' : ''}`,
        )
        .join(', ')}${src === undefined ? '' : ` (${vppSourceNote(src, actual)})`}`,
    );
  }
  out.push(...formatPairs(actual, opts.desired));
  if (s.teib.length) {
    out.push('TEIB:');
    for (const e of s.teib) out.push(`  ${e.interface} ${e.peer} → ${e.nh} (table ${e.nhTable})`);
  }
  return out.join('\n');
}
