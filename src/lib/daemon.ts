/**
 * `vppwg/daemon`: `vppwg serve` in-process. It keeps VPP as the desired-state file says (watching
 * the file, resyncing after VPP restarts, repairing drift) and serves the ws + protobuf API that
 * `vppwg/api` speaks.
 * @packageDocumentation
 */
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Daemon } from '../daemon/daemon';
import { createLogger } from '../daemon/logger';
import { apiUrl } from '../daemon/apiClient';
import { loadOrCreateToken } from '../daemon/token';
import { DEFAULT_VPP_SOCKET } from '../client';

export { ConfigError, DaemonLockedError } from '../daemon/daemon';

export interface DaemonStartOptions {
  /** The desired-state file (YAML or JSON); reloaded when it changes. */
  config: string;
  /** VPP's API socket; default `/run/vpp/api.sock`. */
  socket?: string;
  /** Where the API listens; default 127.0.0.1 on a free port (see `RunningDaemon.url`). */
  listen?: { host: string; port: number };
  /** The API bearer token file (created with a random token if absent); default a new private temporary file. */
  tokenFile?: string;
  /** Keeps generated keys and learned endpoints across restarts; default none. */
  stateDir?: string;
  /** How often VPP is compared with the desired state, in ms; 0 = never. Default 30000. */
  driftIntervalMs?: number;
  /** 'error', 'warn', 'info' (default), 'debug'; logs go to `logStream` or stdout as JSON lines. */
  logLevel?: string;
  logStream?: NodeJS.WritableStream;
}

export interface RunningDaemon {
  /** The API's ws:// URL, for `connectDaemon` (vppwg/api). */
  readonly url: string;
  /** The bearer token the API wants. */
  readonly token: string;
  /** Resolves with the first reconcile's outcome once it has run. */
  firstReconcile(): Promise<{ ok: boolean; summary: string; error: string }>;
  /** Finishes the operation in flight, leaves VPP, closes the API. */
  stop(): Promise<void>;
}

/**
 * Starts the daemon: the API first, then the desired state (an invalid file rejects with
 * ConfigError), then the VPP connection in the background (retried until VPP is there).
 */
export async function startDaemon(opts: DaemonStartOptions): Promise<RunningDaemon> {
  const tokenFile = opts.tokenFile ?? join(mkdtempSync(join(tmpdir(), 'vppwg-daemon-')), 'api.token');
  const { token } = loadOrCreateToken(tokenFile);
  const logger = createLogger({
    format: 'json',
    ...(opts.logLevel !== undefined ? { level: opts.logLevel } : {}),
    ...(opts.logStream ? { stream: opts.logStream as import('node:stream').Writable } : {}),
  });
  const daemon = new Daemon({
    configPath: opts.config,
    socketPath: opts.socket ?? DEFAULT_VPP_SOCKET,
    listen: opts.listen ?? { host: '127.0.0.1', port: 0 },
    tokenFile,
    driftIntervalMs: opts.driftIntervalMs ?? 30_000,
    notify: false,
    logger,
    ...(opts.stateDir !== undefined ? { stateDir: opts.stateDir } : {}),
  });
  const reconciled = new Promise<{ ok: boolean; summary: string; error: string }>((resolve) =>
    daemon.once('reconciled', (s: { ok: boolean; summary: string; error: string }) => resolve(s)),
  );
  try {
    await daemon.start();
  } catch (err) {
    await daemon.stop('start failed');
    throw err;
  }
  return {
    url: apiUrl(daemon.apiAddress()),
    token,
    firstReconcile: () => reconciled,
    stop: () => daemon.stop(),
  };
}
