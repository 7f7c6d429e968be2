/**
 * The unix socket to VPP's binary API: opening it (with a hint per failure an operator can act
 * on), wiring its events to the framer and the client, and explaining a failed handshake.
 */
import { createConnection, type Socket } from 'node:net';
import { DEFAULT_VPP_SOCKET } from './defaults';
import { VppDisconnectedError, VppProtocolError, VppTimeoutError } from './errors';
import type { FrameHandler, Framer } from './framer';

/** What an operator should check for the error code of a failed connect to the API socket. */
export function connectHint(code: string | undefined): string {
  switch (code) {
    case 'ENOENT':
      return 'no socket there: is VPP running, with this path as socksvr { socket-name } in its startup.conf?';
    case 'ECONNREFUSED':
      return 'nothing listens there: VPP is stopped, or the file is a stale socket or not a socket';
    case 'EACCES':
    case 'EPERM':
      return "permission denied: run as root or as a member of the socket's group (e.g. usermod -aG vpp USER)";
    case 'ENOTDIR':
      return 'a part of the path is not a directory: check the path';
    default:
      return "is VPP running with its API socket there? It is socksvr { socket-name } in VPP's startup.conf";
  }
}

/** Connect to `socketPath`; rejects with a VppDisconnectedError naming the path, the code and a hint. */
export function openSocket(socketPath: string): Promise<Socket> {
  return new Promise<Socket>((resolve, reject) => {
    const s = createConnection(socketPath);
    const onError = (e: Error): void => {
      s.destroy();
      const code = (e as NodeJS.ErrnoException).code;
      reject(
        new VppDisconnectedError(
          `cannot connect to VPP at ${socketPath}: ${code ?? e.message} (${connectHint(code)})`,
          undefined,
          e,
        ),
      );
    };
    s.once('error', onError);
    s.once('connect', () => {
      s.off('error', onError);
      resolve(s);
    });
  });
}

export interface SocketHandlers {
  onFrame: FrameHandler;
  /** The byte stream is not VPP API frames: the socket is being destroyed. */
  onProtocolError: (e: VppProtocolError) => void;
  onDrain: () => void;
  /** The socket closed; `cause` is the first error seen on it, if any. */
  onClose: (cause: Error | undefined) => void;
  /** False once the client moved on to another socket: this one's data is ignored. */
  isCurrent: () => boolean;
}

/** Feed `sock`'s bytes through `framer` (reset here) and report its drain and close. */
export function watchSocket(sock: Socket, framer: Framer, h: SocketHandlers): void {
  framer.reset();
  sock.setNoDelay?.(true);
  let closeCause: Error | undefined;
  sock.on('data', (chunk: Buffer) => {
    if (!h.isCurrent()) return;
    const err = framer.push(chunk, h.onFrame);
    if (err) {
      closeCause = err;
      h.onProtocolError(err);
      sock.destroy();
    }
  });
  sock.on('drain', h.onDrain);
  sock.on('error', (e) => {
    closeCause ??= e;
  });
  sock.on('close', () => h.onClose(closeCause));
}

/**
 * The error for a handshake that failed by timeout or disconnect: something answers at the path
 * but not as VPP's API does (often the CLI socket, cli-listen). Other errors are returned as they are.
 */
export function handshakeError(e: unknown, socketPath: string): unknown {
  if (!(e instanceof VppTimeoutError || e instanceof VppDisconnectedError)) return e;
  const what =
    e instanceof VppTimeoutError
      ? `accepted the connection but did not answer VPP's handshake (sockclnt_create) within ${e.timeoutMs} ms`
      : e.cause instanceof VppProtocolError
        ? `sent bytes that are not VPP API frames (${e.cause.message})`
        : 'closed the connection during the handshake (sockclnt_create)';
  return new VppDisconnectedError(
    `cannot connect to VPP at ${socketPath}: it ${what}; is it VPP's binary API socket ` +
      `(socksvr { socket-name } in startup.conf, default ${DEFAULT_VPP_SOCKET}) and not its CLI socket (cli-listen)?`,
    undefined,
    e,
  );
}
