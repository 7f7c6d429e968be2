/**
 * The few memclnt messages the client itself needs (handshake, dump terminator, goodbye), coded by
 * hand against their fixed layouts. The client must be able to connect and read VPP's message table
 * before it can trust any generated binding, and these layouts have not changed since VPP 20.x;
 * their CRCs are still checked against the table like every other message.
 */
import { CodecError, type MessageDef, type FieldInfo, type RequestDef } from 'vpp-api-ts';
import { type Reader, type Writer } from 'vpp-api-ts/runtime';

/** sockclnt_create and its reply have fixed ids: the only ones known before the table. */
export const SOCKCLNT_CREATE_ID = 15;
export const SOCKCLNT_CREATE_REPLY_ID = 16;
const NAME_BYTES = 64;
const TABLE_ENTRY_BYTES = 2 + NAME_BYTES;

export interface SockclntCreate {
  context?: number;
  name: string;
}
export interface MessageTableEntry {
  index: number;
  name: string;
}
export interface SockclntCreateReply {
  client_index: number;
  context: number;
  response: number;
  index: number;
  count: number;
  message_table: MessageTableEntry[];
}
export interface SockclntDelete {
  client_index?: number;
  context?: number;
  index: number;
}
export interface SockclntDeleteReply {
  context: number;
  response: number;
}
export interface ControlPing {
  client_index?: number;
  context?: number;
}
export interface ControlPingReply {
  context: number;
  retval: number;
  client_index: number;
  vpe_pid: number;
}

interface Layout<T, TIn> {
  name: string;
  crc: number;
  kind: MessageDef['kind'];
  fields: FieldInfo[];
  contextOffset: number;
  clientIndexOffset: number;
  retvalOffset: number;
  minSize: number;
  size(v: TIn): number;
  encode(w: Writer, msgId: number, v: TIn): void;
  decode(r: Reader): T;
  replyDef?: MessageDef;
}

function define<T, TIn>(layout: Layout<T, TIn>): MessageDef<T, TIn> {
  return {
    ...layout,
    module: 'memclnt',
    nameCrc: `${layout.name}_${layout.crc.toString(16).padStart(8, '0')}`,
    deprecated: false,
    inProgress: false,
    needsPing: false,
    cursorStream: false,
  };
}

function writeName(w: Writer, name: string, path: string): void {
  const bytes = Buffer.from(name, 'utf8');
  if (bytes.length > NAME_BYTES - 1) throw new CodecError(`at most ${NAME_BYTES - 1} bytes, got ${bytes.length}`, path);
  w.bytes(bytes, NAME_BYTES);
}

function readName(r: Reader): string {
  const start = r.off;
  let end = start;
  const limit = start + NAME_BYTES;
  while (end < limit && r.buf[end] !== 0) end++;
  r.off = limit;
  return r.buf.toString('latin1', start, end);
}

const u16 = (name: string): FieldInfo => ({ name, type: 'u16' });
const u32 = (name: string): FieldInfo => ({ name, type: 'u32' });
const i32 = (name: string): FieldInfo => ({ name, type: 'i32' });

export const sockclnt_create_reply: MessageDef<SockclntCreateReply, SockclntCreateReply> = define({
  name: 'sockclnt_create_reply',
  crc: 0x35166268,
  kind: 'reply',
  fields: [
    u16('_vl_msg_id'),
    u32('client_index'),
    u32('context'),
    i32('response'),
    u32('index'),
    u16('count'),
    { name: 'message_table', type: 'vl_api_message_table_entry_t', length: 0, lengthField: 'count' },
  ],
  contextOffset: 6,
  clientIndexOffset: 2,
  retvalOffset: 10,
  minSize: 20,
  size: (v) => 20 + TABLE_ENTRY_BYTES * v.message_table.length,
  encode(w, msgId, v) {
    w.u16(msgId);
    w.u32(v.client_index);
    w.u32(v.context);
    w.i32(v.response);
    w.u32(v.index);
    if (v.message_table.length > 0xffff)
      throw new CodecError('more than 65535 entries', 'sockclnt_create_reply.message_table');
    w.u16(v.message_table.length);
    v.message_table.forEach((e, i) => {
      w.u16(e.index);
      writeName(w, e.name, `sockclnt_create_reply.message_table[${i}].name`);
    });
  },
  decode(r) {
    r.need(20, 'sockclnt_create_reply');
    r.skip(2);
    const client_index = r.u32();
    const context = r.u32();
    const response = r.i32();
    const index = r.u32();
    const count = r.u16();
    r.need(count * TABLE_ENTRY_BYTES, 'sockclnt_create_reply.message_table');
    const message_table: MessageTableEntry[] = new Array(count);
    for (let i = 0; i < count; i++) message_table[i] = { index: r.u16(), name: readName(r) };
    return { client_index, context, response, index, count, message_table };
  },
});

export const sockclnt_create: RequestDef<SockclntCreate, SockclntCreateReply> &
  MessageDef<SockclntCreate, SockclntCreate> = define({
  name: 'sockclnt_create',
  crc: 0x455fb9c4,
  kind: 'request',
  fields: [u16('_vl_msg_id'), u32('context'), { name: 'name', type: 'string', length: NAME_BYTES }],
  contextOffset: 2,
  clientIndexOffset: -1,
  retvalOffset: -1,
  minSize: 70,
  size: () => 70,
  encode(w, msgId, v) {
    w.u16(msgId);
    w.u32(v.context ?? 0);
    writeName(w, v.name, 'sockclnt_create.name');
  },
  decode(r) {
    r.need(70, 'sockclnt_create');
    r.skip(2);
    const context = r.u32();
    return { context, name: readName(r) };
  },
  replyDef: sockclnt_create_reply as MessageDef,
}) as RequestDef<SockclntCreate, SockclntCreateReply> & MessageDef<SockclntCreate, SockclntCreate>;

export const sockclnt_delete_reply: MessageDef<SockclntDeleteReply, SockclntDeleteReply> = define({
  name: 'sockclnt_delete_reply',
  crc: 0x8f38b1ee,
  kind: 'reply',
  fields: [u16('_vl_msg_id'), u32('context'), i32('response')],
  contextOffset: 2,
  clientIndexOffset: -1,
  retvalOffset: 6,
  minSize: 10,
  size: () => 10,
  encode(w, msgId, v) {
    w.u16(msgId);
    w.u32(v.context);
    w.i32(v.response);
  },
  decode(r) {
    r.need(10, 'sockclnt_delete_reply');
    r.skip(2);
    return { context: r.u32(), response: r.i32() };
  },
});

export const sockclnt_delete: RequestDef<SockclntDelete, SockclntDeleteReply> &
  MessageDef<SockclntDelete, SockclntDelete> = define({
  name: 'sockclnt_delete',
  crc: 0x8ac76db6,
  kind: 'request',
  fields: [u16('_vl_msg_id'), u32('client_index'), u32('context'), u32('index')],
  contextOffset: 6,
  clientIndexOffset: 2,
  retvalOffset: -1,
  minSize: 14,
  size: () => 14,
  encode(w, msgId, v) {
    w.u16(msgId);
    w.u32(v.client_index ?? 0);
    w.u32(v.context ?? 0);
    w.u32(v.index);
  },
  decode(r) {
    r.need(14, 'sockclnt_delete');
    r.skip(2);
    return { client_index: r.u32(), context: r.u32(), index: r.u32() };
  },
  replyDef: sockclnt_delete_reply as MessageDef,
}) as RequestDef<SockclntDelete, SockclntDeleteReply> & MessageDef<SockclntDelete, SockclntDelete>;

export const control_ping_reply: MessageDef<ControlPingReply, ControlPingReply> = define({
  name: 'control_ping_reply',
  crc: 0xf6b0b8ca,
  kind: 'reply',
  fields: [u16('_vl_msg_id'), u32('context'), i32('retval'), u32('client_index'), u32('vpe_pid')],
  contextOffset: 2,
  clientIndexOffset: -1,
  retvalOffset: 6,
  minSize: 18,
  size: () => 18,
  encode(w, msgId, v) {
    w.u16(msgId);
    w.u32(v.context);
    w.i32(v.retval);
    w.u32(v.client_index);
    w.u32(v.vpe_pid);
  },
  decode(r) {
    r.need(18, 'control_ping_reply');
    r.skip(2);
    return { context: r.u32(), retval: r.i32(), client_index: r.u32(), vpe_pid: r.u32() };
  },
});

export const control_ping: RequestDef<ControlPing, ControlPingReply> & MessageDef<ControlPing, ControlPing> = define({
  name: 'control_ping',
  crc: 0x51077d14,
  kind: 'request',
  fields: [u16('_vl_msg_id'), u32('client_index'), u32('context')],
  contextOffset: 6,
  clientIndexOffset: 2,
  retvalOffset: -1,
  minSize: 10,
  size: () => 10,
  encode(w, msgId, v) {
    w.u16(msgId);
    w.u32(v.client_index ?? 0);
    w.u32(v.context ?? 0);
  },
  decode(r) {
    r.need(10, 'control_ping');
    r.skip(2);
    return { client_index: r.u32(), context: r.u32() };
  },
  replyDef: control_ping_reply as MessageDef,
}) as RequestDef<ControlPing, ControlPingReply> & MessageDef<ControlPing, ControlPing>;

/** The bootstrap set, checked against the table at every connect like any binding. */
export const bootstrapMessages: readonly MessageDef[] = [
  sockclnt_create as MessageDef,
  sockclnt_create_reply as MessageDef,
  sockclnt_delete as MessageDef,
  sockclnt_delete_reply as MessageDef,
  control_ping as MessageDef,
  control_ping_reply as MessageDef,
];
