/**
 * What a plan is made of, shared by the planner (./plan.ts), its route part (./route-diff.ts) and
 * the executor (./apply.ts): operations and their phases in execution order, the steps the
 * executor runs, and the drafts the planning steps produce before the planner orders them.
 */
import type { AddressFamily, SecretKey } from '../config/model';
import type { Action } from './action';
import type { IfRef } from './if-ref';
import type { LcpStep } from './lcp-plan';

export interface Operation {
  id: string;
  action: Action;
  kind: string;
  key: string;
  reason: string;
  dependsOn: string[];
}

export interface Plan {
  operations: Operation[];
  isEmpty: boolean;
  summary: { create: number; modify: number; delete: number; adopt: number };
  /**
   * What the operator must act on, printed loudly ('!'): an interface's private key changes, so
   * every peer must be given its new public key.
   */
  warnings: string[];
  /** Differences that are deliberately not drift (learned/roamed endpoints), for the operator. */
  notes: string[];
}

/** The phases, in execution order. */
export const PHASES = [
  // First: an interface an interrupted run left untagged is vppwg's again before anything else.
  'interface-tag',
  'admin-down',
  // A pair goes before its interface (linux-cp would take it along, but vppwg says so first).
  'lcp-pair-del',
  'route-del',
  'nexthop-del',
  'underlay-route-del',
  'peer-del',
  'address-del',
  'interface-del',
  'table-add',
  'interface-add',
  'binding',
  'mtu',
  // linux-cp's default namespace before the first pair, each pair once its interface exists.
  'lcp-netns',
  'lcp-pair-add',
  'address-add',
  // The underlay before the tunnels: an uplink comes up, then its routes go in (VPP sends a
  // speculative ARP for a route's gateway), so the gateway is resolved when the WireGuard
  // interface comes up and sends its first handshakes, which VPP would otherwise drop while
  // resolving it and retry only 5 s later (measured after a VPP restart).
  'uplink-up',
  'underlay-route',
  'peer-add',
  'nexthop',
  'route',
  // After the binding phase (an interface that stays may be bound to the table until it moves it).
  'table-del',
  // Last: once a WireGuard interface is up VPP computes a first handshake for each of its peers
  // (about 0.25 ms each), and everything sent after it waits behind that work.
  'admin-up',
] as const;
export type Phase = (typeof PHASES)[number];

export interface PathRef {
  readonly iface: IfRef;
  readonly nh: string;
}

export interface PeerConfig {
  readonly publicKey: string;
  readonly endpoint?: { readonly address: string; readonly port: number };
  readonly allowedIps: readonly string[];
  readonly persistentKeepalive: number;
  readonly underlayTable: number;
  readonly presharedKey?: SecretKey;
}

export type Step =
  | { t: 'table'; add: boolean; id: number; family: AddressFamily; name: string }
  | {
      t: 'interface-add';
      owner: string;
      instance?: number;
      privateKey: SecretKey | 'generate';
      listenPort: number;
      source: string;
    }
  | { t: 'interface-del'; owner: string }
  | { t: 'set-table'; iface: IfRef; family: AddressFamily; table: number; previous: number }
  | { t: 'set-mtu'; iface: IfRef; mtu: readonly number[]; previous: readonly number[] }
  | { t: 'address'; iface: IfRef; add: boolean; address: string }
  | { t: 'peer-add'; owner: string; peer: PeerConfig }
  | { t: 'peer-remove'; owner: string; peerIndex: number; restore: PeerConfig }
  | { t: 'route'; table: number; prefix: string; paths: readonly PathRef[]; previous: readonly PathRef[] }
  | { t: 'teib-del'; iface: IfRef; peer: string; nh: string; nhTable: number }
  | { t: 'admin'; iface: IfRef; up: boolean; previous: boolean }
  | LcpStep;

/** Tagging an interface an interrupted run created (see adopt.ts); the executor's other steps live in vpp.ts. */
export interface TagStep {
  readonly t: 'tag';
  readonly owner: string;
  readonly swIfIndex: number;
}

export type PlannedStep = Step | TagStep;

/**
 * What the executor needs rides on symbol keys: JSON.stringify and Object.keys skip them, so a plan
 * never serialises key material (and symbol properties keep the objects fast, unlike defineProperty).
 */
const STEP = Symbol('step');
const PHASE = Symbol('phase');

interface PlannedOperation extends Operation {
  readonly [STEP]: PlannedStep;
  readonly [PHASE]: Phase;
}

/** An operation carrying its step and phase (under the symbol keys above). */
export function plannedOperation(op: Operation, step: PlannedStep, phase: Phase): Operation {
  // One literal, so every operation of a plan (150,000 at 50,000 peers) has the same shape.
  const planned: PlannedOperation = {
    id: op.id,
    action: op.action,
    kind: op.kind,
    key: op.key,
    reason: op.reason,
    dependsOn: op.dependsOn,
    [STEP]: step,
    [PHASE]: phase,
  };
  return planned;
}

export function stepOf(op: Operation): PlannedStep {
  return (op as PlannedOperation)[STEP];
}
export function phaseOf(op: Operation): Phase {
  return (op as PlannedOperation)[PHASE];
}

export interface Draft {
  action: Operation['action'];
  kind: string;
  key: string;
  reason: string;
  phase: Phase;
  step: PlannedStep;
  /** Resource this operation creates, changes or deletes. */
  provides: string;
  /** Resources it hangs off: created before it, deleted after it. */
  parents: string[];
}

export type Fate = 'keep' | 'replace' | 'delete';

/**
 * `s` as one flat string. V8 keeps a string built by concatenation as a tree of its pieces until a
 * character of it is read, which flattens it and frees the pieces: a plan's texts live as long as
 * the plan, and at 50,000 peers its 150,000 reasons, ids and keys held 60 MB as trees.
 */
export function flat(s: string): string {
  s.charCodeAt(0);
  return s;
}
