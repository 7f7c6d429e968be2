/**
 * `vppwg/api`: a typed client of a running daemon's API (ws + protobuf, `vppwg.proto`): status,
 * plan, apply, and events as an async iterator.
 *
 * ```ts
 * import { connectDaemon } from 'vppwg/api';
 * const api = await connectDaemon(url, { token });
 * for await (const e of api.events({ kinds: ['PEER_UP'] })) { console.log(e.peer?.name); break; }
 * await api.close();
 * ```
 * @packageDocumentation
 */
import { DaemonApiClient } from '../daemon/apiClient';
import { ApiRequestError } from '../daemon/api/request-error';
import type {
  ApplyResultMsg,
  EventKindName,
  EventMsg,
  PlanResultMsg,
  StateDocumentMsg,
  StatusMsg,
} from '../daemon/api/proto';

export { ApiRequestError };
export type {
  ApiDiagnostic,
  ApiError,
  ApplyResultMsg as ApplyResult,
  ConfigRejectionMsg as ConfigRejection,
  EventKindName,
  EventMsg as DaemonEvent,
  PeerStatusMsg as PeerStatus,
  PlanResultMsg as PlanResult,
  ResponseMsg as DaemonResponse,
  ReconcileSummaryMsg as ReconcileSummary,
  StateDocumentMsg as StateDocument,
  StatusMsg as DaemonStatus,
  VppStatusMsg as VppStatus,
} from '../daemon/api/proto';

export interface ConnectDaemonOptions {
  /** The bearer token (the daemon's token file holds it). */
  token?: string;
  /** How long to wait for the connection; default 5000 ms. */
  timeoutMs?: number;
}

/** A desired-state document as text (YAML or JSON) for plan and apply. */
export interface DocumentInput {
  document: string;
  /** Names it in diagnostics. */
  name?: string;
  /** Relative key file paths are resolved against it (on the daemon's machine). */
  baseDir?: string;
}

export interface DaemonApi {
  status(): Promise<StatusMsg>;
  /** The desired state the daemon holds (keys hidden). */
  desiredState(): Promise<StateDocumentMsg>;
  /** VPP's state as the daemon reads it (keys hidden). */
  actualState(): Promise<StateDocumentMsg>;
  /** What applying `doc` would change; nothing is changed. */
  plan(doc: DocumentInput): Promise<PlanResultMsg>;
  /** Applies `doc` once (the daemon's file stays its desired state; the next drift check restores it). */
  apply(doc: DocumentInput & { dryRun?: boolean; noRollback?: boolean }): Promise<ApplyResultMsg>;
  /**
   * The daemon's events from now on (all, or only `kinds`), until the loop breaks (which
   * unsubscribes) or the connection closes.
   */
  events(opts?: { kinds?: EventKindName[] }): AsyncIterableIterator<EventMsg>;
  close(): Promise<void>;
}

/** Connects to the daemon's API at `url` (`ws://host:port/v1/api`); rejects naming the cause (refused, wrong token). */
export async function connectDaemon(url: string, opts: ConnectDaemonOptions = {}): Promise<DaemonApi> {
  const client = await DaemonApiClient.connect(url, opts.token, opts.timeoutMs);
  const ended = new Set<() => void>();
  client.onClose = () => {
    for (const end of [...ended]) end();
  };
  return {
    status: async () => (await client.call({ getStatus: {} })).status!,
    desiredState: async () => (await client.call({ getDesiredState: {} })).desiredState!,
    actualState: async () => (await client.call({ getActualState: {} })).actualState!,
    plan: async (doc) => (await client.call({ plan: doc })).plan!,
    apply: async (doc) => (await client.call({ apply: doc })).apply!,
    events: (o = {}) => eventStream(client, o.kinds ?? [], ended),
    close: () => client.close(),
  };
}

/** Events pushed by the daemon, buffered until the consumer pulls them. */
function eventStream(
  client: DaemonApiClient,
  kinds: EventKindName[],
  ended: Set<() => void>,
): AsyncIterableIterator<EventMsg> {
  const buffered: EventMsg[] = [];
  let waiting: ((r: IteratorResult<EventMsg>) => void) | undefined;
  let done = false;
  const finish = (): void => {
    done = true;
    ended.delete(finish);
    waiting?.({ value: undefined, done: true });
    waiting = undefined;
  };
  ended.add(finish);
  const subscribed = client.subscribe((e) => {
    if (done) return;
    if (waiting) {
      waiting({ value: e, done: false });
      waiting = undefined;
    } else buffered.push(e);
  }, kinds);
  const it: AsyncIterableIterator<EventMsg> = {
    [Symbol.asyncIterator]: () => it,
    async next() {
      await subscribed;
      const e = buffered.shift();
      if (e) return { value: e, done: false };
      if (done) return { value: undefined, done: true };
      return new Promise((resolve) => (waiting = resolve));
    },
    async return() {
      const id = await subscribed.catch(() => undefined);
      const wasOpen = !done;
      finish();
      if (wasOpen && id !== undefined)
        await client.call({ unsubscribe: { subscriptionId: id } }).catch(() => undefined);
      return { value: undefined, done: true };
    },
  };
  return it;
}
