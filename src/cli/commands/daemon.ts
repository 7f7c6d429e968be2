import { Option, type Command } from 'commander';
import type { ExitCode } from '../exit-code';
import { DEFAULT_VPP_SOCKET as DEFAULT_SOCKET } from '../../client';
import type { DesiredSource } from '../../daemon/desired-source';
import { DEFAULT_PREFIX } from '../../fleet/layout';
import { LOG_LEVELS, parseLogLevel } from '../../daemon/log-levels';
import { DEFAULT_STATE_DIR } from '../../state';
import { Backoff } from '../../util/backoff';
import { DEFAULT_LISTEN, parseListen } from '../../daemon/listen';
import { defaultTokenFile, readToken } from '../../daemon/token';
import type { DaemonApiClient } from '../../daemon/apiClient';
import type { EventKindName, EventMsg, StatusMsg } from '../../daemon/api/proto';

// The daemon, its logger and its API client (winston, ws, protobufjs, prom-client) load when a
// command runs, not when the CLI starts: every other command would pay for them.
/* eslint-disable @typescript-eslint/no-require-imports */
const daemonModules = () => ({
  daemon: require('../../daemon/daemon') as typeof import('../../daemon/daemon'),
  fileSource: require('../../daemon/file-source') as typeof import('../../daemon/file-source'),
  logger: require('../../daemon/logger') as typeof import('../../daemon/logger'),
});
const apiClientModule = () => require('../../daemon/apiClient') as typeof import('../../daemon/apiClient');
/* eslint-enable @typescript-eslint/no-require-imports */

/** Hard limit for the whole shutdown path (the issue's 10 s, with margin). */
const SHUTDOWN_GUARD_MS = 9500;
const EVENT_KINDS: EventKindName[] = [
  'RECONCILE_DONE',
  'DRIFT_REPAIRED',
  'PEER_UP',
  'PEER_DOWN',
  'PEER_REMOVED',
  'VPP_CONNECTED',
  'VPP_LOST',
  'CONFIG_REJECTED',
  'LINK_DOWN',
  'LINK_UP',
];

interface ServeOptions {
  config?: string;
  etcd?: string;
  node?: string;
  etcdPrefix?: string;
  etcdCa?: string;
  etcdCert?: string;
  etcdKey?: string;
  adopt?: boolean;
  socket: string;
  listen: string;
  tokenFile: string;
  metrics?: string;
  driftInterval: string;
  debounceMs: string;
  logFormat?: 'json' | 'text';
  logLevel?: string;
  stateDir: string;
}

interface ClientOptions {
  api: string;
  /** Deprecated spelling of --api (hidden). */
  listen?: string;
  tokenFile: string;
  json?: boolean;
}

/** Registers: serve, status, events. */
export function registerDaemonCommands(program: Command, exit: ExitCode): void {
  program
    .command('serve')
    .description(
      'run the agent: keep VPP equal to the desired-state file (and/or the fleet in etcd), serve the API, health and metrics',
    )
    .option('--config <file>', 'desired-state file (YAML or JSON); watched, and reloaded on SIGHUP')
    .option('--etcd <urls>', 'fleet mode: comma-separated etcd endpoints (with --node); merged with --config if given')
    .option('--node <name>', "fleet mode: this appliance's node name")
    .option('--etcd-prefix <prefix>', `fleet mode: key prefix (default ${DEFAULT_PREFIX})`)
    .option('--etcd-ca <file>', 'fleet mode: CA certificate for etcd TLS')
    .option('--etcd-cert <file>', 'fleet mode: client certificate for etcd TLS')
    .option('--etcd-key <file>', 'fleet mode: client key for etcd TLS')
    .option(
      '--adopt',
      'at start, take over WireGuard interfaces made outside vppwg that the desired state describes (tags them only)',
    )
    .option('--socket <path>', 'VPP API socket', DEFAULT_SOCKET)
    .option('--listen <addr>', 'API listen address (ws)', DEFAULT_LISTEN)
    .option('--token-file <file>', 'API bearer token file (generated, mode 0600, when absent)', defaultTokenFile())
    .option('--metrics <addr>', 'serve /healthz and /metrics here instead of on the API listener')
    .option('--drift-interval <seconds>', 'observe VPP and repair drift this often; 0 = off', '30')
    .option('--debounce-ms <ms>', 'quiet time after a file change before reloading', '500')
    .option('--log-format <format>', 'json (default unless stdout is a terminal) or text')
    .option('--log-level <level>', `${LOG_LEVELS.join(', ')} (default: VPPWG_LOG_LEVEL, else info)`)
    .option(
      '--state-dir <dir>',
      'where generated keys and learned peer endpoints are kept across restarts',
      DEFAULT_STATE_DIR,
    )
    .action(async (o: ServeOptions) => {
      exit.code = await serve(o);
    });

  program
    .command('status')
    .description('show the running daemon’s view: VPP connection, last reconcile, peers')
    .option('--api <addr>', 'the daemon API address', DEFAULT_LISTEN)
    .addOption(deprecatedListen())
    .option('--token-file <file>', 'API bearer token file', defaultTokenFile())
    .option('--json', 'print the status as JSON')
    .action(async (o: ClientOptions) => {
      exit.code = await status(o);
    });

  program
    .command('events')
    .description(
      'stream the daemon’s events (reconciles, drift repairs, peers up/down, VPP connected/lost, uplink links down/up) until interrupted; follows the daemon across its restarts',
    )
    .option('--api <addr>', 'the daemon API address', DEFAULT_LISTEN)
    .addOption(deprecatedListen())
    .option('--token-file <file>', 'API bearer token file', defaultTokenFile())
    .option('--kinds <list>', `comma-separated subset of ${EVENT_KINDS.join(',')}`)
    .option('--json', 'one JSON object per event')
    .action(async (o: ClientOptions & { kinds?: string }) => {
      exit.code = await events(o);
    });
}

/** `--listen` on status/events: the old name of --api, still taken. */
function deprecatedListen(): Option {
  return new Option('--listen <addr>', 'deprecated: use --api').hideHelp();
}

function apiAddressOf(o: ClientOptions): string {
  return o.listen ?? o.api;
}

async function serve(o: ServeOptions): Promise<number> {
  const drift = Number(o.driftInterval);
  const debounce = Number(o.debounceMs);
  if (!Number.isFinite(drift) || drift < 0)
    return usage(`--drift-interval ${o.driftInterval}: give seconds >= 0 (0 turns drift checks off)`);
  if (!Number.isInteger(debounce) || debounce < 0)
    return usage(`--debounce-ms ${o.debounceMs}: give whole milliseconds >= 0`);
  if (o.logFormat && o.logFormat !== 'json' && o.logFormat !== 'text')
    return usage(`--log-format ${o.logFormat}: use json or text`);
  let listen, metrics;
  try {
    listen = parseListen(o.listen);
    metrics = o.metrics ? parseListen(o.metrics) : undefined;
  } catch (err) {
    return usage((err as Error).message);
  }
  let level;
  try {
    level =
      o.logLevel !== undefined
        ? parseLogLevel(o.logLevel, '--log-level')
        : parseLogLevel(process.env.VPPWG_LOG_LEVEL ?? 'info', 'VPPWG_LOG_LEVEL');
  } catch (err) {
    return usage((err as Error).message);
  }
  if (!o.config && !o.etcd) return usage('give --config FILE, or --etcd URLS with --node NAME (fleet mode), or both');
  if (o.etcd && !o.node) return usage('--etcd needs --node NAME: the name this appliance has in the fleet');
  if (o.node && !o.etcd) return usage('--node is for fleet mode: give --etcd URLS too');
  const { daemon: daemonModule, fileSource: fileSourceModule, logger } = daemonModules();
  const logging = logger.createLogger({ format: o.logFormat, level });
  let desiredSource: DesiredSource | undefined;
  if (o.etcd) {
    const fileSource = o.config
      ? new fileSourceModule.FileDesiredSource(o.config, debounce, (err) =>
          logging.logger.warn(`watching ${o.config} failed: ${err.message}; send SIGHUP after editing it`),
        )
      : undefined;
    // Loaded only in fleet mode: the etcd client (gRPC) is heavy for a file-only daemon.
    // eslint-disable-next-line @typescript-eslint/no-require-imports
    const fleet = require('../../fleet') as typeof import('../../fleet');
    try {
      desiredSource = await fleet.createFleetSource({
        endpoints: o.etcd
          .split(',')
          .map((u) => u.trim())
          .filter(Boolean),
        node: o.node!,
        ...(o.etcdPrefix ? { prefix: o.etcdPrefix } : {}),
        ...(o.etcdCa || o.etcdCert || o.etcdKey ? { tls: { ca: o.etcdCa, cert: o.etcdCert, key: o.etcdKey } } : {}),
        stateDir: o.stateDir,
        ...(fileSource ? { fileSource } : {}),
        warn: (message) => logging.logger.warn(message),
      });
    } catch (err) {
      logging.logger.error((err as Error).message);
      return err instanceof fleet.StoreConfigError ? 2 : 1;
    }
  }
  const daemon = new daemonModule.Daemon({
    ...(o.config ? { configPath: o.config } : {}),
    ...(desiredSource ? { desiredSource } : {}),
    ...(o.adopt ? { adopt: true } : {}),
    stateDir: o.stateDir,
    socketPath: o.socket,
    listen,
    metricsListen: metrics,
    tokenFile: o.tokenFile,
    driftIntervalMs: Math.round(drift * 1000),
    debounceMs: debounce,
    logger: logging,
  });

  // Long-running server: it owns its signals and ends the process itself.
  let exiting = false;
  const finish = (code: number): void => {
    if (exiting) return;
    exiting = true;
    // Let winston flush its last lines.
    logging.logger.on('finish', () => process.exit(code));
    logging.logger.end();
    setTimeout(() => process.exit(code), 300).unref();
  };
  const shutdown = (signal: string): void => {
    if (daemon.isStopping) return;
    const guard = setTimeout(() => {
      logging.logger.error(`shutdown took longer than ${SHUTDOWN_GUARD_MS} ms; exiting now`);
      finish(1);
    }, SHUTDOWN_GUARD_MS);
    guard.unref();
    daemon.stop(signal).then(
      () => finish(0),
      (err: Error) => {
        logging.logger.error(`shutdown failed: ${err.message}`);
        finish(1);
      },
    );
  };
  process.on('SIGTERM', () => shutdown('SIGTERM'));
  process.on('SIGINT', () => shutdown('SIGINT'));
  process.on('SIGHUP', () => daemon.reload());
  // A stray rejection is a bug to report, not a reason to drop the dataplane's agent.
  process.on('unhandledRejection', (err) => logging.logger.error('internal error (please report it)', { error: err }));

  try {
    await daemon.start();
  } catch (err) {
    logging.logger.error((err as Error).message);
    await daemon.stop('start failed');
    // 2 = the configuration is wrong: systemd's RestartPreventExitStatus=2 stops a restart loop.
    // Anything else (another daemon holds this VPP, the port is taken) is 1: a restart may help.
    const code = err instanceof daemonModule.ConfigError ? 2 : 1;
    finish(code);
    return code;
  }
  // Runs until a signal; the process exits from finish().
  await new Promise<never>(() => undefined);
  return 0;
}

async function connectClient(o: ClientOptions): Promise<DaemonApiClient> {
  const token = readToken(o.tokenFile);
  const { apiUrl, DaemonApiClient } = apiClientModule();
  return DaemonApiClient.connect(apiUrl(parseListen(apiAddressOf(o))), token);
}

async function status(o: ClientOptions): Promise<number> {
  let client: DaemonApiClient;
  try {
    client = await connectClient(o);
  } catch (err) {
    process.stderr.write(`vppwg status: ${(err as Error).message}\n`);
    return 1;
  }
  try {
    const res = await client.call({ getStatus: {} });
    const s = res.status!;
    process.stdout.write(o.json ? JSON.stringify(s, null, 2) + '\n' : formatStatus(s));
    // Exit 0 only when the daemon says it is ready, so scripts can check it.
    return s.ready ? 0 : 3;
  } catch (err) {
    process.stderr.write(`vppwg status: ${(err as Error).message}\n`);
    return 1;
  } finally {
    await client.close();
  }
}

/** Waits between reconnects of `vppwg events` while the daemon is away. */
const EVENTS_RECONNECT = { initialMs: 250, maxMs: 5000 };

/**
 * Streams events until Ctrl-C. When the daemon goes away (restart, crash) it says so on stderr and
 * reconnects with backoff, so a restart of the daemon does not end the stream. The first connect
 * failing, or the daemon refusing the token, ends it with 1: those need the operator.
 */
async function events(o: ClientOptions & { kinds?: string }): Promise<number> {
  const kinds = (o.kinds ?? '')
    .split(',')
    .map((k) => k.trim().toUpperCase())
    .filter(Boolean);
  const unknown = kinds.filter((k) => !EVENT_KINDS.includes(k as EventKindName));
  if (unknown.length) return usage(`--kinds: unknown ${unknown.join(', ')}; choose from ${EVENT_KINDS.join(', ')}`);
  const say = (text: string): boolean => process.stderr.write(`vppwg events: ${text}\n`);
  const address = apiAddressOf(o);
  let client: DaemonApiClient | undefined;
  try {
    client = await connectClient(o);
  } catch (err) {
    say((err as Error).message);
    return 1;
  }
  return new Promise<number>((resolve) => {
    let stopped = false;
    let retryTimer: NodeJS.Timeout | undefined;
    const backoff = new Backoff(EVENTS_RECONNECT);
    const end = (code: number): void => {
      if (stopped) return;
      stopped = true;
      if (retryTimer) clearTimeout(retryTimer);
      const c = client;
      client = undefined;
      void (c ? c.close() : Promise.resolve()).then(() => resolve(code));
    };
    process.once('SIGINT', () => end(0));
    process.once('SIGTERM', () => end(0));
    const reconnect = (): void => {
      if (stopped) return;
      const delay = backoff.next();
      retryTimer = setTimeout(() => {
        connectClient(o).then(
          (c) => {
            if (stopped) return void c.close();
            client = c;
            say(`reconnected to the daemon at ${address}`);
            follow(c);
          },
          (err: Error & { statusCode?: number }) => {
            if (err.statusCode === 401) {
              say(err.message);
              return end(1);
            }
            if (backoff.attempts === 1 || backoff.attempts % 10 === 0)
              say(`the daemon at ${address} is not reachable yet (${err.message}); retrying until Ctrl-C`);
            reconnect();
          },
        );
      }, delay);
    };
    const follow = (c: DaemonApiClient): void => {
      c.onClose = (code, reason) => {
        if (stopped || client !== c) return;
        client = undefined;
        say(`the daemon closed the connection (${code}${reason ? ' ' + reason : ''}); reconnecting`);
        reconnect();
      };
      c.subscribe(
        (e) => process.stdout.write(o.json ? JSON.stringify(e) + '\n' : formatEvent(e) + '\n'),
        kinds as EventKindName[],
      ).then(
        () => {
          backoff.reset();
          say(`subscribed to ${kinds.length ? kinds.join(', ') : 'all events'} at ${address} (Ctrl-C to stop)`);
        },
        (err: Error) => {
          // A connection that closed under the request is followed by onClose's reconnect.
          if (client !== c) return;
          say(err.message);
          end(1);
        },
      );
    };
    follow(client!);
  });
}

function usage(message: string): number {
  process.stderr.write(`vppwg: ${message}\n`);
  return 1;
}

function time(ms: number): string {
  return ms ? new Date(ms).toISOString() : '-';
}

export function formatEvent(e: EventMsg): string {
  return `${time(e.atMs)} ${e.kind.padEnd(15)} ${e.message}`;
}

export function formatStatus(s: StatusMsg): string {
  const lines: string[] = [];
  lines.push(
    `daemon    ${s.ready ? 'ready' : 'NOT READY'} (vppwg ${s.daemonVersion}, started ${time(s.startedAtMs)}, ${s.reconciles} reconciles, ${s.driftRepairs} drift repairs)`,
  );
  lines.push(
    `vpp       ${s.vpp.connected ? `connected to ${s.vpp.version || '?'}` : 'DISCONNECTED'} at ${s.vpp.socketPath} since ${time(s.vpp.sinceMs)} (${s.vpp.connects} connects)`,
  );
  lines.push(`desired   ${s.desiredSource}`);
  const r = s.lastReconcile;
  if (r && r.finishedAtMs) {
    lines.push(
      `last      ${r.trigger} ${r.ok ? 'ok' : 'FAILED'} at ${time(r.finishedAtMs)} in ${r.durationMs} ms: ${r.ok ? r.summary : r.error}${r.rolledBack ? ' (rolled back)' : ''}`,
    );
  } else {
    lines.push('last      no reconcile yet');
  }
  if (s.configRejected && s.configRejected.atMs) {
    lines.push(`config    REJECTED at ${time(s.configRejected.atMs)} (the last good state stays applied):`);
    for (const d of s.configRejected.diagnostics)
      lines.push(`            ${d.file}:${d.line}:${d.column}: ${d.message}`);
  }
  const uplinks = s.uplinks ?? [];
  if (uplinks.length) {
    lines.push(`uplinks   ${uplinks.filter((u) => u.linkUp).length}/${uplinks.length} link up`);
    for (const u of uplinks) {
      const vpp = u.vppName === '' ? ' (no VPP interface known yet)' : u.vppName !== u.name ? ` (${u.vppName})` : '';
      lines.push(
        `  ${u.name}${vpp}  link ${u.linkUp ? 'up' : 'DOWN'} since ${time(u.sinceMs)}, admin ${u.adminUp ? 'up' : 'down'}, ${u.linkChanges} link change(s)`,
      );
    }
  }
  const up = s.peers.filter((p) => p.established).length;
  lines.push(`peers     ${up}/${s.peers.length} established`);
  for (const p of s.peers) {
    lines.push(
      `  ${p.interface.padEnd(10)} ${p.name.padEnd(16)} ${p.publicKey}  ${p.established ? 'established' : 'not established'} since ${time(p.sinceMs)}, last handshake ${p.lastHandshakeAtMs ? time(p.lastHandshakeAtMs) : 'not seen'}`,
    );
  }
  return lines.join('\n') + '\n';
}
