/**
 * Codec for the daemon API. vppwg.proto is the one definition (other languages use it too);
 * `npm run proto` (run by `npm run build`) compiles it with protobufjs-cli into gen/vppwg.descriptor.json,
 * which is compiled into dist/ with this module: nothing is looked up in the source tree at run time.
 * The message types below are what decode returns (scalars present, enums by name), which the
 * generated declarations cannot say; proto-fields.ts holds them to the .proto field by field, and
 * test/daemon/proto-descriptor.test.ts fails when gen/ is stale.
 */
import protobuf from 'protobufjs';
import descriptor from './gen/vppwg.descriptor.json';

export type EventKindName =
  | 'RECONCILE_DONE'
  | 'DRIFT_REPAIRED'
  | 'PEER_UP'
  | 'PEER_DOWN'
  | 'PEER_REMOVED'
  | 'VPP_CONNECTED'
  | 'VPP_LOST'
  | 'CONFIG_REJECTED'
  | 'LINK_DOWN'
  | 'LINK_UP';

export interface ApiDiagnostic {
  severity: string;
  file: string;
  line: number;
  column: number;
  path: string;
  message: string;
}

export interface ApiError {
  code: string;
  message: string;
  diagnostics?: ApiDiagnostic[];
}

export interface VppStatusMsg {
  connected: boolean;
  version: string;
  socketPath: string;
  sinceMs: number;
  connects: number;
}

export interface ReconcileSummaryMsg {
  trigger: string;
  ok: boolean;
  finishedAtMs: number;
  durationMs: number;
  summary: string;
  operations: number;
  applied: number;
  rolledBack: boolean;
  verified: boolean;
  error: string;
}

export interface PeerStatusMsg {
  interface: string;
  name: string;
  publicKey: string;
  peerIndex: number;
  swIfIndex: number;
  established: boolean;
  sinceMs: number;
  lastEventFlags: number;
  lastEventAtMs: number;
  /** When VPP last reported it ESTABLISHED; 0 = not seen (see vppwg.proto). */
  lastHandshakeAtMs: number;
}

/** An uplink's link state (see vppwg.proto UplinkStatus). */
export interface UplinkStatusMsg {
  name: string;
  vppName: string;
  swIfIndex: number;
  adminUp: boolean;
  linkUp: boolean;
  sinceMs: number;
  linkChanges: number;
}

export interface ConfigRejectionMsg {
  atMs: number;
  file: string;
  diagnostics: ApiDiagnostic[];
}

export interface StatusMsg {
  vpp: VppStatusMsg;
  lastReconcile?: ReconcileSummaryMsg;
  peers: PeerStatusMsg[];
  ready: boolean;
  desiredSource: string;
  configRejected?: ConfigRejectionMsg;
  driftRepairs: number;
  reconciles: number;
  startedAtMs: number;
  daemonVersion: string;
  uplinks?: UplinkStatusMsg[];
}

export interface PlanResultMsg {
  empty: boolean;
  summary: string;
  text: string;
  json: string;
  diagnostics: ApiDiagnostic[];
}

export interface ApplyResultMsg {
  ok: boolean;
  plan?: PlanResultMsg;
  applied: number;
  rolledBack: boolean;
  verified: boolean;
  durationMs: number;
  error: string;
}

export interface EventMsg {
  kind: EventKindName;
  atMs: number;
  message: string;
  reconcile?: ReconcileSummaryMsg;
  peer?: PeerStatusMsg;
  vpp?: VppStatusMsg;
  configRejected?: ConfigRejectionMsg;
  uplink?: UplinkStatusMsg;
}

export interface StateDocumentMsg {
  json: string;
  text: string;
}

export interface DocumentRequest {
  document: string;
  name?: string;
  baseDir?: string;
}

export interface RequestMsg {
  id: number;
  getStatus?: Record<string, never>;
  getDesiredState?: Record<string, never>;
  getActualState?: Record<string, never>;
  plan?: DocumentRequest;
  apply?: DocumentRequest & { noRollback?: boolean; dryRun?: boolean };
  subscribe?: { kinds?: EventKindName[] };
  unsubscribe?: { subscriptionId: number };
  /** Name of the arm set (decode only). */
  body?: 'getStatus' | 'getDesiredState' | 'getActualState' | 'plan' | 'apply' | 'subscribe' | 'unsubscribe';
}

export interface ResponseMsg {
  id: number;
  ok: boolean;
  error?: ApiError;
  status?: StatusMsg;
  desiredState?: StateDocumentMsg;
  actualState?: StateDocumentMsg;
  plan?: PlanResultMsg;
  apply?: ApplyResultMsg;
  subscribed?: Record<string, never>;
  unsubscribed?: Record<string, never>;
  event?: EventMsg;
  /** Name of the arm set (decode only). */
  body?: 'status' | 'desiredState' | 'actualState' | 'plan' | 'apply' | 'subscribed' | 'event' | 'unsubscribed';
}

let cached: { request: protobuf.Type; response: protobuf.Type } | undefined;

function types(): { request: protobuf.Type; response: protobuf.Type } {
  if (!cached) {
    const root = protobuf.Root.fromJSON(descriptor);
    cached = { request: root.lookupType('vppwg.v1.Request'), response: root.lookupType('vppwg.v1.Response') };
  }
  return cached;
}

// Defaults so that absent scalars read as 0/''/false; oneofs so `body` names the arm.
const toObjectOptions: protobuf.IConversionOptions = {
  longs: Number,
  enums: String,
  defaults: true,
  oneofs: true,
  arrays: true,
};

function encode(type: protobuf.Type, value: object): Uint8Array {
  // fromObject converts enum names and drops unknown keys, which plain encode() would not.
  return type.encode(type.fromObject(value as Record<string, unknown>)).finish();
}

function decode<T>(type: protobuf.Type, bytes: Uint8Array): T {
  const message = type.decode(bytes);
  return type.toObject(message, toObjectOptions) as T;
}

export function encodeRequest(req: RequestMsg): Uint8Array {
  return encode(types().request, req);
}

/** Throws (protobufjs error) when the bytes are not a Request. */
export function decodeRequest(bytes: Uint8Array): RequestMsg {
  return decode<RequestMsg>(types().request, bytes);
}

export function encodeResponse(res: ResponseMsg): Uint8Array {
  return encode(types().response, res);
}

export function decodeResponse(bytes: Uint8Array): ResponseMsg {
  return decode<ResponseMsg>(types().response, bytes);
}
