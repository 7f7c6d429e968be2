/**
 * The diff: desired state vs. what VPP has, as an ordered list of operations.
 *
 * One planning step per object kind (tables, interfaces and their attributes, uplinks, peers, routes
 * in ./route-diff.ts, TEIB) decides create/delete/modify as drafts; the order lives here, by the
 * phases of ./plan-model.ts:
 * teardown (admin down, routes, next hops, peers, addresses, interfaces) runs first, in reverse
 * dependency order, then bring-up (tables → interface → table binding → MTU → addresses → peers →
 * next hops → routes → admin up), and unused tables go last, once nothing is bound to them.
 * Operations of one phase never depend on each other, which is what lets the executor pipeline them.
 *
 * Ownership: interfaces carrying the tag `vppwg:<name>` and what hangs off them (peers, addresses,
 * routes via them, TEIB entries on them), tables named `vppwg:<name>`, and routes the file
 * declares. Anything else is observed and shown, never changed.
 */
import type { AddressFamily, DesiredPeer, DesiredState, DesiredWireguardInterface } from '../config/model';
import { publicKeyOf, encodeKey } from '../config/keys';
import { makeSecretKey } from '../util/secrets';
import {
  OWNER_TAG_PREFIX,
  presharedKeyOf,
  routeKey,
  tableKey,
  bytesEqual,
  type ActualInterface,
  type ActualPeer,
  type ActualRoute,
  type ActualState,
} from './actual';
import { endpointText, familyOf } from './ip';
import { signOf } from './action';
import { ifLabel, ifResource, type IfRef } from './if-ref';
import { lcpProblems, planLcp } from './lcp-plan';
import type { TakenInterface } from './adopt';
import type { InterfaceKey } from './keys';
import type { RecordedRoute } from '../state/route-record';
import { PlanError } from './plan-error';
import {
  flat,
  plannedOperation,
  PHASES,
  type Draft,
  type Fate,
  type Operation,
  type PathRef,
  type PeerConfig,
  type Phase,
  type Plan,
} from './plan-model';
import { RouteDiff } from './route-diff';
import { resolveUplinks } from './uplink-match';

// The desired state arrives normalised (src/config: canonical addresses and network prefixes) and
// observe() canonicalises what VPP reports, so the diff compares strings without parsing again.

/** What a plan needs beyond the desired and the actual state (all optional: without, as before). */
export interface PlanOptions {
  /**
   * Last endpoints VPP learned for peers the file gives none, by public key: a peer created in
   * this plan starts with it, so VPP can initiate. Never drift.
   */
  readonly learnedEndpoints?: ReadonlyMap<string, { readonly address: string; readonly port: number }>;
  /** Keys of 'generate' interfaces from the state directory (see keys.ts), by logical name. */
  readonly keys?: ReadonlyMap<string, InterfaceKey>;
  /** Whether this run keeps the keys it generates (an apply); a dry run keeps none. */
  readonly keepsKeys?: boolean;
  /** Interfaces an interrupted run created and could not tag (see adopt.ts): logical name → sw_if_index. */
  readonly adopted?: ReadonlyMap<string, number>;
  /** Interfaces made outside vppwg that the file describes (see adopt.ts): taken over by tagging them. */
  readonly taken?: ReadonlyMap<string, TakenInterface>;
  /** The file's static routes as vppwg applied them before (state directory): those the file dropped are named. */
  readonly appliedRoutes?: readonly RecordedRoute[];
  /** Remove the routes of appliedRoutes that the file dropped (`--prune-routes`) instead of naming them. */
  readonly pruneRoutes?: boolean;
}

const ZERO_MTU = [0, 0, 0, 0] as const;
const FAMILIES: readonly AddressFamily[] = ['ip4', 'ip6'];

function peerLabel(owner: string, name: string | undefined, publicKey: string): string {
  return `${owner}/${name ?? publicKey.slice(0, 8) + '…'}`;
}

function sameSet(a: readonly string[], b: readonly string[]): boolean {
  if (a.length !== b.length) return false;
  if (a.length <= 4) {
    // Allowed IPs and paths are short lists (and free of duplicates): no Set needed.
    for (const x of a) if (!b.includes(x)) return false;
    return true;
  }
  const s = new Set(a);
  if (s.size !== b.length) return false;
  for (const x of b) if (!s.has(x)) return false;
  return true;
}

function list(a: readonly string[]): string {
  return a.length ? a.join(', ') : 'none';
}

class Planner {
  readonly drafts: Draft[] = [];
  readonly problems: string[] = [];
  readonly notes: string[] = [];
  readonly warnings: string[] = [];
  /** Owned interfaces' fates, by sw_if_index. */
  readonly fates = new Map<number, Fate>();
  readonly desiredByOwner = new Map<string, DesiredWireguardInterface>();
  /** For every logical wg interface: the sw_if_index it will keep, if it is neither new nor recreated. */
  readonly keptIndex = new Map<string, number>();

  constructor(
    readonly desired: DesiredState,
    readonly actual: ActualState,
    readonly opts: PlanOptions,
  ) {}

  add(d: Draft): void {
    this.drafts.push(d);
  }

  run(): Plan {
    this.check();
    if (this.problems.length) throw new PlanError(this.problems);
    this.planTables();
    this.planInterfaces();
    this.planUplinks();
    this.planPeers();
    this.planRoutes();
    this.planTeib();
    for (const d of planLcp(this.desired, this.actual, this.fates)) this.add(d);
    return this.finish();
  }

  // -- checks that must pass before any change ---------------------------------------------------

  check(): void {
    const { desired, actual } = this;
    this.problems.push(...lcpProblems(desired, actual));
    for (const u of desired.uplinks) {
      const cur = actual.interfacesByName.get(u.name);
      if (!cur) {
        this.problems.push(
          `uplink "${u.name}" is named in the file but VPP has no such interface: check the name against \`vppwg show\` (vppwg never creates uplinks)`,
        );
        continue;
      }
      // The uplink may be how the operator reaches the box: taking anything away needs an opt-in.
      if (u.addresses !== undefined && !u.removeUnlistedAddresses) {
        for (const a of cur.addresses) {
          if (u.addresses.includes(a)) continue;
          this.problems.push(
            `uplink "${u.name}" has address ${a} in VPP, which its addresses do not list: add it to the list, or set remove_unlisted_addresses: true on the uplink to have vppwg remove it`,
          );
        }
      }
      if (u.adminUp === false && cur.adminUp && !u.allowAdminDown) {
        this.problems.push(
          `uplink "${u.name}" is up in VPP and the file says admin_up: false: set allow_admin_down: true on the uplink to let vppwg bring it down, or drop admin_up`,
        );
      }
    }
    const ownedIndexes = new Set(actual.owned.interfaces.values());
    for (const wg of desired.wireguard) {
      this.desiredByOwner.set(wg.name, wg);
      const idx = actual.strayTagged.get(wg.name);
      if (idx !== undefined) {
        this.problems.push(
          `interface ${actual.interfaces.get(idx)?.name ?? idx} carries the tag ${OWNER_TAG_PREFIX}${wg.name} but is not a WireGuard interface: remove the tag in VPP or rename "${wg.name}"`,
        );
      }
      if (wg.instance !== undefined) {
        const holder = actual.interfacesByName.get(`wg${wg.instance}`);
        if (holder && holder.owner === undefined) {
          this.problems.push(
            `"${wg.name}" asks for instance ${wg.instance}, but wg${wg.instance} exists and is not vppwg's: choose another instance or leave it out`,
          );
        }
      }
      for (const p of wg.peers) {
        const a = actual.peers.get(p.publicKey);
        if (a && !ownedIndexes.has(a.swIfIndex)) {
          const where = actual.interfaces.get(a.swIfIndex)?.name ?? `sw_if_index ${a.swIfIndex}`;
          this.problems.push(
            `peer "${p.name}" of "${wg.name}": its public key is already used by a peer on ${where}, which vppwg does not manage; VPP allows a public key once across all interfaces: remove that peer first`,
          );
        }
        if (p.presharedKey && !actual.capabilities.peerV2) {
          this.problems.push(
            `peer "${p.name}" of "${wg.name}" has a preshared key, but the connected VPP lacks wireguard_peer_add_v2 (preshared keys need VPP 26.06 or later): remove the preshared key or upgrade VPP`,
          );
        }
      }
    }
    for (const r of desired.routes) {
      if (!this.desiredByOwner.has(r.interface) && !actual.interfacesByName.has(r.interface)) {
        this.problems.push(
          `route ${r.prefix} via ${r.via} names interface "${r.interface}", which is neither a WireGuard interface of the file nor an interface VPP has`,
        );
      }
    }
  }

  // -- tables --------------------------------------------------------------------------------------

  planTables(): void {
    const want = new Map<string, { id: number; family: AddressFamily; name: string }>();
    for (const t of this.desired.tables) {
      for (const f of t.families) want.set(tableKey(f, t.id), { id: t.id, family: f, name: OWNER_TAG_PREFIX + t.name });
    }
    const have = new Set<string>();
    for (const t of this.actual.tables) {
      const k = tableKey(t.family, t.id);
      have.add(k);
      if (!want.has(k) && t.id !== 0 && t.name.startsWith(OWNER_TAG_PREFIX)) {
        // VPP keeps a table while an interface is bound to it (a delete only drops the API's hold):
        // one vppwg does not manage would keep it alive whatever vppwg sends.
        const user = [...this.actual.interfaces.values()].find(
          (i) => i.owner === undefined && (t.family === 'ip6' ? i.table.ip6 : i.table.ip4) === t.id,
        );
        if (user) {
          this.notes.push(
            `table ${t.family} ${t.id} "${t.name}" is no longer in the file but stays: ${user.name}, which vppwg does not manage, is bound to it (VPP keeps a table while an interface uses it); move ${user.name} to another table to let it go`,
          );
          continue;
        }
        this.add({
          action: 'delete',
          kind: 'table',
          key: `${t.family} ${t.id}`,
          reason: 'created by vppwg, no longer in the file',
          phase: 'table-del',
          step: { t: 'table', add: false, id: t.id, family: t.family, name: t.name },
          provides: `table:${k}`,
          parents: [],
        });
      }
    }
    for (const [k, t] of want) {
      if (have.has(k)) continue;
      this.add({
        action: 'create',
        kind: 'table',
        key: `${t.family} ${t.id}`,
        reason: `table "${t.name.slice(OWNER_TAG_PREFIX.length)}" is declared`,
        phase: 'table-add',
        step: { t: 'table', add: true, id: t.id, family: t.family, name: t.name },
        provides: `table:${k}`,
        parents: [],
      });
    }
  }

  // -- WireGuard interfaces and their attributes ------------------------------------------------------

  planInterfaces(): void {
    const { actual } = this;
    for (const [owner, swIfIndex] of this.opts.adopted ?? []) {
      this.add({
        action: 'modify',
        kind: 'tag',
        key: `${owner} (${actual.interfaces.get(swIfIndex)?.name ?? swIfIndex})`,
        reason: 'created by an interrupted vppwg run',
        phase: 'interface-tag',
        step: { t: 'tag', owner, swIfIndex },
        provides: `tag:${owner}`,
        parents: [],
      });
    }
    for (const [owner, { swIfIndex, vppName, previousTag }] of this.opts.taken ?? []) {
      this.add({
        action: 'adopt',
        kind: 'interface',
        key: `${owner} (${vppName})`,
        reason: `made outside vppwg and described by the file: taken over by tagging it ${OWNER_TAG_PREFIX}${owner}${previousTag ? ` (replacing the tag "${previousTag}")` : ''}`,
        phase: 'interface-tag',
        step: { t: 'tag', owner, swIfIndex },
        provides: `tag:${owner}`,
        parents: [],
      });
    }
    // Fates first: peers and routes below depend on which interfaces survive.
    for (const [owner, idx] of actual.owned.interfaces) {
      const d = this.desiredByOwner.get(owner);
      if (!d) {
        this.fates.set(idx, 'delete');
        continue;
      }
      const reasons = this.recreateReasons(d, idx);
      if (reasons.length) {
        this.fates.set(idx, 'replace');
        this.replaceReasons.set(idx, reasons);
      } else {
        this.fates.set(idx, 'keep');
        this.keptIndex.set(owner, idx);
      }
    }
    for (const [owner, idx] of actual.owned.interfaces) {
      const fate = this.fates.get(idx)!;
      if (fate === 'keep') continue;
      const iface = actual.interfaces.get(idx)!;
      const why = fate === 'delete' ? 'not in the file' : `recreated: ${this.replaceReasons.get(idx)!.join('; ')}`;
      const ref: IfRef = { owner };
      if (iface.adminUp) {
        // Down before its routes and peers go: an up interface keeps VPP computing handshakes for
        // every peer that does not answer, and on a real VPP with 50,000 peers the deletes then
        // took 257 s instead of 5 s.
        this.add({
          action: 'modify',
          kind: 'admin-state',
          key: `${owner} (${iface.name})`,
          reason: `up → down: interface ${why}`,
          phase: 'admin-down',
          step: { t: 'admin', iface: ref, up: false, previous: true },
          provides: `admin:${owner}`,
          parents: [ifResource(ref)],
        });
      }
      for (const a of iface.addresses) {
        this.add({
          action: 'delete',
          kind: 'address',
          key: `${owner} ${a}`,
          reason: `interface ${why}`,
          phase: 'address-del',
          step: { t: 'address', iface: ref, add: false, address: a },
          provides: `addr:${owner}:${a}`,
          parents: [ifResource(ref)],
        });
      }
      this.add({
        action: 'delete',
        kind: 'wireguard-interface',
        key: `${owner} (${iface.name})`,
        reason: why,
        phase: 'interface-del',
        step: { t: 'interface-del', owner },
        provides: ifResource(ref),
        parents: [],
      });
    }
    for (const d of this.desired.wireguard) {
      const idx = this.keptIndex.get(d.name);
      const ref: IfRef = { owner: d.name };
      const prior = actual.owned.interfaces.get(d.name);
      this.tellKey(
        d,
        idx === undefined && prior !== undefined && this.replaceReasons.get(prior)!.includes('private key changed'),
      );
      if (idx === undefined) {
        this.add({
          action: 'create',
          kind: 'wireguard-interface',
          key: d.name,
          reason:
            prior === undefined
              ? `new: ${d.instance !== undefined ? `wg${d.instance}, ` : ''}port ${d.listenPort}, source ${d.source}`
              : `recreated: ${this.replaceReasons.get(prior)!.join('; ')}`,
          phase: 'interface-add',
          step: {
            t: 'interface-add',
            owner: d.name,
            ...(d.instance !== undefined ? { instance: d.instance } : {}),
            privateKey: this.opts.keys?.get(d.name)?.key ?? d.privateKey,
            listenPort: d.listenPort,
            source: d.source,
          },
          provides: ifResource(ref),
          parents: [],
        });
      }
      this.planAttributes(ref, idx === undefined ? undefined : actual.interfaces.get(idx), {
        table: d.table,
        ...(d.mtu !== undefined ? { mtu: d.mtu } : {}),
        addresses: d.addresses,
        adminUp: d.adminUp,
      });
    }
  }

  /** Whether interface address `addr` of `i` is still there after this plan. */
  keepsAddress(i: ActualInterface, addr: string): boolean {
    if (i.owner !== undefined) {
      const d = this.desiredByOwner.get(i.owner);
      return d !== undefined && this.fates.get(i.swIfIndex) === 'keep' && d.addresses.includes(addr);
    }
    const u = this.desired.uplinks.find((x) => x.name === i.name);
    return u?.addresses === undefined || u.addresses.includes(addr);
  }

  readonly replaceReasons = new Map<number, string[]>();
  /** Peers re-added with a new endpoint on VPP < 26.02: their routes and next hops are withdrawn and re-added. */
  readonly rebuildRoutesOf = new Set<string>();

  recreateReasons(d: DesiredWireguardInterface, idx: number): string[] {
    const w = this.actual.wireguard.get(idx);
    if (!w) return ['not a WireGuard interface'];
    const out: string[] = [];
    if (d.instance !== undefined && d.instance !== w.instance) out.push(`instance ${w.instance} → ${d.instance}`);
    if (d.instance === undefined) {
      // Named no instance, but sits on one another interface of the file asks for: it moves.
      const claimant = this.desired.wireguard.find((o) => o !== d && o.instance === w.instance);
      if (claimant) out.push(`wg${w.instance} is wanted by "${claimant.name}"; "${d.name}" names no instance`);
    }
    if (d.listenPort !== w.listenPort) out.push(`listen port ${w.listenPort} → ${d.listenPort}`);
    if (d.source !== w.source) out.push(`source ${w.source} → ${d.source}`);
    const pub = this.wantedPublicKey(d);
    if (pub !== undefined && pub !== w.publicKey) out.push('private key changed');
    return out;
  }

  /** The public key interface `d` is to have; undefined when VPP generates its key (no state directory). */
  wantedPublicKey(d: DesiredWireguardInterface): string | undefined {
    if (d.privateKey !== 'generate') return d.publicKey ?? encodeKey(publicKeyOf(d.privateKey.bytes));
    return this.opts.keys?.get(d.name)?.publicKey;
  }

  /** Says loudly when an interface's public key changes (its peers stop working until told), and where keys are kept. */
  tellKey(d: DesiredWireguardInterface, recreated: boolean): void {
    const kept = d.privateKey === 'generate' ? this.opts.keys?.get(d.name) : undefined;
    const keeps = this.opts.keepsKeys ?? false;
    const shown =
      kept?.origin === 'new' && !keeps
        ? 'known once an apply has generated it (a plan keeps no key; `vppwg show` prints it)'
        : this.wantedPublicKey(d);
    if (recreated) {
      this.warnings.push(
        `interface "${d.name}" is recreated with another private key: its public key becomes ${shown}; every peer of "${d.name}" must be given the new public key`,
      );
    } else if (kept?.origin === 'new') {
      const where = `${keeps ? 'kept' : 'to be kept by apply'} in ${kept.path}`;
      const renamed = [...this.fates].some(([, f]) => f === 'delete');
      const text = `interface "${d.name}" gets a private key generated by vppwg (${where}): its public key is ${shown}`;
      // A vppwg interface deleted in the same plan may be this one under its old name: its peers lose it.
      if (renamed) this.warnings.push(`${text}; if it replaces a renamed interface, every peer must be given it`);
      else this.notes.push(text);
    }
    if (kept?.origin === 'vpp') {
      this.notes.push(
        `interface "${d.name}": the private key VPP generated for it ${keeps ? 'is now kept' : 'will be kept (by apply)'} in ${kept.path}, and reused across restarts`,
      );
    }
  }

  /** Table binding, MTU, addresses and admin state of one interface (wg or uplink); `cur` undefined = fresh interface. */
  planAttributes(
    ref: IfRef,
    cur: ActualInterface | undefined,
    want: { table?: number; mtu?: number; addresses?: readonly string[]; adminUp?: boolean },
  ): void {
    const label = ifLabel(ref);
    const ifRes = ifResource(ref);
    const curTable = cur?.table ?? { ip4: 0, ip6: 0 };
    const curAddrs = cur?.addresses ?? [];
    const rebind: Record<AddressFamily, boolean> = { ip4: false, ip6: false };
    if (want.table !== undefined) {
      for (const f of FAMILIES) rebind[f] = curTable[f] !== want.table;
    }
    const wantAddrs = want.addresses ?? (rebind.ip4 || rebind.ip6 ? curAddrs : undefined);
    if (wantAddrs) {
      const wantSet = new Set(wantAddrs);
      const curSet = new Set(curAddrs);
      for (const a of curAddrs) {
        const moving = rebind[familyOf(a)];
        if (wantSet.has(a) && !moving) continue;
        this.add({
          action: 'delete',
          kind: 'address',
          key: `${label} ${a}`,
          reason: moving
            ? `removed while the interface moves to table ${want.table} (VPP refuses a rebind with addresses)`
            : 'not in the file',
          phase: 'address-del',
          step: { t: 'address', iface: ref, add: false, address: a },
          provides: `addr:${label}:${a}`,
          parents: [ifRes],
        });
      }
      for (const a of wantAddrs) {
        const moving = rebind[familyOf(a)];
        if (curSet.has(a) && !moving) continue;
        this.add({
          action: 'create',
          kind: 'address',
          key: `${label} ${a}`,
          reason: curSet.has(a) ? `re-added after the move to table ${want.table}` : 'declared',
          phase: 'address-add',
          step: { t: 'address', iface: ref, add: true, address: a },
          provides: `addr:${label}:${a}`,
          parents: [ifRes, `binding:${label}:${familyOf(a)}`],
        });
      }
    }
    for (const f of FAMILIES) {
      if (!rebind[f]) continue;
      this.add({
        action: 'modify',
        kind: 'table-binding',
        key: `${label} ${f}`,
        reason: `table ${curTable[f]} → ${want.table}`,
        phase: 'binding',
        step: { t: 'set-table', iface: ref, family: f, table: want.table!, previous: curTable[f] },
        provides: `binding:${label}:${f}`,
        parents: [ifRes, `table:${tableKey(f, want.table!)}`],
      });
    }
    const curMtu = cur?.mtu ?? ZERO_MTU;
    if (want.mtu !== undefined && curMtu[0] !== want.mtu) {
      this.add({
        action: 'modify',
        kind: 'mtu',
        key: label,
        reason: `${curMtu[0] || 'unset'} → ${want.mtu}`,
        phase: 'mtu',
        step: { t: 'set-mtu', iface: ref, mtu: [want.mtu, 0, 0, 0], previous: [...curMtu] },
        provides: `mtu:${label}`,
        parents: [ifRes],
      });
    }
    const curUp = cur?.adminUp ?? false;
    if (want.adminUp !== undefined && want.adminUp !== curUp) {
      this.add({
        action: 'modify',
        kind: 'admin-state',
        key: label,
        reason: want.adminUp ? 'down → up' : 'up → down',
        phase: want.adminUp ? ('owner' in ref ? 'admin-up' : 'uplink-up') : 'admin-down',
        step: { t: 'admin', iface: ref, up: want.adminUp, previous: curUp },
        provides: `admin:${label}`,
        parents: [ifRes],
      });
    }
  }

  planUplinks(): void {
    for (const u of this.desired.uplinks) {
      const cur = this.actual.interfacesByName.get(u.name)!;
      this.planAttributes({ swIfIndex: cur.swIfIndex, name: cur.name }, cur, {
        ...(u.table !== undefined ? { table: u.table } : {}),
        ...(u.mtu !== undefined ? { mtu: u.mtu } : {}),
        ...(u.addresses !== undefined ? { addresses: u.addresses } : {}),
        ...(u.adminUp !== undefined ? { adminUp: u.adminUp } : {}),
      });
    }
  }

  // -- peers -----------------------------------------------------------------------------------------

  planPeers(): void {
    const { actual } = this;
    const wantByKey = new Map<string, { owner: string; peer: DesiredPeer }>();
    for (const d of this.desired.wireguard)
      for (const p of d.peers) wantByKey.set(p.publicKey, { owner: d.name, peer: p });
    const kept = new Set<string>();
    const replaced = new Map<string, string>();
    for (const a of actual.peers.values()) {
      const iface = actual.interfaces.get(a.swIfIndex);
      const owner = iface?.owner;
      if (owner === undefined || !actual.owned.interfaces.has(owner)) continue;
      const fate = this.fates.get(a.swIfIndex)!;
      const want = wantByKey.get(a.publicKey);
      let reason: string;
      if (fate !== 'keep') {
        reason = fate === 'delete' ? 'its interface is removed' : 'its interface is recreated';
      } else if (!want) {
        reason = 'not in the file';
      } else if (want.owner !== owner) {
        reason = `moves to "${want.owner}"`;
      } else {
        const diff = this.peerDiff(want.peer, a, owner);
        if (!diff.length) {
          kept.add(a.publicKey);
          continue;
        }
        reason = `replaced (VPP has no peer update): ${diff.join('; ')}`;
        replaced.set(a.publicKey, diff.join('; '));
        if (
          actual.capabilities.staleDelegates &&
          diff.some((x) => x.startsWith('endpoint') || x.startsWith('underlay table'))
        ) {
          this.rebuildRoutesOf.add(`peer:${a.publicKey}@${owner}`);
        }
      }
      this.add({
        action: 'delete',
        kind: 'peer',
        key: peerLabel(owner, want?.owner === owner ? want.peer.name : undefined, a.publicKey),
        reason,
        phase: 'peer-del',
        step: { t: 'peer-remove', owner, peerIndex: a.peerIndex, restore: restoreConfig(a) },
        provides: `peer:${a.publicKey}@${owner}`,
        parents: [`if:${owner}`],
      });
    }
    for (const d of this.desired.wireguard) {
      for (const p of d.peers) {
        if (kept.has(p.publicKey)) continue;
        const diff = replaced.get(p.publicKey);
        // A remote-access client VPP knew before (say, before it restarted): VPP can initiate again.
        const learned = p.endpoint ? undefined : this.opts.learnedEndpoints?.get(p.publicKey);
        const config = desiredConfig(p);
        const withLearned = learned ? `, starts at endpoint ${endpointText(learned)} (learned earlier)` : '';
        this.add({
          action: 'create',
          kind: 'peer',
          key: peerLabel(d.name, p.name, p.publicKey),
          reason: (diff !== undefined ? `re-added: ${diff}` : peerSummary(p)) + withLearned,
          phase: 'peer-add',
          step: {
            t: 'peer-add',
            owner: d.name,
            peer: learned ? { ...config, endpoint: { address: learned.address, port: learned.port } } : config,
          },
          provides: `peer:${p.publicKey}@${d.name}`,
          parents: [
            `if:${d.name}`,
            ...(p.underlayTable ? [`table:${tableKey(familyOf(d.source), p.underlayTable)}`] : []),
          ],
        });
      }
    }
  }

  peerDiff(want: DesiredPeer, a: ActualPeer, owner: string): string[] {
    const out: string[] = [];
    if (!sameSet(want.allowedIps, a.allowedIps))
      out.push(`allowed IPs ${list(a.allowedIps)} → ${list(want.allowedIps)}`);
    if (want.persistentKeepalive !== a.persistentKeepalive)
      out.push(`keepalive ${a.persistentKeepalive} → ${want.persistentKeepalive}`);
    if (want.underlayTable !== a.underlayTable) out.push(`underlay table ${a.underlayTable} → ${want.underlayTable}`);
    if (want.endpoint) {
      const wantEp = endpointText(want.endpoint);
      const curEp = a.endpoint ? endpointText(a.endpoint) : undefined;
      if (curEp === undefined) {
        out.push(`endpoint none → ${wantEp}`);
      } else if (curEp !== wantEp) {
        // A peer that roamed and holds a session is working: re-adding it would only break it.
        if (a.established) {
          this.notes.push(
            `peer ${peerLabel(owner, want.name, want.publicKey)}: VPP uses endpoint ${curEp} (roamed, session established), the file says ${wantEp}: left as is`,
          );
        } else {
          out.push(`endpoint ${curEp} → ${wantEp}`);
        }
      }
    }
    // Without an endpoint in the file the peer is a remote-access-server peer: whatever VPP learned is right.
    if (a.presharedKeySet !== undefined) {
      if (want.presharedKey && !a.presharedKeySet) out.push('preshared key added');
      else if (!want.presharedKey && a.presharedKeySet) out.push('preshared key removed');
      else if (want.presharedKey) {
        const cur = presharedKeyOf(a);
        if (cur && !bytesEqual(cur, want.presharedKey.bytes)) out.push('preshared key changed');
      }
    }
    return out;
  }

  // -- routes and next hops ------------------------------------------------------------------------------

  /**
   * Routes, and tunnel next hops as host routes `addr/32 via addr wgN` in the interface's table.
   * Host routes rather than TEIB entries because: a route add replaces and a route delete of a
   * missing entry succeeds (TEIB answers -116/-6), which keeps retries and rollback simple; a TEIB
   * entry needs an underlay next hop that a remote-access-server peer does not have; TEIB entries
   * outlive their interface; and next hops then share the routes' dump, diff and calls.
   */
  planRoutes(): void {
    const diff = new RouteDiff(this);
    diff.planUnwanted();
    diff.planWanted();
    this.planDroppedRoutes(diff.want, (r) => diff.toRefs(r));
  }

  /**
   * Static routes vppwg applied earlier that the file no longer lists and VPP still has: named in a
   * note, or deleted with pruneRoutes. (Those through vppwg's interfaces are planned with the rest.)
   */
  planDroppedRoutes(want: { has(key: string): boolean }, toRefs: (r: ActualRoute) => PathRef[]): void {
    const { actual } = this;
    for (const r of this.opts.appliedRoutes ?? []) {
      const k = routeKey(r.table, r.prefix);
      const a = actual.routes.get(k);
      if (!a || want.has(k) || a.paths.some((p) => this.fates.has(p.swIfIndex))) continue;
      const refs = toRefs(a);
      const mine = refs.findIndex((p) => p.nh === r.via && ifLabel(p.iface) === r.interface);
      if (mine < 0) continue;
      const what = `table ${r.table} ${r.prefix} via ${r.via} ${r.interface}`;
      if (!this.opts.pruneRoutes) {
        this.notes.push(`${what}: applied by vppwg, no longer in the file, stays in VPP: remove with --prune-routes`);
        continue;
      }
      const others = refs.filter((_, i) => i !== mine);
      this.add({
        action: others.length ? 'modify' : 'delete',
        kind: 'route',
        key: `table ${r.table} ${r.prefix}`,
        reason: `applied by vppwg, no longer in the file: pruned (path via ${r.via} ${r.interface})`,
        phase: 'underlay-route-del',
        step: { t: 'route', table: r.table, prefix: r.prefix, paths: others, previous: refs },
        provides: `route:${k}`,
        parents: [ifResource(refs[mine]!.iface)],
      });
    }
  }

  // -- TEIB ---------------------------------------------------------------------------------------------

  planTeib(): void {
    for (const e of this.actual.teib) {
      const iface = this.actual.interfaces.get(e.swIfIndex);
      if (iface?.owner === undefined || !this.fates.has(e.swIfIndex)) continue;
      // Tunnel next hops are host routes (see planRoutes); a TEIB entry on a vppwg interface is a leftover,
      // and VPP does not remove TEIB entries with their interface.
      this.add({
        action: 'delete',
        kind: 'teib-entry',
        key: `${iface.owner} ${e.peer}`,
        reason: 'vppwg programs tunnel next hops as host routes; TEIB entries on its interfaces are leftovers',
        phase: 'nexthop-del',
        step: { t: 'teib-del', iface: { owner: iface.owner }, peer: e.peer, nh: e.nh, nhTable: e.nhTable },
        provides: `teib:${iface.owner}:${e.peer}`,
        parents: [`if:${iface.owner}`],
      });
    }
  }

  // -- ordering and dependencies --------------------------------------------------------------------

  finish(): Plan {
    // Bucket by phase (stable); inside the interface-add phase, explicit instances go first so that
    // VPP's "lowest free instance" choice for the others cannot take them.
    const buckets = new Map<Phase, Draft[]>(PHASES.map((p) => [p, []]));
    for (const d of this.drafts) buckets.get(d.phase)!.push(d);
    const adds = buckets.get('interface-add')!;
    buckets.set('interface-add', [
      ...adds.filter((d) => d.step.t === 'interface-add' && d.step.instance !== undefined),
      ...adds.filter((d) => !(d.step.t === 'interface-add' && d.step.instance !== undefined)),
    ]);
    const drafts = PHASES.flatMap((p) => buckets.get(p)!);
    const ids = new Set<string>();
    const idOf: string[] = new Array<string>(drafts.length);
    const createdBy = new Map<string, string[]>();
    const deletedBy = new Map<string, string[]>();
    // Children of a deleted resource: a delete waits for the deletes of what hangs off it.
    const childrenDeletes = new Map<string, string[]>();
    const push = (m: Map<string, string[]>, k: string, id: string): void => {
      const list = m.get(k);
      if (list) list.push(id);
      else m.set(k, [id]);
    };
    for (let i = 0; i < drafts.length; i++) {
      const d = drafts[i]!;
      let id = `${signOf(d.action)}${d.kind}:${d.key}`;
      for (let n = 2; ids.has(id); n++) id = `${id}#${n}`;
      ids.add(id);
      idOf[i] = id;
      if (d.action === 'delete') {
        push(deletedBy, d.provides, id);
        for (const p of d.parents) push(childrenDeletes, p, id);
      } else {
        push(createdBy, d.provides, id);
      }
    }
    const ops: Operation[] = new Array<Operation>(drafts.length);
    for (let i = 0; i < drafts.length; i++) {
      const d = drafts[i]!;
      const id = idOf[i]!;
      // Creates depend on a few things (an interface, a table, a peer): arrays beat Sets here.
      // A delete's list is already unique (each child is listed once per parent) and may be 10,000s long.
      const deps: string[] = d.action === 'delete' ? [...(childrenDeletes.get(d.provides) ?? [])] : [];
      const addDep = (c: string): void => {
        if (c !== id && !deps.includes(c)) deps.push(c);
      };
      if (d.action !== 'delete') {
        for (const p of d.parents) for (const c of createdBy.get(p) ?? []) addDep(c);
        // A re-created object waits for the removal of its old self.
        for (const c of deletedBy.get(d.provides) ?? []) addDep(c);
      }
      ops[i] = plannedOperation(
        {
          id: flat(id),
          action: d.action,
          kind: d.kind,
          key: flat(d.key),
          reason: flat(d.reason),
          // Exactly as long as it is: a list grown by push keeps room for 16 (150,000 operations at 50,000 peers).
          dependsOn: deps.slice(),
        },
        d.step,
        d.phase,
      );
    }
    const summary = { create: 0, modify: 0, delete: 0, adopt: 0 };
    for (const op of ops) summary[op.action]++;
    return { operations: ops, isEmpty: ops.length === 0, summary, warnings: this.warnings, notes: this.notes };
  }
}

function desiredConfig(p: DesiredPeer): PeerConfig {
  return {
    publicKey: p.publicKey,
    ...(p.endpoint ? { endpoint: { address: p.endpoint.address, port: p.endpoint.port } } : {}),
    allowedIps: p.allowedIps,
    persistentKeepalive: p.persistentKeepalive,
    underlayTable: p.underlayTable,
    ...(p.presharedKey ? { presharedKey: p.presharedKey } : {}),
  };
}

/** The peer as VPP has it, to put it back on rollback (its learned endpoint included). */
function restoreConfig(a: ActualPeer): PeerConfig {
  const psk = presharedKeyOf(a);
  return {
    publicKey: a.publicKey,
    ...(a.endpoint ? { endpoint: a.endpoint } : {}),
    allowedIps: a.allowedIps,
    persistentKeepalive: a.persistentKeepalive,
    underlayTable: a.underlayTable,
    ...(psk ? { presharedKey: makeSecretKey(psk, 'VPP (restored on rollback)') } : {}),
  };
}

function peerSummary(p: DesiredPeer): string {
  const ep = p.endpoint ? `endpoint ${endpointText(p.endpoint)}` : 'no endpoint (learned from its handshake)';
  return `new: public key ${p.publicKey}, ${ep}, allowed ${list(p.allowedIps)}${p.persistentKeepalive ? `, keepalive ${p.persistentKeepalive}` : ''}${p.presharedKey ? ', preshared key' : ''}`;
}

export function planChanges(desired: DesiredState, actual: ActualState, opts: PlanOptions = {}): Plan {
  // Uplinks matched by hardware become VPP's names first: the planner diffs by name.
  return new Planner(resolveUplinks(desired, actual), actual, opts).run();
}
