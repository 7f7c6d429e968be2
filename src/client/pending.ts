/**
 * The bookkeeping of one request (PendingRequest) and of one callMany (RequestBatch). Kept small:
 * thousands may wait at once, and a batch's requests are made only as they are encoded.
 */
import type { RequestPlan } from './request-plan';

export type DetailHandler = (d: unknown) => void;

const noop = (): void => undefined;
/** A batch's requests settle their slot of the batch, not a promise. */
const NO_SETTLERS: PromiseSettlers = { resolve: noop, reject: noop };

/** The resolve and reject of one promise, as its executor received them. */
export interface PromiseSettlers {
  resolve: (v: unknown) => void;
  reject: (e: unknown) => void;
}

/** One request awaiting its terminating message. */
export class PendingRequest {
  readonly context: number;
  readonly plan: RequestPlan;
  /** The request value until it is encoded (then dropped so the caller's object can be freed). */
  value: unknown;
  readonly onDetail: DetailHandler | undefined;
  readonly timeoutMs: number;
  /** performance.now() at registration, only while tracing. */
  started = 0;
  /** Written to the socket: it holds a window slot and its deadline runs. */
  sent = false;
  /** Stream offset just past this request's frames in the outgoing buffer. */
  end = 0;
  /** Set when the request is written (0 until then): time spent waiting for a window slot does not count. */
  deadline = 0;
  private readonly resolve: (v: unknown) => void;
  private readonly reject: (e: unknown) => void;
  /** Set for a request of a callMany batch: it settles its slot of the batch, not a promise of its own. */
  private readonly batch: RequestBatch | undefined;
  private readonly index: number;

  /** Only through the factories below: one allocation per request, no options object on this hot path. */
  private constructor(
    context: number,
    plan: RequestPlan,
    value: unknown,
    onDetail: DetailHandler | undefined,
    timeoutMs: number,
    settlers: PromiseSettlers,
    batch: RequestBatch | undefined,
    index: number,
  ) {
    this.context = context;
    this.plan = plan;
    this.value = value;
    this.onDetail = onDetail;
    this.timeoutMs = timeoutMs;
    this.resolve = settlers.resolve;
    this.reject = settlers.reject;
    this.batch = batch;
    this.index = index;
  }

  /** A call, dump or stream request settling the promise whose executor handed over `settlers`. */
  static forPromise(
    settlers: PromiseSettlers,
    context: number,
    plan: RequestPlan,
    value: unknown,
    onDetail: DetailHandler | undefined,
    timeoutMs: number,
  ): PendingRequest {
    return new PendingRequest(context, plan, value, onDetail, timeoutMs, settlers, undefined, 0);
  }

  /** The next value of `batch`, taken out of it: settles its slot of the batch. */
  static forBatch(batch: RequestBatch, context: number): PendingRequest {
    const index = batch.next;
    return new PendingRequest(context, batch.plan, batch.take(), undefined, batch.timeoutMs, NO_SETTLERS, batch, index);
  }

  ok(v: unknown): void {
    if (this.batch === undefined) this.resolve(v);
    else this.batch.ok(this.index, v);
  }

  fail(e: unknown): void {
    if (this.batch === undefined) this.reject(e);
    else this.batch.fail(this.index, e);
  }
}

export interface BatchInit {
  plan: RequestPlan;
  values: readonly unknown[];
  timeoutMs: number;
  resolve: (v: unknown) => void;
  reject: (e: unknown) => void;
}

/**
 * A callMany: one promise for many requests of one message. Its requests get their PendingRequest
 * (and context) only when they are encoded, so a big batch holds just its values array while it waits.
 */
export class RequestBatch {
  readonly plan: RequestPlan;
  readonly timeoutMs: number;
  /** Index of the next value to encode. */
  next = 0;
  /** Requests not yet settled. */
  private open: number;
  private readonly results: unknown[];
  /**
   * Our copy of the caller's array, each entry dropped once encoded: values already sent can be
   * collected while the batch runs (the caller's array may be gone), instead of all surviving to the end.
   */
  private readonly values: unknown[];
  readonly count: number;
  private firstError: unknown = undefined;
  private firstErrorIndex = Infinity;
  private readonly resolve: (v: unknown) => void;
  private readonly reject: (e: unknown) => void;

  constructor(init: BatchInit) {
    this.plan = init.plan;
    this.timeoutMs = init.timeoutMs;
    this.resolve = init.resolve;
    this.reject = init.reject;
    this.values = init.values.slice();
    this.count = init.values.length;
    this.open = init.values.length;
    this.results = new Array<unknown>(init.values.length);
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

/**
 * One shared Promise executor that hands out resolve/reject: saves a closure per call on the hot
 * path (the executor runs synchronously, so the values are taken before anything else runs).
 */
export const captured: PromiseSettlers = { resolve: noop, reject: noop };
export function capture(resolve: (v: unknown) => void, reject: (e: unknown) => void): void {
  captured.resolve = resolve;
  captured.reject = reject;
}
