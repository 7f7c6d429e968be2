/**
 * Receive dispatch: each frame from VPP goes, by its id, to the request waiting for its context
 * (details, or the terminating reply with its retval checked), or to the event listeners.
 */
import { Reader } from 'vpp-api-ts/runtime';
import { VppApiError, VppErrno, VppProtocolError } from './errors';
import { IncomingRoute, type MessageTable } from './message-table';
import type { OutputQueue } from './output-queue';
import type { PendingRequest } from './pending';
import type { RequestBook } from './request-book';
import type { ClientStats } from './stats';
import type { Subscriptions } from './subscriptions';

// Module-level copies: constants the compiler folds into onFrame instead of loading per frame.
const EVENT = IncomingRoute.Event;
const UNKNOWN = IncomingRoute.Unknown;

export interface ReceiverDeps {
  table: MessageTable;
  book: RequestBook;
  output: OutputQueue;
  subscriptions: Subscriptions;
  stats: ClientStats;
  onError: (e: unknown) => void;
}

export class Receiver {
  /** The table's routes, filled in place on every connection. */
  private readonly routes: Int32Array;
  private readonly book: RequestBook;
  private readonly output: OutputQueue;
  private readonly subscriptions: Subscriptions;
  private readonly stats: ClientStats;
  private readonly onError: (e: unknown) => void;

  constructor(deps: ReceiverDeps) {
    this.routes = deps.table.contextOffsetById;
    this.book = deps.book;
    this.output = deps.output;
    this.subscriptions = deps.subscriptions;
    this.stats = deps.stats;
    this.onError = deps.onError;
  }

  /** One frame body `buf[start..end)` (a Framer handler). */
  readonly onFrame = (buf: Buffer, start: number, end: number): void => {
    this.stats.received++;
    const id = buf.readUInt16BE(start);
    const ctxOff = this.routes[id]!;
    if (ctxOff === EVENT) {
      this.stats.events++;
      this.subscriptions.deliver(id, buf, start, end);
      return;
    }
    if (ctxOff === UNKNOWN) {
      this.stats.unknownMessages++;
      return;
    }
    if (start + ctxOff + 4 > end) {
      this.onError(
        new VppProtocolError(`message id ${id} from VPP is too short to hold its context (${end - start} bytes)`),
      );
      return;
    }
    const context = buf.readUInt32BE(start + ctxOff);
    const p = this.book.pending.get(context);
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
        this.output.release(p);
        this.book.fail(
          p,
          new VppProtocolError(`${plan.def.name}: cannot decode ${plan.detailsDef!.name}: ${(e as Error).message}`),
          undefined,
          'error',
        );
        return;
      }
      p.onDetail!(d);
    } else {
      this.stats.unknownMessages++;
    }
  };

  /** The terminating message of `p` came: settle it with the decoded reply, or VPP's error. */
  private finish(p: PendingRequest, buf: Buffer, start: number, end: number): void {
    this.output.release(p);
    const plan = p.plan;
    const t = plan.terminator;
    let retval: number | undefined;
    if (t.retvalOffset >= 0 && start + t.retvalOffset + 4 <= end) retval = buf.readInt32BE(start + t.retvalOffset);
    if (
      plan.retval !== 'ignore' &&
      retval !== undefined &&
      retval !== 0 &&
      !(plan.retval === 'check-but-eagain' && retval === VppErrno.EAGAIN)
    ) {
      this.book.fail(p, new VppApiError(plan.def.name, retval), retval, 'error');
      return;
    }
    let value: unknown;
    try {
      value = t.decode(new Reader(buf, start, end));
    } catch (e) {
      this.book.fail(
        p,
        new VppProtocolError(`${plan.def.name}: cannot decode ${t.name}: ${(e as Error).message}`),
        retval,
        'error',
      );
      return;
    }
    this.book.succeed(p, value, retval);
  }
}
