/**
 * vppwg as a library: connect to VPP, validate a desired state, plan, reconcile and show.
 *
 * ```ts
 * import { connect, validateDesiredState, reconcile } from 'vppwg';
 * const vpp = await connect({ socket: '/run/vpp/api.sock' });
 * const { state, diagnostics } = validateDesiredState(doc);
 * const result = await reconcile(vpp, state!, { dryRun: false });
 * await vpp.close();
 * ```
 *
 * The emulator is `vppwg/sim`, the daemon `vppwg/daemon`, a client of a running daemon `vppwg/api`.
 * @packageDocumentation
 */
export { connect, type ConnectOptions } from './lib/connect';
export { plan, show, readState, type ReadStateOptions } from './lib/state';
export {
  validateDesiredState,
  type DesiredStateDocument,
  type KeySourceDocument,
  type TableDocument,
  type UplinkDocument,
  type RouteDocument,
  type PeerDocument,
  type PeerRouteDocument,
  type WireguardDocument,
  type ValidateOptions,
} from './lib/desired-state';
export {
  loadDesiredState,
  formatDiagnostic,
  encodeKey,
  decodeKey,
  generatePrivateKey,
  publicKeyOf,
  type LoadResult,
} from './config';
export type {
  DesiredState,
  DesiredPeer,
  DesiredRoute,
  DesiredTable,
  DesiredUplink,
  DesiredWireguardInterface,
  Diagnostic,
  SecretKey,
} from './config';
export {
  reconcile,
  formatPlan,
  type ReconcileOptions,
  type ReconcileResult,
  type ReconcileTimings,
  type Phase,
  type Plan,
  type Operation,
  type ActualState,
  type ActualInterface,
  type ActualWireguardInterface,
  type ActualPeer,
  type ActualRoute,
  type ActualTable,
  type ActualTeibEntry,
  type ShownState,
} from './reconcile';
export type { ActualPath } from './reconcile/actual';
export type { ShownPeer } from './reconcile/format';
export type { AddressFamily } from './config/model';
export type { LoadOptions } from './config';
export { StateDir, StateDirError } from './state';
export {
  VppClient,
  VppClientError,
  VppIncompatibleError,
  VppDisconnectedError,
  DEFAULT_VPP_SOCKET,
  type ChangedMessage,
  type ReconnectOptions,
  type ReconnectingInfo,
  type VppClientOptions,
  type CallOptions,
  type CompatibilityReport,
  type TraceEntry,
  type ConnectionState,
  type VppClientEvents,
  type ClientStats,
  type IncompatibleMessage,
} from './client';
