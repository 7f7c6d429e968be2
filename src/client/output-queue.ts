/**
 * The way out: requests are encoded into one growing buffer and written in batches, at most
 * maxInFlight on the wire (the rest wait, encoded or still as values), with back-pressure from the
 * socket, and every written request's deadline watched by one timer.
 */
import type { Socket } from 'node:net';
import { performance } from 'node:perf_hooks';
import { CodecError, type MessageDef } from 'vpp-api-ts';
import { Writer } from 'vpp-api-ts/runtime';
import { inspectRedacted } from '../util/secrets';
import { control_ping } from './bootstrap';
import { DeadlineTimer } from './deadline-timer';
import { VppClientError, VppDisconnectedError, VppTimeoutError } from './errors';
import { HEADER_BYTES } from './framer';
import type { MessageTable } from './message-table';
import { PendingRequest, RequestBatch } from './pending';
import type { RequestBook } from './request-book';
import type { ClientStats } from './stats';

const OUT_INITIAL = 64 * 1024;
const EAGER_FLUSH_BYTES = 32 * 1024;
/** Written bytes at the front of the outgoing buffer are dropped once they pass this and half of it. */
const COMPACT_OUT_BYTES = 1 << 20;
/** A buffer that grew for one huge batch is not kept for the next. */
const MAX_RETAINED_OUT = 1 << 20;
/** Queues drop their consumed front once it is this long and half of them. */
const COMPACT_QUEUE_ITEMS = 4096;

export interface OutputQueueDeps {
  book: RequestBook;
  table: MessageTable;
  stats: ClientStats;
  maxInFlight: number;
  debug: ((line: string) => void) | undefined;
}

/** A codec error names the bad value; for a key field that value is the key itself, so drop it. */
function scrubCodecMessage(e: CodecError): string {
  if (!/(^|[.\]])(private_key|preshared_key)(\b|$)/.test(e.path)) return e.message;
  return e.message.replace(/, got .*$/s, ', got [redacted]');
}

export class OutputQueue {
  /** The connection written to; undefined while there is none. */
  socket: Socket | undefined = undefined;
  /** Our handle from the handshake, written into every request that carries one. */
  clientIndex = 0;
  private readonly book: RequestBook;
  private readonly table: MessageTable;
  private readonly stats: ClientStats;
  private readonly debug: ((line: string) => void) | undefined;
  private readonly maxInFlight: number;
  /** Free window slots that make release() write at once rather than at the end of the tick. */
  private readonly refillAt: number;
  private readonly deadlines = new DeadlineTimer(() => this.expireOverdue());

  private out = new Writer(OUT_INITIAL);
  private flushScheduled = false;
  private writeBlocked = false;
  /** Encoded requests waiting for a window slot, in order (the window limits writing, not encoding). */
  private unsent: PendingRequest[] = [];
  private unsentHead = 0;
  /** Requests (and batches) not encoded yet, in call order, behind everything in `unsent`. */
  private waiting: (PendingRequest | RequestBatch | undefined)[] = [];
  private waitingHead = 0;
  /** Batch values not yet encoded (not in the book). */
  private batchWaiting = 0;
  /** Stream offset of `out.buf[0]`, and how far the stream has been handed to the socket. */
  private outBase = 0;
  private writtenAbs = 0;
  /** The socket may still hold slices of `out.buf`: never rewrite it, allocate a new one. */
  private outShared = false;
  private inFlight = 0;

  constructor(deps: OutputQueueDeps) {
    this.book = deps.book;
    this.table = deps.table;
    this.stats = deps.stats;
    this.debug = deps.debug;
    this.maxInFlight = deps.maxInFlight;
    this.refillAt = Math.max(1, deps.maxInFlight >> 2);
  }

  /** Batch values not encoded yet (not in the book). */
  get valuesWaiting(): number {
    return this.batchWaiting;
  }

  /** Write to `sock` from now on, starting empty. */
  attach(sock: Socket): void {
    this.socket = sock;
    this.reset();
  }

  /** The socket took everything it had queued: write again. */
  drained(): void {
    this.writeBlocked = false;
    this.flush();
  }

  /**
   * Queue `p` (registered in the book). While it fits the window it is encoded now (and written at
   * once when VPP is idle, else at the end of the tick). Beyond the window it waits as a value and
   * is encoded when a reply frees a slot: a batch of 50,000 calls then costs little up front, and
   * encoding overlaps VPP's work instead of keeping it idle while we encode everything first.
   */
  enqueue(p: PendingRequest): void {
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

  /** Queue a callMany behind everything else; its requests are made as window slots free. */
  enqueueBatch(b: RequestBatch): void {
    this.waiting.push(b);
    this.batchWaiting += b.count;
    this.flush();
  }

  /** Remove `p` from the book; its window slot goes to the next encoded request (written at the end of the tick). */
  release(p: PendingRequest): void {
    this.book.forget(p);
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

  /** The connection is gone: every request, waiting or in flight, fails with (a copy of) `err`. */
  failAll(err: VppDisconnectedError): void {
    const batches: RequestBatch[] = [];
    for (let i = this.waitingHead; i < this.waiting.length; i++) {
      const item = this.waiting[i];
      if (item instanceof RequestBatch) batches.push(item);
    }
    const all = this.book.takeAll();
    this.reset();
    for (const p of all) {
      this.book.fail(p, new VppDisconnectedError(err.message, p.plan.def.name, err.cause), undefined, 'disconnected');
    }
    for (const b of batches) b.failUnsent(new VppDisconnectedError(err.message, b.plan.def.name, err.cause));
    this.deadlines.clear();
  }

  /** Forget everything encoded or in flight (the connection it was for is gone). */
  private reset(): void {
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

  /** Append `p`'s frames to `out`; false (and `p` rejected and forgotten) when its value cannot be encoded. */
  private encode(p: PendingRequest): boolean {
    const w = this.out;
    const start = w.off;
    const plan = p.plan;
    try {
      this.encodeFrame(w, plan.def, plan.msgId, p.value, p.context);
      if (plan.withPing) this.encodeFrame(w, control_ping, this.table.pingId, undefined, p.context);
    } catch (e) {
      w.off = start;
      this.book.forget(p);
      const err =
        e instanceof CodecError
          ? new VppClientError(`${plan.def.name}: cannot encode the request: ${scrubCodecMessage(e)}`)
          : e instanceof Error
            ? e
            : new Error(String(e));
      p.value = undefined;
      this.book.fail(p, err, undefined, 'error');
      return false;
    }
    p.end = this.outBase + w.off;
    this.stats.sent++;
    if (this.debug) this.debug(`-> ${plan.def.name} context ${p.context} ${inspectRedacted(p.value)}`);
    p.value = undefined;
    return true;
  }

  private encodeFrame(w: Writer, def: MessageDef, msgId: number, v: unknown, context: number): void {
    const start = w.off;
    w.zeros(HEADER_BYTES);
    def.encode(w, msgId, v ?? {});
    const body = start + HEADER_BYTES;
    const buf = w.buf;
    buf.writeUInt32BE(w.off - body, start + 8);
    if (def.clientIndexOffset >= 0) buf.writeUInt32BE(this.clientIndex, body + def.clientIndexOffset);
    if (def.contextOffset >= 0) buf.writeUInt32BE(context, body + def.contextOffset);
  }

  private scheduleFlush(): void {
    if (this.flushScheduled) return;
    this.flushScheduled = true;
    process.nextTick(this.flush);
  }

  /** The next request of `b`, registered now that a window slot is free for it. */
  private batchPending(b: RequestBatch): PendingRequest {
    this.batchWaiting--;
    const book = this.book;
    const p = PendingRequest.forBatch(b, book.allocContext());
    book.register(p);
    return p;
  }

  /** Encode waiting requests into free window slots and write everything encoded, in one write. */
  readonly flush = (): void => {
    this.flushScheduled = false;
    const sock = this.socket;
    if (!sock || this.writeBlocked) return;
    const free = this.maxInFlight - this.inFlight;
    let unsent = this.unsent;
    const waiting = this.waiting;
    while (this.waitingHead < waiting.length && unsent.length - this.unsentHead < free) {
      const item = waiting[this.waitingHead]!;
      let p: PendingRequest;
      if (item instanceof RequestBatch) {
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
    } else if (this.waitingHead >= COMPACT_QUEUE_ITEMS && this.waitingHead * 2 >= waiting.length) {
      this.waiting = waiting.slice(this.waitingHead);
      this.waitingHead = 0;
    }
    const n = Math.min(unsent.length - this.unsentHead, free);
    if (n <= 0) return;
    const now = performance.now();
    const first = this.unsentHead;
    const last = first + n - 1;
    const deadlines = this.deadlines;
    for (let i = first; i <= last; i++) {
      const p = unsent[i]!;
      p.sent = true;
      // Whole milliseconds, rounded up: a small integer stays unboxed (no heap number per call).
      p.deadline = Math.ceil(now + p.timeoutMs);
      if (p.deadline < deadlines.at) deadlines.arm(p.deadline);
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
    if (this.unsentHead >= COMPACT_QUEUE_ITEMS && this.unsentHead * 2 >= unsent.length) {
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

  /** Reject the written requests past their deadline and re-arm for the earliest remaining one. */
  private expireOverdue(): void {
    const now = performance.now();
    let next = Infinity;
    const expired: PendingRequest[] = [];
    for (const p of this.book.pending.values()) {
      if (!p.sent) continue;
      if (p.deadline <= now) expired.push(p);
      else if (p.deadline < next) next = p.deadline;
    }
    for (const p of expired) {
      this.stats.timeouts++;
      this.release(p);
      this.book.fail(p, new VppTimeoutError(p.plan.def.name, p.timeoutMs, p.context), undefined, 'timeout');
    }
    if (next < Infinity && next < this.deadlines.at) this.deadlines.arm(next);
  }
}
