/**
 * The desired state the daemon holds VPP to: loaded from its DesiredSource (the file, the fleet)
 * at start and whenever the source says it changed or SIGHUP comes; a snapshot with errors is
 * rejected and the last good state stays. An API apply replaces it until the source's next change.
 */
import type winston from 'winston';
import { formatDiagnostic, type DesiredState, type Diagnostic } from '../../config';
import type { ConfigRejectionMsg } from '../api/proto';
import type { DaemonBus, DaemonPart, Trigger } from '../bus';
import type { DaemonView, DesiredSource } from '../desired-source';
import type { SecretRegistry } from '../logger';
import type { DaemonMetrics } from '../metrics';
import { errorLines, toApiDiagnostic } from '../summary';

/** The desired state was invalid at start: exit code 2 (systemd's RestartPreventExitStatus keeps it from looping). */
export class ConfigError extends Error {
  override readonly name = 'ConfigError';
}

export class DesiredStatePart implements DaemonPart {
  private current?: DesiredState;
  /** Where the current state came from, for status: the source's description or 'api apply (...)'. */
  private from = '';
  private rejected?: ConfigRejectionMsg;
  private stopped = false;

  constructor(
    readonly source: DesiredSource,
    private readonly view: DaemonView,
    private readonly capabilities: () => { presharedKeys: boolean } | undefined,
    private readonly bus: DaemonBus,
    private readonly secrets: SecretRegistry,
    private readonly metrics: DaemonMetrics,
    private readonly log: winston.Logger,
  ) {}

  /** Starts the source and loads the first snapshot; an invalid one throws ConfigError (there is no last good state to keep). */
  async start(): Promise<void> {
    await this.source.start(() => void this.reload('config'), this.view);
    const snap = await this.source.load(this.capabilities());
    if (!snap.state) {
      throw new ConfigError(
        `the desired state (${this.source.description}) is invalid; fix it and start again:\n${errorLines(snap.diagnostics).join('\n')}`,
      );
    }
    this.adopt(snap.state, this.source.description, snap.diagnostics);
  }

  async stop(): Promise<void> {
    this.stopped = true;
    await this.source.stop();
  }

  get state(): DesiredState | undefined {
    return this.current;
  }

  get description(): string {
    return this.from;
  }

  get rejection(): ConfigRejectionMsg | undefined {
    return this.rejected;
  }

  /** Loads the source again; adopts a valid snapshot and asks for a reconcile, or rejects it. */
  async reload(trigger: Extract<Trigger, 'config' | 'sighup'>): Promise<void> {
    if (this.stopped) return;
    let snap;
    try {
      snap = await this.source.load(this.capabilities());
    } catch (err) {
      this.log.error(
        `loading the desired state from ${this.source.description} failed: ${(err as Error).message}; the last good state stays applied`,
        { trigger, source: this.source.description },
      );
      return;
    }
    if (this.stopped) return;
    if (!snap.state) {
      this.reject(snap.diagnostics);
      return;
    }
    this.rejected = undefined;
    this.adopt(snap.state, this.source.description, snap.diagnostics);
    this.log.info(`desired state reloaded from ${this.source.description} (${trigger})`, {
      trigger,
      source: this.source.description,
    });
    this.bus.emit('desired-changed', { state: snap.state, trigger });
  }

  /** Holds `state` from now on (after a start, a reload or an API apply). */
  adopt(state: DesiredState, from: string, diagnostics: readonly Diagnostic[]): void {
    this.current = state;
    this.from = from;
    this.registerSecrets(state);
    for (const d of diagnostics) if (d.severity === 'warning') this.log.warn(formatDiagnostic(d), { file: d.file });
  }

  /** Every key of a state the daemon holds or is given is scrubbed from logs and API replies. */
  registerSecrets(state: DesiredState): void {
    for (const wg of state.wireguard) {
      if (wg.privateKey !== 'generate') this.secrets.addBytes(wg.privateKey.bytes);
      for (const p of wg.peers) if (p.presharedKey) this.secrets.addBytes(p.presharedKey.bytes);
    }
  }

  private reject(diagnostics: readonly Diagnostic[]): void {
    const errors = diagnostics.filter((d) => d.severity === 'error');
    const what = this.source.description.replace(/^file /, '');
    this.rejected = { atMs: Date.now(), file: what, diagnostics: errors.map(toApiDiagnostic) };
    this.metrics.configRejections.inc();
    this.log.error(`rejected ${what}: ${errors.length} error(s); the last good state stays applied`, {
      source: this.source.description,
      errors: errors.map(formatDiagnostic),
    });
    this.bus.emit('publish', {
      kind: 'CONFIG_REJECTED',
      atMs: Date.now(),
      message: `rejected ${what}: ${errors.map(formatDiagnostic).join('; ')}`,
      configRejected: this.rejected,
    });
  }
}
