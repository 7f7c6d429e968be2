/**
 * Connecting to VPP for the reconciler: the client knows every message vppwg uses, so a caller
 * never lists them.
 */
import { VppClient, DEFAULT_VPP_SOCKET } from '../client';
import { reconcileMessages } from '../reconcile';
import { DAEMON_MESSAGES } from '../daemon/vpp-messages';

export interface ConnectOptions {
  /** VPP's API socket; default `/run/vpp/api.sock`. */
  socket?: string;
  /** Per-call timeout in ms; default 5000. */
  timeoutMs?: number;
  /** Reconnect after VPP restarts (default false: a lost VPP fails the calls in flight and later ones). */
  reconnect?: boolean;
  /** Name VPP shows for this client (`show api clients`); default 'vppwg'. */
  clientName?: string;
}

/**
 * Connects to VPP's binary API socket. Fails, naming each message, if VPP lacks one the
 * reconciler cannot do without; newer messages (peers with preshared keys) are used when VPP has them.
 */
export function connect(opts: ConnectOptions = {}): Promise<VppClient> {
  return VppClient.connect({
    socketPath: opts.socket ?? DEFAULT_VPP_SOCKET,
    messages: [...reconcileMessages(), ...DAEMON_MESSAGES],
    reconnect: opts.reconnect ? {} : false,
    ...(opts.timeoutMs !== undefined ? { timeoutMs: opts.timeoutMs } : {}),
    ...(opts.clientName !== undefined ? { clientName: opts.clientName } : {}),
  });
}
