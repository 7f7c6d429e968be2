/**
 * Planning linux-cp: the pairs of vppwg's WireGuard interfaces (TUN: a layer-3 tunnel) and of the
 * uplinks the file names (TAP), and the default namespace, set before the first pair. A pair hangs
 * off its interface: created after it, deleted before it (./plan.ts orders by the resources named
 * here). Pairs on interfaces vppwg neither owns nor is told about are shown and left alone.
 */
import type { DesiredState } from '../config/model';
import type { Action } from './action';
import type { ActualState } from './actual';
import { ifResource, type IfRef } from './if-ref';
import type { ActualPair, HostType } from './lcp-actual';
import { linuxCpMissing } from './lcp-messages';

export type LcpPhase = 'lcp-netns' | 'lcp-pair-del' | 'lcp-pair-add';

export type LcpStep =
  | { t: 'lcp-netns'; netns: string; previous: string }
  | { t: 'lcp-pair'; add: boolean; iface: IfRef; hostName: string; hostType: HostType; netns: string };

/** A draft operation in ./plan.ts's shape. */
export interface LcpDraft {
  action: Action;
  kind: string;
  key: string;
  reason: string;
  phase: LcpPhase;
  step: LcpStep;
  provides: string;
  parents: string[];
}

/** What becomes of an owned interface (./plan.ts decides it first). */
export type InterfaceFate = 'keep' | 'replace' | 'delete';

const NETNS_RESOURCE = 'lcp-netns';

interface WantedPair {
  readonly iface: IfRef;
  readonly label: string;
  readonly hostName: string;
  readonly hostType: HostType;
  readonly netns: string;
}

function wantedPairs(desired: DesiredState, actual: ActualState): WantedPair[] {
  const netns = desired.linuxCp?.netns ?? '';
  const out: WantedPair[] = [];
  for (const w of desired.wireguard) {
    if (w.hostInterface !== undefined)
      out.push({ iface: { owner: w.name }, label: w.name, hostName: w.hostInterface, hostType: 'tun', netns });
  }
  for (const u of desired.uplinks) {
    const cur = actual.interfacesByName.get(u.name);
    if (u.hostInterface !== undefined && cur)
      out.push({
        iface: { swIfIndex: cur.swIfIndex, name: cur.name },
        label: u.name,
        hostName: u.hostInterface,
        hostType: 'tap',
        netns,
      });
  }
  return out;
}

/** What must hold before anything changes: linux-cp present, host names free. */
export function lcpProblems(desired: DesiredState, actual: ActualState): string[] {
  const wants = desired.linuxCp !== undefined || wantedPairs(desired, actual).length > 0;
  if (!wants) return [];
  if (!actual.lcp) return [linuxCpMissing()];
  const problems: string[] = [];
  const mine = new Set<number>([...actual.owned.interfaces.values()]);
  for (const u of desired.uplinks) {
    const i = actual.interfacesByName.get(u.name);
    if (i && u.hostInterface !== undefined) mine.add(i.swIfIndex);
  }
  for (const want of wantedPairs(desired, actual)) {
    for (const p of actual.lcp.pairs.values()) {
      if (p.hostName !== want.hostName || mine.has(p.swIfIndex)) continue;
      const holder = actual.interfaces.get(p.swIfIndex)?.name ?? `sw_if_index ${p.swIfIndex}`;
      problems.push(
        `host interface "${want.hostName}" of "${want.label}" is already the Linux side of ${holder}'s pair, which vppwg does not manage: pick another host_interface or remove that pair`,
      );
    }
  }
  return problems;
}

function same(a: ActualPair, w: WantedPair): boolean {
  return a.hostName === w.hostName && a.hostType === w.hostType && a.netns === w.netns;
}

function describe(p: { hostName: string; hostType: HostType; netns: string }): string {
  return `${p.hostName} (${p.hostType.toUpperCase()}) in netns ${p.netns || '(default)'}`;
}

/** The pair and namespace operations; `fates` by sw_if_index of vppwg's interfaces. */
export function planLcp(
  desired: DesiredState,
  actual: ActualState,
  fates: ReadonlyMap<number, InterfaceFate>,
): LcpDraft[] {
  const lcp = actual.lcp;
  if (!lcp) return [];
  const drafts: LcpDraft[] = [];
  const netns = desired.linuxCp?.netns;
  if (netns !== undefined && lcp.defaultNetns !== netns) {
    drafts.push({
      action: 'modify',
      kind: 'linux-cp-netns',
      key: 'default',
      reason: `${lcp.defaultNetns || '(none)'} → ${netns}: the namespace the routing daemon runs in`,
      phase: 'lcp-netns',
      step: { t: 'lcp-netns', netns, previous: lcp.defaultNetns },
      provides: NETNS_RESOURCE,
      parents: [],
    });
  }
  const del = (iface: IfRef, label: string, p: ActualPair, reason: string): void => {
    drafts.push({
      action: 'delete',
      kind: 'linux-cp-pair',
      key: `${label} ${p.hostName}`,
      reason,
      phase: 'lcp-pair-del',
      step: { t: 'lcp-pair', add: false, iface, hostName: p.hostName, hostType: p.hostType, netns: p.netns },
      provides: `pair:${label}`,
      parents: [ifResource(iface)],
    });
  };
  const add = (w: WantedPair, reason: string): void => {
    drafts.push({
      action: 'create',
      kind: 'linux-cp-pair',
      key: `${w.label} ${w.hostName}`,
      reason,
      phase: 'lcp-pair-add',
      step: { t: 'lcp-pair', add: true, iface: w.iface, hostName: w.hostName, hostType: w.hostType, netns: w.netns },
      provides: `pair:${w.label}`,
      parents: [ifResource(w.iface), NETNS_RESOURCE],
    });
  };

  const wanted = new Map(wantedPairs(desired, actual).map((w) => [w.label, w]));
  // vppwg's interfaces: their pairs are vppwg's.
  for (const [owner, idx] of actual.owned.interfaces) {
    const cur = lcp.pairs.get(idx);
    const w = wanted.get(owner);
    const fate = fates.get(idx) ?? 'keep';
    if (cur && (fate !== 'keep' || !w || !same(cur, w)))
      del(
        { owner },
        owner,
        cur,
        fate === 'delete'
          ? 'its interface is not in the file'
          : fate === 'replace'
            ? 'its interface is recreated'
            : !w
              ? 'the interface has no host_interface in the file'
              : `changed: ${describe(cur)} → ${describe(w)}`,
      );
    if (w && (!cur || fate !== 'keep' || !same(cur, w))) add(w, cur && fate === 'keep' ? 'changed' : describe(w));
    wanted.delete(owner);
  }
  // New interfaces and the uplinks the file pairs.
  for (const w of wanted.values()) {
    const cur = 'owner' in w.iface ? undefined : lcp.pairs.get(w.iface.swIfIndex);
    if (cur && same(cur, w)) continue;
    if (cur) del(w.iface, w.label, cur, `changed: ${describe(cur)} → ${describe(w)}`);
    add(w, cur ? 'changed' : describe(w));
  }
  return drafts;
}
