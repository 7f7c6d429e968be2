/**
 * Our bindings against VPP's message table of the current connection: which messages are usable
 * (same name and CRC), the compatibility report, message ids, and where each incoming id carries
 * its context (so a frame is routed without decoding it).
 */
import { type MessageDef } from 'vpp-api-ts';
import { agentMessagesByNameCrc } from './agent-modules';
import {
  bootstrapMessages,
  control_ping,
  control_ping_reply,
  sockclnt_create_reply,
  SOCKCLNT_CREATE_REPLY_ID,
  type MessageTableEntry,
} from './bootstrap';
import { VppIncompatibleError, type IncompatibleMessage } from './errors';

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

/** Route of an incoming id that is not a context offset (those are >= 0). */
export const IncomingRoute = {
  /** A message without context: an event. */
  Event: -1,
  /** An id we have no usable binding for. */
  Unknown: -2,
} as const;

/** No message id (not resolved, or not in VPP's table). */
export const NO_ID = -1;

export function crcHex(crc: number): string {
  return (crc >>> 0).toString(16).padStart(8, '0');
}

function splitNameCrc(nameCrc: string): { name: string; crc: string } {
  const cut = nameCrc.lastIndexOf('_');
  return { name: nameCrc.slice(0, cut), crc: nameCrc.slice(cut + 1) };
}

export class MessageTable {
  /** Our bindings to check at connect: the bootstrap messages plus the given ones, once each. */
  private readonly bindings: readonly MessageDef[];
  private readonly bindingsByName = new Map<string, MessageDef>();
  /** name_crc → id of the current connection. */
  private ids = new Map<string, number>();
  /** name → VPP's crc, for reporting changed messages. */
  private crcByName = new Map<string, string>();
  /** Our defs resolved on this connection. */
  private resolved = new Map<MessageDef, number>();
  /** Where `context` sits in each incoming id's body: an offset, or an IncomingRoute. Filled in place. */
  readonly contextOffsetById = new Int32Array(65536).fill(IncomingRoute.Unknown);
  compatibility: CompatibilityReport = { compatible: [], changed: [], missing: [], vppMessageCount: 0 };
  pingId = NO_ID;

  constructor(messages: readonly MessageDef[] | undefined) {
    const seen = new Set<string>();
    const all: MessageDef[] = [];
    for (const def of [...bootstrapMessages, ...(messages ?? agentMessagesByNameCrc.values())]) {
      if (seen.has(def.nameCrc)) continue;
      seen.add(def.nameCrc);
      all.push(def);
      if (!this.bindingsByName.has(def.name)) this.bindingsByName.set(def.name, def);
    }
    this.bindings = all;
    this.contextOffsetById[SOCKCLNT_CREATE_REPLY_ID] = sockclnt_create_reply.contextOffset;
  }

  /** Take VPP's table of a new connection: resolve our bindings against it and rebuild the report. */
  load(entries: readonly MessageTableEntry[]): void {
    const ids = new Map<string, number>();
    const crcByName = new Map<string, string>();
    for (const e of entries) {
      ids.set(e.name, e.index);
      const { name, crc } = splitNameCrc(e.name);
      crcByName.set(name, crc);
    }
    this.ids = ids;
    this.crcByName = crcByName;
    this.resolved = new Map();
    const routes = this.contextOffsetById;
    routes.fill(IncomingRoute.Unknown);
    routes[SOCKCLNT_CREATE_REPLY_ID] = sockclnt_create_reply.contextOffset;

    const compatible: string[] = [];
    const changed: ChangedMessage[] = [];
    const missing: string[] = [];
    for (const def of this.bindings) {
      const id = ids.get(def.nameCrc);
      if (id !== undefined) {
        compatible.push(def.name);
        this.resolve(def, id);
      } else {
        const theirs = crcByName.get(def.name);
        if (theirs === undefined) missing.push(def.name);
        else changed.push({ name: def.name, ours: crcHex(def.crc), theirs });
      }
    }
    this.compatibility = { compatible, changed, missing, vppMessageCount: ids.size };
    this.pingId = ids.get(control_ping.nameCrc) ?? NO_ID;
    const pingReplyId = ids.get(control_ping_reply.nameCrc);
    if (pingReplyId !== undefined) routes[pingReplyId] = control_ping_reply.contextOffset;
  }

  /** VPP has `def` with our CRC. */
  hasDef(def: MessageDef): boolean {
    return this.ids.has(def.nameCrc);
  }

  /** Usable: we have a binding and VPP has it with the same CRC (a name, or a name_crc). */
  has(nameOrDef: string | MessageDef): boolean {
    if (typeof nameOrDef !== 'string') return this.ids.has(nameOrDef.nameCrc);
    if (this.ids.has(nameOrDef) && /_[0-9a-f]{8}$/.test(nameOrDef)) return true;
    const def = this.bindingsByName.get(nameOrDef);
    return def !== undefined && this.ids.has(def.nameCrc);
  }

  /** The message id of `nameOrDef` on this connection, or undefined. */
  messageId(nameOrDef: string | MessageDef): number | undefined {
    const key =
      typeof nameOrDef === 'string' ? (this.bindingsByName.get(nameOrDef)?.nameCrc ?? nameOrDef) : nameOrDef.nameCrc;
    return this.ids.get(key);
  }

  /** The id of `def` on this connection; throws VppIncompatibleError when VPP lacks it or has another CRC. */
  idOf(def: MessageDef): number {
    const known = this.resolved.get(def);
    if (known !== undefined) return known;
    const id = this.ids.get(def.nameCrc);
    if (id === undefined) throw new VppIncompatibleError([this.mismatch(def)]);
    this.resolve(def, id);
    return id;
  }

  /** Incoming frames with id `id` are events (listened to with `def`). */
  routeAsEvent(id: number): void {
    this.contextOffsetById[id] = IncomingRoute.Event;
  }

  /** Which of `messages` this connection cannot use (missing, another CRC, or no binding of ours); [] when all are usable. */
  incompatible(messages: readonly (string | MessageDef)[]): IncompatibleMessage[] {
    return messages.flatMap((m) => this.unusable(m));
  }

  /** One error naming every part of an exchange VPP does not have as we know it. */
  incompatibleFor(defs: readonly (MessageDef | undefined)[]): VppIncompatibleError {
    const list: IncompatibleMessage[] = [];
    for (const d of defs) if (d && !this.ids.has(d.nameCrc)) list.push(this.mismatch(d));
    return new VppIncompatibleError(list);
  }

  /** Why `message` cannot be used on this connection, or [] when it can. */
  private unusable(message: string | MessageDef): IncompatibleMessage[] {
    const name = typeof message === 'string' ? message : message.name;
    const def = typeof message === 'string' ? this.bindingsByName.get(name) : message;
    if (!def) {
      // No binding of ours: report what VPP has so the operator sees it is our side that lacks it.
      const theirs = this.crcByName.get(name);
      return [{ name, ours: 'none (no binding generated)', ...(theirs !== undefined ? { theirs } : {}) }];
    }
    if (this.ids.has(def.nameCrc)) return [];
    return [this.mismatch(def)];
  }

  private mismatch(def: MessageDef): IncompatibleMessage {
    const theirs = this.crcByName.get(def.name);
    return { name: def.name, ours: crcHex(def.crc), ...(theirs !== undefined ? { theirs } : {}) };
  }

  private resolve(def: MessageDef, id: number): void {
    this.resolved.set(def, id);
    this.contextOffsetById[id] = def.contextOffset < 0 ? IncomingRoute.Event : def.contextOffset;
  }
}
