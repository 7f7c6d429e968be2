/**
 * How one kind of request to one message goes on a connection: the ids of the request, of the
 * message that ends it and of its details, resolved and checked once per connection.
 */
import type { MessageDef } from 'vpp-api-ts';
import {
  control_ping,
  control_ping_reply,
  sockclnt_create,
  sockclnt_create_reply,
  SOCKCLNT_CREATE_ID,
  SOCKCLNT_CREATE_REPLY_ID,
} from './bootstrap';
import { VppClientError, VppIncompatibleError } from './errors';
import { NO_ID, type MessageTable } from './message-table';

/**
 * 'call': request → reply. 'dump': request + control_ping → details until the ping's reply.
 * 'stream': cursor stream, details then the reply. 'goodbye': sockclnt_delete, retval not checked.
 */
export type RequestKind = 'call' | 'dump' | 'stream' | 'goodbye';

/** What the terminator's retval means: 'ignore' it, non-zero fails ('check'), or non-zero but EAGAIN fails ('check-but-eagain'). */
export type RetvalCheck = 'ignore' | 'check' | 'check-but-eagain';

export interface RequestPlanInit {
  def: MessageDef;
  msgId: number;
  /** The message that ends the request: its reply, control_ping_reply (dumps), or the stream reply. */
  terminator: MessageDef;
  terminatorId: number;
  /** The details message and its id, for dumps and streams. */
  details?: { def: MessageDef; id: number };
  /** Send a control_ping behind the request (dumps). */
  withPing: boolean;
  retval: RetvalCheck;
}

export class RequestPlan {
  readonly def: MessageDef;
  readonly msgId: number;
  readonly terminator: MessageDef;
  readonly terminatorId: number;
  readonly detailsDef: MessageDef | undefined;
  /** NO_ID when the request has no details. */
  readonly detailsId: number;
  readonly withPing: boolean;
  readonly retval: RetvalCheck;

  constructor(init: RequestPlanInit) {
    this.def = init.def;
    this.msgId = init.msgId;
    this.terminator = init.terminator;
    this.terminatorId = init.terminatorId;
    this.detailsDef = init.details?.def;
    this.detailsId = init.details?.id ?? NO_ID;
    this.withPing = init.withPing;
    this.retval = init.retval;
  }
}

/** sockclnt_create: fixed ids, usable before the table exists. */
export const HANDSHAKE_PLAN = new RequestPlan({
  def: sockclnt_create,
  msgId: SOCKCLNT_CREATE_ID,
  terminator: sockclnt_create_reply,
  terminatorId: SOCKCLNT_CREATE_REPLY_ID,
  withPing: false,
  retval: 'check',
});

const RETVAL_BY_KIND: Record<RequestKind, RetvalCheck> = {
  call: 'check',
  dump: 'check',
  stream: 'check-but-eagain',
  goodbye: 'ignore',
};

/** The plans of one connection, made on first use. */
export class RequestPlans {
  private readonly byKind: Record<RequestKind, Map<MessageDef, RequestPlan>> = {
    call: new Map(),
    dump: new Map(),
    stream: new Map(),
    goodbye: new Map(),
  };
  /** The plan of the message last called: a run of calls to one message skips the plan lookup. */
  lastCallDef: MessageDef | undefined = undefined;
  lastCallPlan: RequestPlan | undefined = undefined;

  constructor(private readonly table: MessageTable) {}

  /** The plan for `def` used as `kind`; throws (VppClientError, VppIncompatibleError) when it cannot be sent. */
  get(kind: RequestKind, def: MessageDef): RequestPlan {
    const cached = this.byKind[kind].get(def);
    if (cached) return cached;
    let terminator: MessageDef | undefined;
    let detailsDef: MessageDef | undefined;
    if (kind === 'dump') {
      if (!def.detailsDef) throw new VppClientError(`${def.name} has no details message: it is not a dump`);
      if (def.cursorStream) throw new VppClientError(`${def.name} is a cursor stream: use stream() or streamIter()`);
      terminator = control_ping_reply;
      detailsDef = def.detailsDef;
    } else if (kind === 'stream') {
      if (!def.replyDef || !def.detailsDef) {
        throw new VppClientError(`${def.name} is not a cursor stream (needs a reply and details)`);
      }
      terminator = def.replyDef;
      detailsDef = def.detailsDef;
    } else {
      terminator = def.replyDef;
      if (!terminator) throw new VppClientError(`${def.name} has no reply message: it cannot be called`);
    }
    const table = this.table;
    let plan: RequestPlan;
    try {
      const msgId = table.idOf(def);
      const terminatorId = table.idOf(terminator);
      const details = detailsDef ? { def: detailsDef, id: table.idOf(detailsDef) } : undefined;
      if (kind === 'dump' && table.pingId === NO_ID) table.idOf(control_ping);
      plan = new RequestPlan({
        def,
        msgId,
        terminator,
        terminatorId,
        ...(details ? { details } : {}),
        withPing: kind === 'dump',
        retval: RETVAL_BY_KIND[kind],
      });
    } catch (e) {
      if (e instanceof VppIncompatibleError) throw table.incompatibleFor([def, terminator, detailsDef]);
      throw e;
    }
    this.byKind[kind].set(def, plan);
    return plan;
  }
}
