/** Listeners of event messages (no context), bound to each connection's ids, and their delivery. */
import { type MessageDef } from 'vpp-api-ts';
import { Reader } from 'vpp-api-ts/runtime';
import { VppClientError, VppProtocolError } from './errors';
import type { MessageTable } from './message-table';

interface Subscription {
  def: MessageDef;
  listeners: Set<(e: unknown) => void>;
}

export class Subscriptions {
  private readonly byNameCrc = new Map<string, Subscription>();
  private byId: (Subscription | undefined)[] = [];

  constructor(
    private readonly table: MessageTable,
    /** Where decode failures and listener exceptions go. */
    private readonly onError: (e: unknown) => void,
  ) {}

  /** Listen to `eventDef`; returns the unsubscribe function. */
  add<E>(eventDef: MessageDef<E, never>, listener: (e: E) => void): () => void {
    if (eventDef.contextOffset !== -1) {
      throw new VppClientError(`${eventDef.name} has a context field: it is a reply or details, not an event`);
    }
    let sub = this.byNameCrc.get(eventDef.nameCrc);
    if (!sub) {
      sub = { def: eventDef as MessageDef, listeners: new Set() };
      this.byNameCrc.set(eventDef.nameCrc, sub);
      const id = this.table.messageId(eventDef as MessageDef);
      if (id !== undefined) this.bind(id, sub);
    }
    const l = listener as (e: unknown) => void;
    sub.listeners.add(l);
    return () => {
      sub.listeners.delete(l);
    };
  }

  /** The table was loaded for a new connection: bind every subscription to its id there. */
  rebind(): void {
    this.byId = [];
    for (const sub of this.byNameCrc.values()) {
      const id = this.table.messageId(sub.def);
      if (id !== undefined) this.bind(id, sub);
    }
  }

  /** Decode the event frame `buf[start..end)` with id `id` and hand it to its listeners, if any. */
  deliver(id: number, buf: Buffer, start: number, end: number): void {
    const sub = this.byId[id];
    if (!sub || sub.listeners.size === 0) return;
    let e: unknown;
    try {
      e = sub.def.decode(new Reader(buf, start, end));
    } catch (err) {
      this.onError(new VppProtocolError(`cannot decode event ${sub.def.name}: ${(err as Error).message}`));
      return;
    }
    for (const l of sub.listeners) {
      try {
        l(e);
      } catch (err) {
        this.onError(err);
      }
    }
  }

  private bind(id: number, sub: Subscription): void {
    this.byId[id] = sub;
    this.table.routeAsEvent(id);
  }
}
