/**
 * The VPP API client: import everything from here.
 *
 *   const vpp = await VppClient.connect({ socketPath, requireMessages: ['wireguard_peer_add'] });
 *   vpp.on('connected', () => resubscribeAndResync()); // after every reconnect
 *   const { sw_if_index } = await vpp.call(wireguard.wireguard_interface_create, { interface: {...} });
 *   const peers = await vpp.dump(wireguard.wireguard_peers_dump, { peer_index: 0xffffffff });
 *   const off = vpp.subscribe(wireguard.wireguard_peer_event, (e) => ...);
 *   await vpp.close();
 *
 * Calls pipeline on one connection (maxInFlight at a time, the rest queued already encoded);
 * each has a timeout from the moment it is written; a lost connection rejects every pending call
 * with VppDisconnectedError and reconnects with backoff, re-reading VPP's message table.
 */
export {
  VppClient,
  type VppClientOptions,
  type CallOptions,
  type CompatibilityReport,
  type ChangedMessage,
  type TraceEntry,
  type ReconnectOptions,
  type ReconnectingInfo,
  type ConnectionState,
  type VppClientEvents,
  type ClientStats,
} from './client';
export {
  VppErrno,
  vppErrorName,
  VppClientError,
  VppApiError,
  VppTimeoutError,
  VppDisconnectedError,
  VppIncompatibleError,
  VppProtocolError,
  type VppErrnoName,
  type IncompatibleMessage,
} from './errors';
export { Framer, encodeFrame, HEADER_BYTES } from './framer';
export * as bootstrap from './bootstrap';
export { DEFAULT_VPP_SOCKET } from './defaults';
