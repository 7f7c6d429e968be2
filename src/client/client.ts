/**
 * The VPP binary-API client over the unix socket: the façade that wires the parts together and
 * keeps the connection's lifecycle (connect, handshake, loss, reconnect, close). The parts:
 * options.ts (checks, defaults), connection.ts (socket, handshake errors), reconnect.ts,
 * message-table.ts (ids, compatibility report), request-plan.ts, pending.ts and request-book.ts
 * (request bookkeeping), output-queue.ts (batching, flow control, deadlines), receiver.ts
 * (dispatch), subscriptions.ts (events), trace.ts.
 */
import { EventEmitter } from 'node:events';
import type { Socket } from 'node:net';
import type { DumpDef, MessageDef, RequestDef, StreamDef } from 'vpp-api-ts';
import { sockclnt_delete, type SockclntCreateReply } from './bootstrap';
import { Channel } from './channel';
import type { ConnectionState, VppClientEvents } from './client-events';
import { handshakeError, openSocket, watchSocket } from './connection';
import {
  VppClientError,
  VppDisconnectedError,
  VppErrno,
  VppIncompatibleError,
  VppProtocolError,
  type IncompatibleMessage,
} from './errors';
import { Framer } from './framer';
import { MessageTable, type CompatibilityReport } from './message-table';
import { resolveOptions, type CallOptions, type ClientSettings, type VppClientOptions } from './options';
import { OutputQueue } from './output-queue';
import { PendingRequest, RequestBatch, capture, captured, type DetailHandler } from './pending';
import { Receiver } from './receiver';
import { Reconnector } from './reconnect';
import { RequestBook } from './request-book';
import { HANDSHAKE_PLAN, RequestPlans, type RequestKind, type RequestPlan } from './request-plan';
import { newClientStats, type ClientStats } from './stats';
import { Subscriptions } from './subscriptions';
import { TraceRing, type TraceEntry } from './trace';

// Re-exported: the public types keep their home in the façade's module.
export type { ReconnectOptions, VppClientOptions, CallOptions } from './options';
export type { CompatibilityReport, ChangedMessage } from './message-table';
export type { TraceEntry } from './trace';
export type { ConnectionState, ReconnectingInfo, VppClientEvents } from './client-events';
export type { ClientStats } from './stats';

/** Why requests cannot go out in each state but 'connected' (closing states say "closed"). */
const NOT_CONNECTED_REASON: Record<Exclude<ConnectionState, 'connected' | 'closing' | 'closed'>, string> = {
  connecting: 'connecting',
  reconnecting: 'reconnecting',
  disconnected: 'disconnected; reconnect is off or gave up',
};

export class VppClient extends EventEmitter<VppClientEvents> {
  readonly socketPath: string;
  /** Counters for diagnostics. */
  readonly stats: ClientStats = newClientStats();
  private readonly settings: ClientSettings;
  /** Per-call timeout unless the call gives its own. */
  private readonly timeoutMs: number;
  private _state: ConnectionState = 'connecting';
  private readonly framer: Framer;
  private readonly table: MessageTable;
  private plans: RequestPlans;
  private readonly traceRing: TraceRing;
  private readonly book: RequestBook;
  private readonly output: OutputQueue;
  private readonly subscriptions: Subscriptions;
  private readonly receiver: Receiver;
  private readonly reconnector: Reconnector | undefined;

  private constructor(opts: VppClientOptions) {
    super();
    const settings = resolveOptions(opts);
    this.settings = settings;
    this.socketPath = settings.socketPath;
    this.timeoutMs = settings.timeoutMs;
    this.framer = new Framer(settings.maxFrameBytes);
    this.table = new MessageTable(settings.messages);
    this.plans = new RequestPlans(this.table);
    this.traceRing = new TraceRing(settings.traceSize);
    this.book = new RequestBook(this.traceRing);
    this.output = new OutputQueue({
      book: this.book,
      table: this.table,
      stats: this.stats,
      maxInFlight: settings.maxInFlight,
      debug: settings.debug,
    });
    this.subscriptions = new Subscriptions(this.table, this.emitError);
    this.receiver = new Receiver({
      table: this.table,
      book: this.book,
      output: this.output,
      subscriptions: this.subscriptions,
      stats: this.stats,
      onError: this.emitError,
    });
    this.reconnector = settings.reconnect
      ? new Reconnector(settings.reconnect, {
          attempt: () => {
            this.stats.reconnects++;
            return this.open();
          },
          scheduled: (info) => this.emit('reconnecting', info),
          // VPP came back without a required message: say so, and keep trying (at the capped
          // delay) in case it is restarted again with the right plugins.
          failed: (e) => {
            if (e instanceof VppIncompatibleError) this.emitError(e);
          },
          gaveUp: (attempts) => {
            this._state = 'disconnected';
            this.emitError(
              new VppDisconnectedError(`gave up reconnecting to VPP at ${this.socketPath} after ${attempts} attempts`),
            );
          },
        })
      : undefined;
  }

  /** Connect, do the handshake and check the bindings; rejects when VPP is unreachable or incompatible. */
  static async connect(opts: VppClientOptions = {}): Promise<VppClient> {
    const client = new VppClient(opts);
    await client.open();
    return client;
  }

  get state(): ConnectionState {
    return this._state;
  }

  get connected(): boolean {
    return this._state === 'connected';
  }

  get clientIndex(): number {
    return this.output.clientIndex;
  }

  get compatibility(): CompatibilityReport {
    return this.table.compatibility;
  }

  /** Requests sent and not yet answered, plus those waiting for a window slot. */
  get pendingCount(): number {
    return this.book.size + this.output.valuesWaiting;
  }

  /** Usable on the connected VPP: we have a binding and VPP has it with the same CRC. */
  has(nameOrDef: string | MessageDef): boolean {
    return this.connected && this.table.has(nameOrDef);
  }

  /** The message id of `nameOrDef` on this connection, or undefined. */
  messageId(nameOrDef: string | MessageDef): number | undefined {
    return this.table.messageId(nameOrDef);
  }

  /** Which of `messages` this connection cannot use (missing, another CRC, or no binding of ours); [] when all are usable. */
  incompatible(messages: readonly (string | MessageDef)[]): IncompatibleMessage[] {
    return this.table.incompatible(messages);
  }

  /**
   * Request → reply. A non-zero retval rejects with VppApiError. When the window is full the value
   * is encoded later, as a slot frees: leave it unchanged until the call settles.
   */
  call<TIn, R>(def: RequestDef<TIn, R>, v: TIn, opts?: CallOptions): Promise<R> {
    const plans = this.plans;
    if (def === plans.lastCallDef && this._state === 'connected')
      return this.send(plans.lastCallPlan!, v, undefined, opts) as Promise<R>;
    const admitted = this.admit('call', def);
    if (admitted instanceof Error) return Promise.reject(admitted);
    plans.lastCallDef = def;
    plans.lastCallPlan = admitted;
    return this.send(admitted, v, undefined, opts) as Promise<R>;
  }

  /**
   * Many requests of one message, pipelined as with call(), settling as one promise: the replies in
   * the order of `values`. Every request is sent; when any fails, the promise rejects (once all
   * have settled) with the error of the first failing one in `values` order. Cheaper per request
   * than Promise.all over call(): no promise per request, and a request's bookkeeping is made only
   * when it is encoded. Each value is encoded as a window slot frees: leave the value objects unchanged
   * until the promise settles (the array itself is copied).
   */
  callMany<TIn, R>(def: RequestDef<TIn, R>, values: readonly TIn[], opts?: CallOptions): Promise<R[]> {
    const admitted = this.admit('call', def);
    if (admitted instanceof Error) return Promise.reject(admitted);
    if (values.length === 0) return Promise.resolve([]);
    const promise = new Promise(capture);
    this.output.enqueueBatch(
      new RequestBatch({
        plan: admitted,
        values,
        timeoutMs: opts?.timeoutMs ?? this.timeoutMs,
        resolve: captured.resolve,
        reject: captured.reject,
      }),
    );
    return promise as Promise<R[]>;
  }

  /** Old-style dump: the details, collected until the control_ping_reply of the same context. */
  async dump<TIn, D>(def: DumpDef<TIn, D>, v: TIn, opts?: CallOptions): Promise<D[]> {
    const out: D[] = [];
    await this.request('dump', def, v, (d) => out.push(d as D), opts);
    return out;
  }

  /** The same dump as an async iterator; details are yielded as they arrive. */
  dumpIter<TIn, D>(def: DumpDef<TIn, D>, v: TIn, opts?: CallOptions): AsyncIterableIterator<D> {
    const ch = new Channel<D>();
    this.request('dump', def, v, (d) => ch.push(d as D), opts).then(
      () => ch.end(),
      (e: unknown) => ch.fail(e),
    );
    return ch;
  }

  /** Cursor stream (`X_get` → details, then `X_get_reply`), called again while VPP says EAGAIN. */
  async stream<TIn, R, D>(def: StreamDef<TIn, R, D>, v: TIn, opts?: CallOptions): Promise<D[]> {
    const out: D[] = [];
    for await (const d of this.streamIter(def, v, opts)) out.push(d);
    return out;
  }

  async *streamIter<TIn, R, D>(def: StreamDef<TIn, R, D>, v: TIn, opts?: CallOptions): AsyncGenerator<D> {
    if (!def.replyDef || !def.detailsDef)
      throw new VppClientError(`${def.name} is not a cursor stream (needs a reply and details)`);
    let cursor = (v as { cursor?: number }).cursor ?? 0;
    for (let round = 0; ; round++) {
      const ch = new Channel<D>();
      const done = this.request('stream', def, { ...v, cursor }, (d) => ch.push(d as D), opts) as Promise<{
        retval: number;
        cursor: number;
      }>;
      done.then(
        () => ch.end(),
        (e: unknown) => ch.fail(e),
      );
      yield* ch;
      const reply = await done;
      if (reply.retval !== VppErrno.EAGAIN) return;
      if (reply.cursor === cursor && round > 0) {
        throw new VppProtocolError(`${def.name}: VPP asked to continue but did not advance the cursor (${cursor})`);
      }
      cursor = reply.cursor;
    }
  }

  /** Listen to an event message (no context). Subscribing VPP-side (want_*) is the caller's call. */
  subscribe<E>(eventDef: MessageDef<E, never>, listener: (e: E) => void): () => void {
    return this.subscriptions.add(eventDef, listener);
  }

  /** The most recent calls, oldest first: names, contexts, durations and retvals only (never values). */
  trace(): readonly TraceEntry[] {
    return this.traceRing.entries();
  }

  /** Say goodbye (sockclnt_delete), close the socket and stop reconnecting. Pending calls reject. */
  async close(): Promise<void> {
    if (this.closing) return;
    const wasConnected = this._state === 'connected';
    this._state = wasConnected ? 'closing' : 'closed';
    this.reconnector?.stop();
    const sock = this.output.socket;
    if (wasConnected && sock) {
      try {
        await this.request('goodbye', sockclnt_delete, { index: this.output.clientIndex }, undefined, {
          timeoutMs: Math.min(this.timeoutMs, 1000),
        });
      } catch {
        // VPP may already be gone; closing goes ahead regardless.
      }
    }
    if (sock && !sock.destroyed) {
      await new Promise<void>((resolve) => {
        sock.once('close', () => resolve());
        sock.destroy();
      });
    }
    this._state = 'closed';
    this.output.failAll(new VppDisconnectedError('the client was closed'));
  }

  // ---------------------------------------------------------------- connection lifecycle

  /** close() was called. */
  private get closing(): boolean {
    return this._state === 'closing' || this._state === 'closed';
  }

  private async open(): Promise<void> {
    const sock = await openSocket(this.socketPath);
    if (this.closing) {
      sock.destroy();
      throw new VppDisconnectedError('the client was closed while connecting');
    }
    this.attach(sock);
    let reply: SockclntCreateReply;
    try {
      reply = (await this.send(
        HANDSHAKE_PLAN,
        { name: this.settings.clientName },
        undefined,
        undefined,
      )) as SockclntCreateReply;
    } catch (e) {
      sock.destroy();
      throw this.closing ? e : handshakeError(e, this.socketPath);
    }
    if (this.closing) {
      sock.destroy();
      throw new VppDisconnectedError('the client was closed while connecting');
    }
    this.output.clientIndex = reply.index >>> 0;
    this.table.load(reply.message_table);
    this.plans = new RequestPlans(this.table);
    this.subscriptions.rebind();
    const unusable = this.table.incompatible(this.settings.requireMessages);
    if (unusable.length > 0) {
      sock.destroy();
      throw new VppIncompatibleError(unusable);
    }
    this._state = 'connected';
    this.reconnector?.succeeded();
    this.emit('connected', this.table.compatibility);
  }

  private attach(sock: Socket): void {
    this.output.attach(sock);
    watchSocket(sock, this.framer, {
      onFrame: this.receiver.onFrame,
      onProtocolError: this.emitError,
      onDrain: () => this.output.drained(),
      onClose: (cause) => this.onClose(sock, cause),
      isCurrent: () => this.output.socket === sock,
    });
  }

  private onClose(sock: Socket, cause: Error | undefined): void {
    if (this.output.socket !== sock) return;
    this.output.socket = undefined;
    const wasConnected = this._state === 'connected' || this._state === 'closing';
    const closing = this.closing;
    if (this._state === 'closing') this._state = 'closed';
    else if (this._state === 'connected') this._state = this.reconnector ? 'reconnecting' : 'disconnected';
    const why = cause ? `: ${cause.message}` : '';
    const err = new VppDisconnectedError(
      closing
        ? 'the client was closed before the reply came'
        : `connection to VPP at ${this.socketPath} lost${why}; the request may or may not have been applied`,
      undefined,
      cause,
    );
    this.output.failAll(err);
    if (wasConnected) this.emit('disconnected', err);
    if (wasConnected && !closing) this.reconnector?.schedule();
  }

  // ---------------------------------------------------------------- requests

  private request(
    kind: RequestKind,
    def: MessageDef,
    v: unknown,
    onDetail: DetailHandler | undefined,
    opts: CallOptions | undefined,
  ): Promise<unknown> {
    const admitted = this.admit(kind, def);
    if (admitted instanceof Error) return Promise.reject(admitted);
    return this.send(admitted, v, onDetail, opts);
  }

  /** The plan of `def` as `kind`, or why it cannot be sent now (not connected, or unusable on this VPP). */
  private admit(kind: RequestKind, def: MessageDef): RequestPlan | Error {
    const state = this._state;
    if (!this.output.socket || (state !== 'connected' && kind !== 'goodbye')) {
      return new VppDisconnectedError(
        state === 'closing' || state === 'closed' || state === 'connected'
          ? 'the client is closed'
          : `not connected to VPP at ${this.socketPath} (${NOT_CONNECTED_REASON[state]})`,
        def.name,
      );
    }
    try {
      return this.plans.get(kind, def);
    } catch (e) {
      return e as Error;
    }
  }

  /** Register and send (or queue) one request of a resolved plan. */
  private send(
    plan: RequestPlan,
    v: unknown,
    onDetail: DetailHandler | undefined,
    opts: CallOptions | undefined,
  ): Promise<unknown> {
    if (!this.output.socket) return Promise.reject(new VppDisconnectedError('not connected', plan.def.name));
    const book = this.book;
    const promise = new Promise(capture);
    const p = PendingRequest.forPromise(
      captured,
      book.allocContext(),
      plan,
      v,
      onDetail,
      opts?.timeoutMs ?? this.timeoutMs,
    );
    book.register(p);
    this.output.enqueue(p);
    return promise;
  }

  /** 'error' only when someone listens: an unheard EventEmitter 'error' would crash the process. */
  private readonly emitError = (err: unknown): void => {
    if (this.listenerCount('error') > 0) this.emit('error', err instanceof Error ? err : new Error(String(err)));
  };
}
