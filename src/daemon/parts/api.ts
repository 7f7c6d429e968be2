/**
 * The daemon's API part: the ws + protobuf server (src/daemon/server.ts) with its handlers (status,
 * desired and actual state, plan, apply), /healthz and /metrics, and every bus event published to
 * subscribers. Plan and apply run through the one reconcile runner.
 */
import YAML from 'yaml';
import type winston from 'winston';
import { formatDiagnostic, parseDesiredState, type DesiredState, type Diagnostic } from '../../config';
import { formatShow, observe, showState, type Plan } from '../../reconcile';
import { redact } from '../../util/secrets';
import type { RequestMsg, ResponseMsg, StatusMsg } from '../api/proto';
import type { DaemonBus, DaemonPart } from '../bus';
import type { SecretRegistry } from '../logger';
import type { DaemonMetrics } from '../metrics';
import { ApiServer, type ListenAddress } from '../server';
import { planResult, toApiDiagnostic } from '../summary';
import { loadOrCreateToken } from '../token';
import type { WorkQueue } from '../work-queue';
import type { DesiredStatePart } from './desired';
import type { ReconcileRunner } from './reconcile-runner';
import type { VppConnection } from './vpp-connection';

export interface ApiPartOptions {
  listen: ListenAddress;
  /** Health and metrics on their own listener; undefined = on the API listener. */
  metricsListen?: ListenAddress;
  tokenFile: string;
  /** Where relative key-file paths of API documents resolve by default. */
  baseDir: string;
}

/** What the API reads of the controller. */
export interface ApiController {
  status(): StatusMsg;
  health(): { ready: boolean; detail: Record<string, unknown> };
  readonly isStopping: boolean;
}

type Reply = Omit<ResponseMsg, 'id'>;

export class ApiPart implements DaemonPart {
  private server?: ApiServer;
  private off?: () => void;

  constructor(
    private readonly opts: ApiPartOptions,
    private readonly controller: ApiController,
    private readonly desired: DesiredStatePart,
    private readonly runner: ReconcileRunner,
    private readonly vpp: VppConnection,
    private readonly queue: WorkQueue,
    private readonly bus: DaemonBus,
    private readonly secrets: SecretRegistry,
    private readonly metrics: DaemonMetrics,
    private readonly log: winston.Logger,
  ) {}

  /** Listens; its line (with the port really bound, for `:0`) is the daemon's first. */
  async start(): Promise<void> {
    const token = loadOrCreateToken(this.opts.tokenFile);
    this.server = new ApiServer({
      listen: this.opts.listen,
      metricsListen: this.opts.metricsListen,
      token: token.token,
      logger: this.log,
      // Key material is scrubbed from every reply and event, whatever produced it.
      sanitize: (r) => this.secrets.redact(r) as ResponseMsg,
      handler: {
        handle: (req) => this.handle(req),
        health: () => this.controller.health(),
        metrics: async () => ({ contentType: this.metrics.contentType, body: await this.metrics.text() }),
        onRequest: (kind, ok) => this.metrics.apiRequests.inc({ request: kind, result: ok ? 'ok' : 'error' }),
      },
    });
    await this.server.start();
    const a = this.server.address();
    const m = this.server.metricsAddress();
    this.log.info(
      `API listening on ws://${fmtHost(a.host)}:${a.port}/v1; health and metrics on http://${fmtHost(m.host)}:${m.port}/healthz and /metrics`,
      { listen: `${a.host}:${a.port}` },
    );
    for (const w of this.server.exposureWarnings()) this.log.warn(w);
    if (token.created)
      this.log.info(`generated an API token into ${token.file} (mode 0600); clients read it from there`, {
        tokenFile: token.file,
      });
    if (token.warning) this.log.warn(token.warning, { tokenFile: token.file });
    this.off = this.bus.on('publish', (e) => this.server?.publish(e));
  }

  async stop(): Promise<void> {
    this.off?.();
    await this.server?.close();
  }

  address(): ListenAddress {
    if (!this.server) throw new Error('the daemon is not started');
    return this.server.address();
  }

  metricsAddress(): ListenAddress {
    if (!this.server) throw new Error('the daemon is not started');
    return this.server.metricsAddress();
  }

  private async handle(req: RequestMsg): Promise<Reply> {
    if (this.controller.isStopping && req.body !== 'getStatus')
      return errorReply('SHUTTING_DOWN', 'the daemon is shutting down; retry after it restarts');
    switch (req.body) {
      case 'getStatus':
        return { ok: true, status: this.controller.status() };
      case 'getDesiredState':
        return this.desiredState();
      case 'getActualState': {
        const client = this.vpp.connectedClient();
        if (!client) return vppUnavailable();
        const actual = await this.queue.enqueue(() => observe(client));
        // showState/formatShow hold public keys only; redact() is a second guard.
        return {
          ok: true,
          actualState: { json: JSON.stringify(toPlain(redact(showState(actual))), null, 2), text: formatShow(actual) },
        };
      }
      case 'plan': {
        const doc = req.plan!;
        return this.planOrApply(doc.document, doc.name, doc.baseDir, async (state, diagnostics) => {
          const planned = await this.plan(state);
          return planned.reply ?? { ok: true, plan: planResult(planned.plan, diagnostics) };
        });
      }
      case 'apply': {
        const a = req.apply!;
        return this.planOrApply(a.document, a.name, a.baseDir, (state, diagnostics) =>
          a.dryRun ? this.dryRunApply(state, diagnostics) : this.apply(state, diagnostics, a.name, !a.noRollback),
        );
      }
      default:
        return errorReply('BAD_REQUEST', `request kind ${req.body ?? '(none)'} is not handled here`);
    }
  }

  private desiredState(): Reply {
    const state = this.desired.state;
    if (!state) return errorReply('BAD_REQUEST', 'no desired state loaded yet');
    const safe = toPlain(redact(state));
    return {
      ok: true,
      desiredState: {
        json: JSON.stringify(safe, null, 2),
        text: `# source: ${this.desired.description}\n${YAML.stringify(safe)}`,
      },
    };
  }

  /** Parses the document (validated against the connected VPP), then runs `then` with it. */
  private async planOrApply(
    text: string,
    name: string | undefined,
    baseDir: string | undefined,
    then: (state: DesiredState, diagnostics: Diagnostic[]) => Promise<Reply>,
  ): Promise<Reply> {
    const caps = this.vpp.capabilities();
    const loaded = parseDesiredState(text, name || 'request.yaml', {
      baseDir: baseDir || this.opts.baseDir,
      ...(caps ? { capabilities: caps } : {}),
    });
    if (!loaded.state) return invalidConfig(loaded.diagnostics);
    this.desired.registerSecrets(loaded.state);
    if (!this.vpp.connectedClient()) return vppUnavailable();
    return then(loaded.state, loaded.diagnostics);
  }

  /** A dry run through the runner: the plan, or the reply saying why there is none. */
  private async plan(state: DesiredState): Promise<{ plan: Plan; reply?: never } | { reply: Reply }> {
    const { summary, result } = await this.runner.run('api', state, { dryRun: true });
    if (!result) return { reply: this.vpp.connected ? errorReply('PLAN_FAILED', summary.error) : vppUnavailable() };
    // The document asks for what this VPP cannot have (e.g. an uplink it lacks).
    if (!result.ok) return { reply: errorReply('PLAN_FAILED', result.error?.message ?? summary.error) };
    return { plan: result.plan };
  }

  private async dryRunApply(state: DesiredState, diagnostics: Diagnostic[]): Promise<Reply> {
    const planned = await this.plan(state);
    if (planned.reply) return planned.reply;
    return {
      ok: true,
      apply: {
        ok: true,
        plan: planResult(planned.plan, diagnostics),
        applied: 0,
        rolledBack: false,
        verified: false,
        durationMs: 0,
        error: '',
      },
    };
  }

  private async apply(
    state: DesiredState,
    diagnostics: Diagnostic[],
    name: string | undefined,
    rollback: boolean,
  ): Promise<Reply> {
    const { summary, result } = await this.runner.run('api', state, {
      rollback,
      // The applied document is now what the daemon holds VPP to, until the source changes or SIGHUP.
      onSuccess: () => {
        this.desired.adopt(state, `api apply (${name || 'request.yaml'})`, []);
        this.log.warn(
          'desired state replaced through the API; the file takes over again at its next change or SIGHUP',
          { source: this.desired.description },
        );
      },
    });
    const apply = {
      ok: summary.ok,
      plan: result ? planResult(result.plan, diagnostics) : undefined,
      applied: summary.applied,
      rolledBack: summary.rolledBack,
      verified: summary.verified,
      durationMs: summary.durationMs,
      error: summary.error,
    };
    return summary.ok
      ? { ok: true, apply }
      : { ok: false, error: { code: 'APPLY_FAILED', message: summary.error }, apply };
  }
}

function errorReply(code: string, message: string): Reply {
  return { ok: false, error: { code, message } };
}

function vppUnavailable(): Reply {
  return errorReply(
    'VPP_UNAVAILABLE',
    'VPP is not connected right now; the daemon keeps reconnecting, retry shortly (see status)',
  );
}

function invalidConfig(diagnostics: Diagnostic[]): Reply {
  const errors = diagnostics.filter((d) => d.severity === 'error');
  return {
    ok: false,
    error: {
      code: 'INVALID_CONFIG',
      message: `the document is invalid (${errors.length} error(s)); nothing was changed:\n${errors.map(formatDiagnostic).join('\n')}`,
      diagnostics: diagnostics.map(toApiDiagnostic),
    },
  };
}

/** JSON-safe copy: bigints as strings, byte arrays as base64 (public material only reaches here). */
function toPlain(v: unknown): unknown {
  return JSON.parse(
    JSON.stringify(v, (_k, x: unknown) => {
      if (typeof x === 'bigint') return x.toString();
      if (x instanceof Uint8Array) return Buffer.from(x).toString('base64');
      if (x instanceof Map) return Object.fromEntries(x);
      if (x instanceof Set) return [...x];
      return x;
    }) ?? 'null',
  );
}

function fmtHost(h: string): string {
  return h.includes(':') ? `[${h}]` : h;
}
