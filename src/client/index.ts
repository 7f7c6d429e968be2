/** The VPP API client: import everything from here. */
export {
  VppClient,
  type VppClientOptions,
  type CallOptions,
  type CompatibilityReport,
  type ChangedMessage,
  type TraceEntry,
  type ReconnectOptions,
  type ReconnectingInfo,
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
