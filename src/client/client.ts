/**
 * The VPP binary-API client over the unix socket: handshake and message table, compatibility
 * report, pipelined calls matched by context, dumps (control_ping terminated) and cursor streams,
 * events, per-call timeouts, and reconnection with backoff after VPP goes away.
 */
import { EventEmitter } from 'node:events';
import { createConnection, type Socket } from 'node:net';
import { performance } from 'node:perf_hooks';
import {
  CodecError,
  Reader,
  Writer,
  messagesByNameCrc,
  type DumpDef,
  type MessageDef,
  type RequestDef,
  type StreamDef,
} from 'vpp-api-ts';
import {
  bootstrapMessages,
  control_ping,
  control_ping_reply,
  sockclnt_create,
  sockclnt_create_reply,
  sockclnt_delete,
  SOCKCLNT_CREATE_ID,
  SOCKCLNT_CREATE_REPLY_ID,
  type SockclntCreateReply,
} from './bootstrap';
import { Channel } from './channel';
import {
  VppApiError,
  VppClientError,
  VppDisconnectedError,
  VppErrno,
  VppIncompatibleError,
  VppProtocolError,
  VppTimeoutError,
  type IncompatibleMessage,
} from './errors';
import { Framer, HEADER_BYTES } from './framer';
import { PendingTable } from './pending-table';
import { inspectRedacted } from '../util/secrets';
import { backoffDelay } from '../util/backoff';

export interface ReconnectOptions {
  initialDelayMs?: number;
  maxDelayMs?: number;
  factor?: number;
  /** Give up after this many failed attempts in a row (default: never). */
  maxAttempts?: number;
}

export interface VppClientOptions {
  /** Default '/run/vpp/api.sock'. */
  socketPath?: string;
  /** Name registered by sockclnt_create (shown by `show api clients`), default 'vppwg'. */
  clientName?: string;
  /** Per-call timeout unless the call gives its own, default 5000 ms, counted from when the request is written. */
  timeoutMs?: number;
  /** Requests in flight at once; more wait in a queue (back-pressure). Default 1024. */
  maxInFlight?: number;
  /** A frame announcing a larger body is a connection error. Default 64 MiB. */
  maxFrameBytes?: number;
  /** Reconnect after VPP goes away: on by default, unlimited attempts. `false` to stay down. */
  reconnect?: false | ReconnectOptions;
  /** Message names that must be usable: connect fails with one error listing every missing or changed one. */
  requireMessages?: readonly string[];
  /** The bindings to check at connect (and to decode events with). Default: every generated message. */
  messages?: readonly MessageDef[];
  /** Size of the ring of recent calls kept for trace(); 0 = off (default). */
  traceSize?: number;
  /** Debug output: one line per request sent, values redacted. Off unless given. */
  debug?: (line: string) => void;
}

export interface CallOptions {
  timeoutMs?: number;
}

export interface ChangedMessage {
  name: string;
  /** Our CRC, 8 hex digits. */
  ours: string;
  /** VPP's CRC, 8 hex digits. */
  theirs: string;
}

export interface CompatibilityReport {
  /** Present with our CRC: usable. */
  compatible: string[];
  /** Present with another CRC: another layout, never sent. */
  changed: ChangedMessage[];
  /** Absent from this VPP (plugin not loaded, or too old/new). */
  missing: string[];
  /** Messages in VPP's table. */
  vppMessageCount: number;
}

export interface TraceEntry {
  message: string;
  context: number;
  durationMs: number;
  /** VPP's retval when a reply came; undefined for timeouts, disconnects and replies without one. */
  retval?: number;
  outcome: 'ok' | 'error' | 'timeout' | 'disconnected';
}

export interface ReconnectingInfo {
  attempt: number;
  delayMs: number;
}

type Detail = (d: unknown) => void;
const NOT_KNOWN = -2;
const NO_CONTEXT = -1;

/** How one kind of request to one message goes on this connection: ids resolved and checked once. */
class Plan {
  constructor(
    readonly def: MessageDef,
    readonly msgId: number,
    /** The message that ends the request: its reply, control_ping_reply (dumps), or the stream reply. */
    readonly terminator: MessageDef,
    readonly terminatorId: number,
    readonly detailsDef: MessageDef | undefined,
    readonly detailsId: number,
    readonly withPing: boolean,
    /** Check retval of the terminator; `EAGAIN` is allowed for cursor streams. */
    readonly retvalMode: 0 | 1 | 2,
  ) {}
}

/** One request awaiting its terminating message. Kept small: thousands may wait in the queue. */
class Pending {
  started = 0;
  sent = false;
  /** Stream offset just past this request's frames in the outgoing buffer. */
  end = 0;
  constructor(
    readonly context: number,
    readonly plan: Plan,
    /** The request value until it is encoded (then dropped so the caller's object can be freed). */
    public value: unknown,
    readonly onDetail: Detail | undefined,
    /** Set when the request is written (0 until then): time spent waiting for a window slot does not count. */
    public deadline: number,
    readonly timeoutMs: number,
    readonly resolve: (v: unknown) => void,
    readonly reject: (e: unknown) => void,
  ) {}

  /** Set for a request of a callMany batch: it settles its slot of the batch, not a promise of its own. */
  batch: Batch | undefined = undefined;
  index = 0;

  ok(v: unknown): void {
    if (this.batch === undefined) this.resolve(v);
    else this.batch.ok(this.index, v);
  }

  fail(e: unknown): void {
    if (this.batch === undefined) this.reject(e);
    else this.batch.fail(this.index, e);
  }
}

/**
 * A callMany: one promise for many requests of one message. Its requests get their Pending (and
 * context) only when they are encoded, so a big batch holds just its values array while it waits.
 */
class Batch {
  /** Index of the next value to encode. */
  next = 0;
  /** Requests not yet settled. */
  open: number;
  readonly results: unknown[];
  /**
   * Our copy of the caller's array, each entry dropped once encoded: values already sent can be
   * collected while the batch runs (the caller's array may be gone), instead of all surviving to the end.
   */
  readonly values: unknown[];
  readonly count: number;
  private firstError: unknown = undefined;
  private firstErrorIndex = Infinity;
  constructor(
    readonly plan: Plan,
    values: readonly unknown[],
    readonly timeoutMs: number,
    private readonly resolve: (v: unknown) => void,
    private readonly reject: (e: unknown) => void,
  ) {
    this.values = values.slice();
    this.count = values.length;
    this.open = values.length;
    this.results = new Array<unknown>(values.length);
  }

  /** The next value to encode, taken out of the batch. */
  take(): unknown {
    const i = this.next++;
    const v = this.values[i];
    this.values[i] = undefined;
    return v;
  }

  ok(i: number, v: unknown): void {
    this.results[i] = v;
    if (--this.open === 0) this.done();
  }

  fail(i: number, e: unknown): void {
    if (i < this.firstErrorIndex) {
      this.firstErrorIndex = i;
      this.firstError = e;
    }
    if (--this.open === 0) this.done();
  }

  /** The values not yet encoded will never be sent (the connection is gone): they fail with `e`. */
  failUnsent(e: unknown): void {
    const left = this.count - this.next;
    if (left === 0) return;
    if (this.next < this.firstErrorIndex) {
      this.firstErrorIndex = this.next;
      this.firstError = e;
    }
    this.values.length = 0;
    this.next = this.count;
    this.open -= left;
    if (this.open === 0) this.done();
  }

  private done(): void {
    if (this.firstErrorIndex === Infinity) this.resolve(this.results);
    else this.reject(this.firstError);
  }
}

const PLAN_CALL = 0;
const PLAN_DUMP = 1;
const PLAN_STREAM = 2;
const PLAN_GOODBYE = 3;
type PlanKind = 0 | 1 | 2 | 3;

/**
 * One shared Promise executor that hands out resolve/reject: saves a closure per call on the hot
 * path (the executor runs synchronously, so the values are taken before anything else runs).
 */
const captured: { resolve: (v: unknown) => void; reject: (e: unknown) => void } = {
  resolve: () => undefined,
  reject: () => undefined,
};
function capture(resolve: (v: unknown) => void, reject: (e: unknown) => void): void {
  captured.resolve = resolve;
  captured.reject = reject;
}

const noop = (): void => undefined;

const RETVAL_IGNORE = 0;
const RETVAL_CHECK = 1;
const RETVAL_ALLOW_EAGAIN = 2;

/** sockclnt_create: fixed ids, usable before the table exists. */
const HANDSHAKE_PLAN = new Plan(
  sockclnt_create,
  SOCKCLNT_CREATE_ID,
  sockclnt_create_reply,
  SOCKCLNT_CREATE_REPLY_ID,
  undefined,
  -1,
  false,
  1,
);

const OUT_INITIAL = 64 * 1024;
const EAGER_FLUSH_BYTES = 32 * 1024;
/** Written bytes at the front of the outgoing buffer are dropped once they pass this and half of it. */
const COMPACT_OUT_BYTES = 1 << 20;
/** A buffer that grew for one huge batch is not kept for the next. */
const MAX_RETAINED_OUT = 1 << 20;

/** Options that would make the client misbehave are refused up front, naming the option and the fix. */
function checkOptions(o: VppClientOptions): void {
  const bad = (name: string, want: string, got: unknown): never => {
    throw new VppClientError(`VppClient option ${name} must be ${want}, got ${String(got)}`);
  };
  const positive = (name: string, v: number | undefined): void => {
    if (v !== undefined && !(typeof v === 'number' && v > 0 && Number.isFinite(v))) bad(name, 'a positive number', v);
  };
  positive('timeoutMs', o.timeoutMs);
  positive('maxFrameBytes', o.maxFrameBytes);
  if (o.maxInFlight !== undefined && !(Number.isInteger(o.maxInFlight) && o.maxInFlight >= 1)) {
    bad('maxInFlight', 'an integer >= 1', o.maxInFlight);
  }
  if (o.traceSize !== undefined && !(Number.isInteger(o.traceSize) && o.traceSize >= 0)) {
    bad('traceSize', 'an integer >= 0 (0 = off)', o.traceSize);
  }
  if (o.clientName !== undefined && Buffer.byteLength(o.clientName) > 63) {
    bad('clientName', 'at most 63 bytes (VPP keeps 64 with the NUL)', JSON.stringify(o.clientName));
  }
  if (o.reconnect) {
    positive('reconnect.initialDelayMs', o.reconnect.initialDelayMs);
    positive('reconnect.maxDelayMs', o.reconnect.maxDelayMs);
    if (o.reconnect.factor !== undefined && !(o.reconnect.factor >= 1))
      bad('reconnect.factor', 'a number >= 1', o.reconnect.factor);
    if (o.reconnect.maxAttempts !== undefined && !(o.reconnect.maxAttempts >= 1)) {
      bad('reconnect.maxAttempts', 'a number >= 1 (or leave it out for unlimited)', o.reconnect.maxAttempts);
    }
  }
}

/** A codec error names the bad value; for a key field that value is the key itself, so drop it. */
function scrubCodecMessage(e: CodecError): string {
  if (!/(^|[.\]])(private_key|preshared_key)(\b|$)/.test(e.path)) return e.message;
  return e.message.replace(/, got .*$/s, ', got [redacted]');
}

/** What an operator should check for the error code of a failed connect to the API socket. */
function connectHint(code: string | undefined): string {
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

function crcHex(crc: number): string {
  return (crc >>> 0).toString(16).padStart(8, '0');
}

function splitNameCrc(nameCrc: string): { name: string; crc: string } {
  const cut = nameCrc.lastIndexOf('_');
  return { name: nameCrc.slice(0, cut), crc: nameCrc.slice(cut + 1) };
}

export class VppClient extends EventEmitter {
  readonly socketPath: string;
  private readonly clientName: string;
  private readonly timeoutMs: number;
  private readonly maxInFlight: number;
  private readonly reconnectOpts: Required<ReconnectOptions> | false;
  private readonly requireMessages: readonly string[];
  private readonly messages: readonly MessageDef[];
  private readonly messagesByName = new Map<string, MessageDef>();
  private readonly traceRing: TraceEntry[] = [];
  private readonly traceSize: number;
  private traceNext = 0;
  private readonly debug: ((line: string) => void) | undefined;

  private socket: Socket | undefined;
  private readonly framer: Framer;
  private out = new Writer(OUT_INITIAL);
  private flushScheduled = false;
  private writeBlocked = false;

  private readonly pending = new PendingTable<Pending>();
  /** Encoded requests waiting for a window slot, in order (the window limits writing, not encoding). */
  private unsent: Pending[] = [];
  private unsentHead = 0;
  /** Requests (and batches) not encoded yet, in call order, behind everything in `unsent`. */
  private waiting: (Pending | Batch | undefined)[] = [];
  private waitingHead = 0;
  /** Batch values not yet encoded (not in `pending`), for pendingCount. */
  private batchWaiting = 0;
  /** Stream offset of `out.buf[0]`, and how far the stream has been handed to the socket. */
  private outBase = 0;
  private writtenAbs = 0;
  /** The socket may still hold slices of `out.buf`: never rewrite it, allocate a new one. */
  private outShared = false;
  private inFlight = 0;
  /** Free window slots that make settle() write at once rather than at the end of the tick. */
  private readonly refillAt: number;
  private nextContext = 1;

  private timer: NodeJS.Timeout | undefined;
  private timerAt = Infinity;

  /** name_crc → id of the current connection. */
  private table = new Map<string, number>();
  /** name → VPP's crc, for reporting changed messages. */
  private tableCrcByName = new Map<string, string>();
  /** Our defs resolved on this connection. */
  private ids = new Map<MessageDef, number>();
  /** Plans per kind (call, dump, stream, goodbye) resolved on this connection. */
  private plans: Map<MessageDef, Plan>[] = [new Map(), new Map(), new Map(), new Map()];
  /** The plan of the message last called: a run of calls to one message skips the plan lookup. */
  private lastCallDef: MessageDef | undefined;
  private lastCallPlan: Plan | undefined;
  /** Where `context` sits in each incoming id's body: offset, NO_CONTEXT (event) or NOT_KNOWN. */
  private ctxOffById = new Int32Array(65536).fill(NOT_KNOWN);
  private subsById: (Subscription | undefined)[] = [];
  private readonly subs = new Map<string, Subscription>();
  private pingId = -1;
  private pingReplyId = -1;

  private _connected = false;
  private _clientIndex = 0;
  private _compat: CompatibilityReport = { compatible: [], changed: [], missing: [], vppMessageCount: 0 };
  private closing = false;
  private reconnectTimer: NodeJS.Timeout | undefined;
  private reconnectAttempt = 0;
  /** Counters for diagnostics. */
  readonly stats = {
    sent: 0,
    received: 0,
    events: 0,
    lateReplies: 0,
    unknownMessages: 0,
    timeouts: 0,
    reconnects: 0,
    /** Writes the socket could not take at once (back-pressure from VPP). */
    writeStalls: 0,
  };

  private constructor(opts: VppClientOptions) {
    super();
    checkOptions(opts);
    this.socketPath = opts.socketPath ?? '/run/vpp/api.sock';
    this.clientName = opts.clientName ?? 'vppwg';
    this.timeoutMs = opts.timeoutMs ?? 5000;
    this.maxInFlight = Math.max(1, opts.maxInFlight ?? 1024);
    this.refillAt = Math.max(1, this.maxInFlight >> 2);
    this.framer = new Framer(opts.maxFrameBytes ?? 64 * 1024 * 1024);
    this.reconnectOpts =
      opts.reconnect === false
        ? false
        : {
            initialDelayMs: opts.reconnect?.initialDelayMs ?? 100,
            maxDelayMs: opts.reconnect?.maxDelayMs ?? 10_000,
            factor: opts.reconnect?.factor ?? 2,
            maxAttempts: opts.reconnect?.maxAttempts ?? Infinity,
          };
    this.requireMessages = opts.requireMessages ?? [];
    const seen = new Set<string>();
    const all: MessageDef[] = [];
    for (const def of [...bootstrapMessages, ...(opts.messages ?? messagesByNameCrc.values())]) {
      if (seen.has(def.nameCrc)) continue;
      seen.add(def.nameCrc);
      all.push(def);
      if (!this.messagesByName.has(def.name)) this.messagesByName.set(def.name, def);
    }
    this.messages = all;
    this.traceSize = Math.max(0, opts.traceSize ?? 0);
    this.debug = opts.debug;
    this.ctxOffById[SOCKCLNT_CREATE_REPLY_ID] = sockclnt_create_reply.contextOffset;
  }

  /** Connect, do the handshake and check the bindings; rejects when VPP is unreachable or incompatible. */
  static async connect(opts: VppClientOptions = {}): Promise<VppClient> {
    const client = new VppClient(opts);
    await client.open();
    return client;
  }

  get connected(): boolean {
    return this._connected;
  }

  get clientIndex(): number {
    return this._clientIndex;
  }

  get compatibility(): CompatibilityReport {
    return this._compat;
  }

  /** Requests sent and not yet answered, plus those waiting for a window slot. */
  get pendingCount(): number {
    return this.pending.size + this.batchWaiting;
  }

  /** Usable on the connected VPP: we have a binding and VPP has it with the same CRC. */
  has(nameOrDef: string | MessageDef): boolean {
    if (!this._connected) return false;
    if (typeof nameOrDef !== 'string') return this.table.has(nameOrDef.nameCrc);
    if (this.table.has(nameOrDef) && /_[0-9a-f]{8}$/.test(nameOrDef)) return true;
    const def = this.messagesByName.get(nameOrDef);
    return def !== undefined && this.table.has(def.nameCrc);
  }

  /** The message id of `nameOrDef` on this connection, or undefined. */
  messageId(nameOrDef: string | MessageDef): number | undefined {
    const key =
      typeof nameOrDef === 'string' ? (this.messagesByName.get(nameOrDef)?.nameCrc ?? nameOrDef) : nameOrDef.nameCrc;
    return this.table.get(key);
  }

  /**
   * Request → reply. A non-zero retval rejects with VppApiError. When the window is full the value
   * is encoded later, as a slot frees: leave it unchanged until the call settles.
   */
  call<TIn, R>(def: RequestDef<TIn, R>, v: TIn, opts?: CallOptions): Promise<R> {
    if (def === this.lastCallDef && this._connected)
      return this.send0(this.lastCallPlan!, v, undefined, opts) as Promise<R>;
    const admitted = this.admit(PLAN_CALL, def);
    if (admitted instanceof Error) return Promise.reject(admitted);
    this.lastCallDef = def;
    this.lastCallPlan = admitted;
    return this.send0(admitted, v, undefined, opts) as Promise<R>;
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
    const admitted = this.admit(PLAN_CALL, def);
    if (admitted instanceof Error) return Promise.reject(admitted);
    const plan = admitted;
    if (values.length === 0) return Promise.resolve([]);
    const promise = new Promise(capture);
    const batch = new Batch(plan, values, opts?.timeoutMs ?? this.timeoutMs, captured.resolve, captured.reject);
    this.waiting.push(batch);
    this.batchWaiting += values.length;
    this.flush();
    return promise as Promise<R[]>;
  }

  /** Old-style dump: the details, collected until the control_ping_reply of the same context. */
  async dump<TIn, D>(def: DumpDef<TIn, D>, v: TIn, opts?: CallOptions): Promise<D[]> {
    const out: D[] = [];
    await this.startDump(def, v, (d) => out.push(d as D), opts);
    return out;
  }

  /** The same dump as an async iterator; details are yielded as they arrive. */
  dumpIter<TIn, D>(def: DumpDef<TIn, D>, v: TIn, opts?: CallOptions): AsyncIterableIterator<D> {
    const ch = new Channel<D>();
    this.startDump(def, v, (d) => ch.push(d as D), opts).then(
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
      const done = this.request(PLAN_STREAM, def, { ...v, cursor }, (d) => ch.push(d as D), opts) as Promise<{
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
    if (eventDef.contextOffset !== -1) {
      throw new VppClientError(`${eventDef.name} has a context field: it is a reply or details, not an event`);
    }
    let sub = this.subs.get(eventDef.nameCrc);
    if (!sub) {
      sub = { def: eventDef as MessageDef, listeners: new Set() };
      this.subs.set(eventDef.nameCrc, sub);
      const id = this.table.get(eventDef.nameCrc);
      if (id !== undefined) this.bindSubscription(id, sub);
    }
    const l = listener as (e: unknown) => void;
    sub.listeners.add(l);
    return () => {
      sub.listeners.delete(l);
    };
  }

  /** The most recent calls, oldest first: names, contexts, durations and retvals only (never values). */
  trace(): readonly TraceEntry[] {
    if (this.traceRing.length < this.traceSize) return this.traceRing.slice();
    return [...this.traceRing.slice(this.traceNext), ...this.traceRing.slice(0, this.traceNext)];
  }

  /** Say goodbye (sockclnt_delete), close the socket and stop reconnecting. Pending calls reject. */
  async close(): Promise<void> {
    if (this.closing) return;
    this.closing = true;
    if (this.reconnectTimer) clearTimeout(this.reconnectTimer);
    this.reconnectTimer = undefined;
    const sock = this.socket;
    if (this._connected && sock) {
      try {
        await this.request(PLAN_GOODBYE, sockclnt_delete, { index: this._clientIndex }, undefined, {
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
    this.failAll(new VppDisconnectedError('the client was closed'));
    this.clearTimer();
  }

  // ---------------------------------------------------------------- connection

  private async open(): Promise<void> {
    const sock = await new Promise<Socket>((resolve, reject) => {
      const s = createConnection(this.socketPath);
      const onError = (e: Error): void => {
        s.destroy();
        const code = (e as NodeJS.ErrnoException).code;
        reject(
          new VppDisconnectedError(
            `cannot connect to VPP at ${this.socketPath}: ${code ?? e.message} (${connectHint(code)})`,
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
    if (this.closing) {
      sock.destroy();
      throw new VppDisconnectedError('the client was closed while connecting');
    }
    this.attach(sock);
    let reply: SockclntCreateReply;
    try {
      reply = (await this.send0(
        HANDSHAKE_PLAN,
        { name: this.clientName },
        undefined,
        undefined,
      )) as SockclntCreateReply;
    } catch (e) {
      sock.destroy();
      throw this.handshakeFailed(e);
    }
    this.useTable(reply);
    const unusable = this.requireMessages.flatMap((name) => this.unusable(name));
    if (unusable.length > 0) {
      const err = new VppIncompatibleError(unusable);
      sock.destroy();
      throw err;
    }
    this._connected = true;
    this.reconnectAttempt = 0;
    this.emit('connected', this._compat);
  }

  /** Something answers at the path but not as VPP's API does (often: the CLI socket, cli-listen). */
  private handshakeFailed(e: unknown): unknown {
    if (this.closing || !(e instanceof VppTimeoutError || e instanceof VppDisconnectedError)) return e;
    const what =
      e instanceof VppTimeoutError
        ? `accepted the connection but did not answer VPP's handshake (sockclnt_create) within ${e.timeoutMs} ms`
        : e.cause instanceof VppProtocolError
          ? `sent bytes that are not VPP API frames (${e.cause.message})`
          : 'closed the connection during the handshake (sockclnt_create)';
    return new VppDisconnectedError(
      `cannot connect to VPP at ${this.socketPath}: it ${what}; is it VPP's binary API socket ` +
        '(socksvr { socket-name } in startup.conf, default /run/vpp/api.sock) and not its CLI socket (cli-listen)?',
      undefined,
      e,
    );
  }

  private attach(sock: Socket): void {
    this.socket = sock;
    this.framer.reset();
    this.resetOutput();
    sock.setNoDelay?.(true);
    let closeCause: Error | undefined;
    sock.on('data', (chunk: Buffer) => {
      if (this.socket !== sock) return;
      const err = this.framer.push(chunk, this.onFrame);
      if (err) {
        closeCause = err;
        this.emitError(err);
        sock.destroy();
      }
    });
    sock.on('drain', () => {
      this.writeBlocked = false;
      this.flush();
    });
    sock.on('error', (e) => {
      closeCause ??= e;
    });
    sock.on('close', () => this.onClose(sock, closeCause));
  }

  private onClose(sock: Socket, cause: Error | undefined): void {
    if (this.socket !== sock) return;
    this.socket = undefined;
    const wasConnected = this._connected;
    this._connected = false;
    const why = cause ? `: ${cause.message}` : '';
    const err = new VppDisconnectedError(
      this.closing
        ? 'the client was closed before the reply came'
        : `connection to VPP at ${this.socketPath} lost${why}; the request may or may not have been applied`,
      undefined,
      cause,
    );
    this.failAll(err);
    if (wasConnected) this.emit('disconnected', err);
    if (wasConnected && !this.closing && this.reconnectOpts) this.scheduleReconnect();
  }

  private scheduleReconnect(): void {
    const r = this.reconnectOpts;
    if (!r || this.closing) return;
    if (this.reconnectAttempt >= r.maxAttempts) {
      this.emitError(
        new VppDisconnectedError(
          `gave up reconnecting to VPP at ${this.socketPath} after ${this.reconnectAttempt} attempts`,
        ),
      );
      return;
    }
    const attempt = ++this.reconnectAttempt;
    const delayMs = backoffDelay({ initialMs: r.initialDelayMs, maxMs: r.maxDelayMs, factor: r.factor }, attempt);
    this.emit('reconnecting', { attempt, delayMs } satisfies ReconnectingInfo);
    this.reconnectTimer = setTimeout(() => {
      this.reconnectTimer = undefined;
      if (this.closing) return;
      this.stats.reconnects++;
      this.open().catch((e: unknown) => {
        // VPP came back without a required message: say so, and keep trying (at the capped
        // delay) in case it is restarted again with the right plugins.
        if (e instanceof VppIncompatibleError) this.emitError(e);
        this.scheduleReconnect();
      });
    }, delayMs);
  }

  private useTable(reply: SockclntCreateReply): void {
    this._clientIndex = reply.index >>> 0;
    const table = new Map<string, number>();
    const crcByName = new Map<string, string>();
    for (const e of reply.message_table) {
      table.set(e.name, e.index);
      const { name, crc } = splitNameCrc(e.name);
      crcByName.set(name, crc);
    }
    this.table = table;
    this.tableCrcByName = crcByName;
    this.ids = new Map();
    this.plans = [new Map(), new Map(), new Map(), new Map()];
    this.lastCallDef = undefined;
    this.lastCallPlan = undefined;
    this.ctxOffById.fill(NOT_KNOWN);
    this.ctxOffById[SOCKCLNT_CREATE_REPLY_ID] = sockclnt_create_reply.contextOffset;
    this.subsById = [];

    const compatible: string[] = [];
    const changed: ChangedMessage[] = [];
    const missing: string[] = [];
    for (const def of this.messages) {
      const id = table.get(def.nameCrc);
      if (id !== undefined) {
        compatible.push(def.name);
        this.ids.set(def, id);
        this.ctxOffById[id] = def.contextOffset < 0 ? NO_CONTEXT : def.contextOffset;
      } else {
        const theirs = crcByName.get(def.name);
        if (theirs === undefined) missing.push(def.name);
        else changed.push({ name: def.name, ours: crcHex(def.crc), theirs });
      }
    }
    this._compat = { compatible, changed, missing, vppMessageCount: table.size };
    this.pingId = table.get(control_ping.nameCrc) ?? -1;
    this.pingReplyId = table.get(control_ping_reply.nameCrc) ?? -1;
    if (this.pingReplyId >= 0) this.ctxOffById[this.pingReplyId] = control_ping_reply.contextOffset;
    for (const sub of this.subs.values()) {
      const id = table.get(sub.def.nameCrc);
      if (id !== undefined) this.bindSubscription(id, sub);
    }
  }

  private bindSubscription(id: number, sub: Subscription): void {
    this.subsById[id] = sub;
    this.ctxOffById[id] = NO_CONTEXT;
  }

  /** Which of `messages` this connection cannot use (missing, another CRC, or no binding of ours); [] when all are usable. */
  incompatible(messages: readonly (string | MessageDef)[]): IncompatibleMessage[] {
    return messages.flatMap((m) => this.unusable(m));
  }

  /** Why `message` cannot be used on this connection, or [] when it can. */
  private unusable(message: string | MessageDef): IncompatibleMessage[] {
    const name = typeof message === 'string' ? message : message.name;
    const def = typeof message === 'string' ? this.messagesByName.get(name) : message;
    const theirs = this.tableCrcByName.get(name);
    if (!def) {
      // No binding of ours: report what VPP has so the operator sees it is our side that lacks it.
      return [{ name, ours: 'none (no binding generated)', ...(theirs !== undefined ? { theirs } : {}) }];
    }
    if (this.table.has(def.nameCrc)) return [];
    return [{ name, ours: crcHex(def.crc), ...(theirs !== undefined ? { theirs } : {}) }];
  }

  /** The id of `def` on this connection; throws VppIncompatibleError when VPP lacks it or has another CRC. */
  private idOf(def: MessageDef): number {
    let id = this.ids.get(def);
    if (id !== undefined) return id;
    id = this.table.get(def.nameCrc);
    if (id === undefined) {
      const theirs = this.tableCrcByName.get(def.name);
      throw new VppIncompatibleError([
        { name: def.name, ours: crcHex(def.crc), ...(theirs !== undefined ? { theirs } : {}) },
      ]);
    }
    this.ids.set(def, id);
    this.ctxOffById[id] = def.contextOffset < 0 ? NO_CONTEXT : def.contextOffset;
    return id;
  }

  // ---------------------------------------------------------------- requests

  private startDump(def: MessageDef, v: unknown, onDetail: Detail, opts: CallOptions | undefined): Promise<unknown> {
    return this.request(PLAN_DUMP, def, v, onDetail, opts);
  }

  /** The plan for `def` used as `kind` on this connection; throws when it cannot be sent. */
  private plan(kind: PlanKind, def: MessageDef): Plan {
    const cached = this.plans[kind]!.get(def);
    if (cached) return cached;
    let terminator: MessageDef | undefined;
    let detailsDef: MessageDef | undefined;
    if (kind === PLAN_DUMP) {
      if (!def.detailsDef) throw new VppClientError(`${def.name} has no details message: it is not a dump`);
      if (def.cursorStream) throw new VppClientError(`${def.name} is a cursor stream: use stream() or streamIter()`);
      terminator = control_ping_reply;
      detailsDef = def.detailsDef;
    } else if (kind === PLAN_STREAM) {
      if (!def.replyDef || !def.detailsDef) {
        throw new VppClientError(`${def.name} is not a cursor stream (needs a reply and details)`);
      }
      terminator = def.replyDef;
      detailsDef = def.detailsDef;
    } else {
      terminator = def.replyDef;
      if (!terminator) throw new VppClientError(`${def.name} has no reply message: it cannot be called`);
    }
    let plan: Plan;
    try {
      const msgId = this.idOf(def);
      const terminatorId = this.idOf(terminator);
      const detailsId = detailsDef ? this.idOf(detailsDef) : -1;
      if (kind === PLAN_DUMP && this.pingId < 0) this.idOf(control_ping);
      plan = new Plan(
        def,
        msgId,
        terminator,
        terminatorId,
        detailsDef,
        detailsId,
        kind === PLAN_DUMP,
        kind === PLAN_GOODBYE ? RETVAL_IGNORE : kind === PLAN_STREAM ? RETVAL_ALLOW_EAGAIN : RETVAL_CHECK,
      );
    } catch (e) {
      if (e instanceof VppIncompatibleError) throw this.incompatibleFor(def, terminator, detailsDef);
      throw e;
    }
    this.plans[kind]!.set(def, plan);
    return plan;
  }

  private request(
    kind: PlanKind,
    def: MessageDef,
    v: unknown,
    onDetail: Detail | undefined,
    opts: CallOptions | undefined,
  ): Promise<unknown> {
    const admitted = this.admit(kind, def);
    if (admitted instanceof Error) return Promise.reject(admitted);
    return this.send0(admitted, v, onDetail, opts);
  }

  /** The send plan of `def`, or why it cannot be sent now (disconnected, or unusable on this VPP). */
  private admit(kind: PlanKind, def: MessageDef): Plan | Error {
    if (!this.socket || (!this._connected && kind !== PLAN_GOODBYE)) {
      return new VppDisconnectedError(
        this.closing ? 'the client is closed' : `not connected to VPP at ${this.socketPath} (reconnecting)`,
        def.name,
      );
    }
    try {
      return this.plan(kind, def);
    } catch (e) {
      return e as Error;
    }
  }

  /** Register and send (or queue) one request of a resolved plan. */
  private send0(plan: Plan, v: unknown, onDetail: Detail | undefined, opts: CallOptions | undefined): Promise<unknown> {
    if (!this.socket) return Promise.reject(new VppDisconnectedError('not connected', plan.def.name));
    const context = this.allocContext();
    const promise = new Promise(capture);
    const p = new Pending(
      context,
      plan,
      v,
      onDetail,
      0,
      opts?.timeoutMs ?? this.timeoutMs,
      captured.resolve,
      captured.reject,
    );
    if (this.traceSize > 0) p.started = performance.now();
    this.pending.set(p);
    this.enqueue(p);
    return promise;
  }

  /** One error naming every part of the exchange VPP does not have as we know it. */
  private incompatibleFor(
    def: MessageDef,
    terminator: MessageDef,
    detailsDef: MessageDef | undefined,
  ): VppIncompatibleError {
    const list: IncompatibleMessage[] = [];
    for (const d of [def, terminator, detailsDef]) {
      if (!d || this.table.has(d.nameCrc)) continue;
      const theirs = this.tableCrcByName.get(d.name);
      list.push({ name: d.name, ours: crcHex(d.crc), ...(theirs !== undefined ? { theirs } : {}) });
    }
    return new VppIncompatibleError(list);
  }

  private allocContext(): number {
    // Never 0 (VPP clients treat it as "no context"), wrap past 2^32-1, skip contexts still waiting.
    let c = this.nextContext;
    while (this.pending.has(c)) c = c === 0xffffffff ? 1 : c + 1;
    this.nextContext = c === 0xffffffff ? 1 : c + 1;
    return c;
  }

  /**
   * Queue `p`. While it fits the window it is encoded now (and written at once when VPP is idle, else
   * at the end of the tick). Beyond the window it waits as a value and is encoded when a reply frees
   * a slot: a batch of 50,000 calls then costs little up front, and encoding overlaps VPP's work
   * instead of keeping it idle while we encode everything first.
   */
  private enqueue(p: Pending): void {
    const unsent = this.unsent;
    if (this.waitingHead < this.waiting.length || unsent.length - this.unsentHead >= this.maxInFlight - this.inFlight) {
      this.waiting.push(p);
      return;
    }
    if (!this.encode(p)) return;
    unsent.push(p);
    // Nothing on the wire (the serial case, or the first of a batch): go now, VPP is idle.
    // A big batch goes out early so VPP starts on it while we keep encoding; the rest at the end of the tick.
    if (this.inFlight === 0 || p.end - this.writtenAbs >= EAGER_FLUSH_BYTES) this.flush();
    else this.scheduleFlush();
  }

  /** Append `p`'s frames to `out`; false (and `p` rejected and forgotten) when its value cannot be encoded. */
  private encode(p: Pending): boolean {
    const w = this.out;
    const start = w.off;
    const plan = p.plan;
    try {
      this.encodeFrame(w, plan.def, plan.msgId, p.value, p.context);
      if (plan.withPing) this.encodeFrame(w, control_ping, this.pingId, undefined, p.context);
    } catch (e) {
      w.off = start;
      this.pending.delete(p);
      const err =
        e instanceof CodecError
          ? new VppClientError(`${plan.def.name}: cannot encode the request: ${scrubCodecMessage(e)}`)
          : e instanceof Error
            ? e
            : new Error(String(e));
      p.value = undefined;
      p.fail(err);
      this.record(p, undefined, 'error');
      return false;
    }
    p.end = this.outBase + w.off;
    this.stats.sent++;
    if (this.debug) this.debug(`-> ${plan.def.name} context ${p.context} ${inspectRedacted(p.value)}`);
    p.value = undefined;
    return true;
  }

  private scheduleFlush(): void {
    if (this.flushScheduled) return;
    this.flushScheduled = true;
    process.nextTick(this.flush);
  }

  private encodeFrame(w: Writer, def: MessageDef, msgId: number, v: unknown, context: number): void {
    const start = w.off;
    w.zeros(HEADER_BYTES);
    def.encode(w, msgId, v ?? {});
    const body = start + HEADER_BYTES;
    const buf = w.buf;
    buf.writeUInt32BE(w.off - body, start + 8);
    if (def.clientIndexOffset >= 0) buf.writeUInt32BE(this._clientIndex, body + def.clientIndexOffset);
    if (def.contextOffset >= 0) buf.writeUInt32BE(context, body + def.contextOffset);
  }

  /** The next request of `b`, registered now that a window slot is free for it. */
  private batchPending(b: Batch): Pending {
    const i = b.next;
    this.batchWaiting--;
    const p = new Pending(this.allocContext(), b.plan, b.take(), undefined, 0, b.timeoutMs, noop, noop);
    p.batch = b;
    p.index = i;
    if (this.traceSize > 0) p.started = performance.now();
    this.pending.set(p);
    return p;
  }

  /** Encode waiting requests into free window slots and write everything encoded, in one write. */
  private readonly flush = (): void => {
    this.flushScheduled = false;
    const sock = this.socket;
    if (!sock || this.writeBlocked) return;
    const free = this.maxInFlight - this.inFlight;
    let unsent = this.unsent;
    const waiting = this.waiting;
    while (this.waitingHead < waiting.length && unsent.length - this.unsentHead < free) {
      const item = waiting[this.waitingHead]!;
      let p: Pending;
      if (item instanceof Batch) {
        p = this.batchPending(item);
        if (item.next === item.count) waiting[this.waitingHead++] = undefined;
      } else {
        p = item;
        waiting[this.waitingHead++] = undefined;
      }
      // A value that cannot be encoded is rejected by encode() and never queued.
      if (this.encode(p)) unsent.push(p);
    }
    if (this.waitingHead === waiting.length) {
      waiting.length = 0;
      this.waitingHead = 0;
    } else if (this.waitingHead >= 4096 && this.waitingHead * 2 >= waiting.length) {
      this.waiting = waiting.slice(this.waitingHead);
      this.waitingHead = 0;
    }
    const n = Math.min(unsent.length - this.unsentHead, free);
    if (n <= 0) return;
    const now = performance.now();
    const first = this.unsentHead;
    const last = first + n - 1;
    for (let i = first; i <= last; i++) {
      const p = unsent[i]!;
      p.sent = true;
      // Whole milliseconds, rounded up: a small integer stays unboxed (no heap number per call).
      p.deadline = Math.ceil(now + p.timeoutMs);
      if (p.deadline < this.timerAt) this.armTimer(p.deadline);
    }
    const endAbs = unsent[last]!.end;
    this.unsentHead = last + 1;
    this.inFlight += n;
    const w = this.out;
    const from = this.writtenAbs - this.outBase;
    const to = endAbs - this.outBase;
    this.writtenAbs = endAbs;
    const chunk = w.buf.subarray(from, to);
    const allWritten = this.unsentHead === unsent.length;
    if (allWritten) {
      this.outBase = endAbs;
      unsent.length = 0;
      this.unsentHead = 0;
    } else {
      // Encoded requests still wait for the window: keep appending behind this slice.
      this.outShared = true;
      if (to >= COMPACT_OUT_BYTES && to * 2 >= w.off) {
        const tail = new Writer(Math.max(OUT_INITIAL, (w.off - to) * 2));
        tail.bytes(w.buf.subarray(to, w.off));
        this.out = tail;
        this.outBase = endAbs;
        this.outShared = false;
      }
    }
    if (this.unsentHead >= 4096 && this.unsentHead * 2 >= unsent.length) {
      unsent = this.unsent = unsent.slice(this.unsentHead);
      this.unsentHead = 0;
    }
    if (!sock.write(chunk)) {
      this.writeBlocked = true;
      this.stats.writeStalls++;
    }
    if (allWritten) {
      // The socket took the bytes synchronously when nothing is left queued in it: then `out` holds
      // nothing anyone needs and is reused (the common case). Otherwise the socket still refers to
      // it, so it is given away and a fresh one started.
      if (sock.writableLength === 0 && w.buf.length <= MAX_RETAINED_OUT) {
        w.off = 0;
        this.outShared = false;
      } else {
        this.out = new Writer(OUT_INITIAL);
        this.outShared = false;
      }
    }
  };

  // ---------------------------------------------------------------- receiving

  private readonly onFrame = (buf: Buffer, start: number, end: number): void => {
    this.stats.received++;
    const id = buf.readUInt16BE(start);
    const ctxOff = this.ctxOffById[id]!;
    if (ctxOff === NO_CONTEXT) {
      this.deliverEvent(id, buf, start, end);
      return;
    }
    if (ctxOff === NOT_KNOWN) {
      this.stats.unknownMessages++;
      return;
    }
    if (start + ctxOff + 4 > end) {
      this.emitError(
        new VppProtocolError(`message id ${id} from VPP is too short to hold its context (${end - start} bytes)`),
      );
      return;
    }
    const context = buf.readUInt32BE(start + ctxOff);
    const p = this.pending.get(context);
    if (p === undefined || !p.sent) {
      // A reply after its call timed out (or a stray one): the caller has moved on.
      this.stats.lateReplies++;
      return;
    }
    const plan = p.plan;
    if (id === plan.terminatorId) {
      this.finish(p, buf, start, end);
    } else if (id === plan.detailsId) {
      let d: unknown;
      try {
        d = plan.detailsDef!.decode(new Reader(buf, start, end));
      } catch (e) {
        this.settle(p);
        p.fail(
          new VppProtocolError(`${p.plan.def.name}: cannot decode ${plan.detailsDef!.name}: ${(e as Error).message}`),
        );
        this.record(p, undefined, 'error');
        return;
      }
      p.onDetail!(d);
    } else {
      this.stats.unknownMessages++;
    }
  };

  private finish(p: Pending, buf: Buffer, start: number, end: number): void {
    this.settle(p);
    const plan = p.plan;
    const t = plan.terminator;
    let retval: number | undefined;
    if (t.retvalOffset >= 0 && start + t.retvalOffset + 4 <= end) retval = buf.readInt32BE(start + t.retvalOffset);
    if (
      plan.retvalMode !== RETVAL_IGNORE &&
      retval !== undefined &&
      retval !== 0 &&
      !(plan.retvalMode === RETVAL_ALLOW_EAGAIN && retval === VppErrno.EAGAIN)
    ) {
      p.fail(new VppApiError(p.plan.def.name, retval));
      this.record(p, retval, 'error');
      return;
    }
    let value: unknown;
    try {
      value = t.decode(new Reader(buf, start, end));
    } catch (e) {
      p.fail(new VppProtocolError(`${p.plan.def.name}: cannot decode ${t.name}: ${(e as Error).message}`));
      this.record(p, retval, 'error');
      return;
    }
    p.ok(value);
    this.record(p, retval, 'ok');
  }

  /** Remove `p` from the books; its window slot goes to the next encoded request (written at the end of the tick). */
  private settle(p: Pending): void {
    this.pending.delete(p);
    if (p.sent) {
      this.inFlight--;
      if (this.unsentHead < this.unsent.length || this.waitingHead < this.waiting.length) {
        // In a long burst of replies, refill once a quarter of the window is free instead of after
        // the whole read: VPP gets work while we are still going through the rest of the burst.
        if (this.maxInFlight - this.inFlight >= this.refillAt) this.flush();
        else this.scheduleFlush();
      }
    }
  }

  private deliverEvent(id: number, buf: Buffer, start: number, end: number): void {
    this.stats.events++;
    const sub = this.subsById[id];
    if (!sub || sub.listeners.size === 0) return;
    let e: unknown;
    try {
      e = sub.def.decode(new Reader(buf, start, end));
    } catch (err) {
      this.emitError(new VppProtocolError(`cannot decode event ${sub.def.name}: ${(err as Error).message}`));
      return;
    }
    for (const l of sub.listeners) {
      try {
        l(e);
      } catch (err) {
        this.emitError(err);
      }
    }
  }

  // ---------------------------------------------------------------- timeouts, failures, trace

  private armTimer(at: number): void {
    if (this.timer) clearTimeout(this.timer);
    this.timerAt = at;
    this.timer = setTimeout(this.onTimer, Math.max(0, at - performance.now()) + 1);
    this.timer.unref();
  }

  private clearTimer(): void {
    if (this.timer) clearTimeout(this.timer);
    this.timer = undefined;
    this.timerAt = Infinity;
  }

  /** One timer for all calls: reject the expired ones and re-arm for the earliest remaining deadline. */
  private readonly onTimer = (): void => {
    this.timer = undefined;
    this.timerAt = Infinity;
    const now = performance.now();
    let next = Infinity;
    const expired: Pending[] = [];
    for (const p of this.pending.values()) {
      if (!p.sent) continue;
      if (p.deadline <= now) expired.push(p);
      else if (p.deadline < next) next = p.deadline;
    }
    for (const p of expired) {
      this.stats.timeouts++;
      this.settle(p);
      p.fail(new VppTimeoutError(p.plan.def.name, p.timeoutMs, p.context));
      this.record(p, undefined, 'timeout');
    }
    if (next < Infinity && next < this.timerAt) this.armTimer(next);
  };

  /** Forget everything encoded or in flight (the connection it was for is gone). */
  private resetOutput(): void {
    this.unsent = [];
    this.unsentHead = 0;
    this.waiting = [];
    this.waitingHead = 0;
    this.batchWaiting = 0;
    this.inFlight = 0;
    this.out = new Writer(OUT_INITIAL);
    this.outBase = 0;
    this.writtenAbs = 0;
    this.outShared = false;
    this.writeBlocked = false;
    this.flushScheduled = false;
  }

  private failAll(err: VppDisconnectedError): void {
    const all = this.pending.values();
    const batches: Batch[] = [];
    for (let i = this.waitingHead; i < this.waiting.length; i++) {
      const item = this.waiting[i];
      if (item instanceof Batch) batches.push(item);
    }
    this.pending.clear();
    this.resetOutput();
    for (const p of all) {
      p.fail(new VppDisconnectedError(err.message, p.plan.def.name, err.cause));
      this.record(p, undefined, 'disconnected');
    }
    for (const b of batches) b.failUnsent(new VppDisconnectedError(err.message, b.plan.def.name, err.cause));
    this.clearTimer();
  }

  private record(p: Pending, retval: number | undefined, outcome: TraceEntry['outcome']): void {
    if (this.traceSize === 0) return;
    const entry: TraceEntry = {
      message: p.plan.def.name,
      context: p.context,
      durationMs: performance.now() - p.started,
      outcome,
    };
    if (retval !== undefined) entry.retval = retval;
    if (this.traceRing.length < this.traceSize) this.traceRing.push(entry);
    else this.traceRing[this.traceNext] = entry;
    this.traceNext = (this.traceNext + 1) % this.traceSize;
  }

  /** 'error' only when someone listens: an unheard EventEmitter 'error' would crash the process. */
  private emitError(err: unknown): void {
    if (this.listenerCount('error') > 0) this.emit('error', err);
  }
}

interface Subscription {
  def: MessageDef;
  listeners: Set<(e: unknown) => void>;
}
