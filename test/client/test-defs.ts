/**
 * Small hand-made message definitions (u32/i32 fields only) for client behaviour tests, so those
 * tests exercise the client alone and do not depend on the generated bindings.
 */
import { CodecError, type DumpDef, type MessageDef, type RequestDef, type StreamDef } from 'vpp-api-ts';
import { type Reader, type Writer } from 'vpp-api-ts/runtime';

type Kind = MessageDef['kind'];

export function u32Message<T extends Record<string, number>>(
  name: string,
  crc: number,
  kind: Kind,
  fieldNames: readonly string[],
  extra: Partial<MessageDef> = {},
): MessageDef<T, Partial<T>> {
  const signed = new Set(['retval']);
  const offsetOf = (f: string): number => (fieldNames.includes(f) ? 2 + 4 * fieldNames.indexOf(f) : -1);
  const size = 2 + 4 * fieldNames.length;
  return {
    name,
    module: 'test',
    crc,
    nameCrc: `${name}_${crc.toString(16).padStart(8, '0')}`,
    kind,
    fields: [
      { name: '_vl_msg_id', type: 'u16' },
      ...fieldNames.map((f) => ({ name: f, type: signed.has(f) ? 'i32' : 'u32' })),
    ],
    contextOffset: offsetOf('context'),
    clientIndexOffset: offsetOf('client_index'),
    retvalOffset: offsetOf('retval'),
    deprecated: false,
    inProgress: false,
    needsPing: false,
    cursorStream: false,
    minSize: size,
    size: () => size,
    encode(w: Writer, msgId: number, v: Partial<T>) {
      w.u16(msgId);
      for (const f of fieldNames) {
        const x = v[f] ?? 0;
        if (typeof x !== 'number') throw new CodecError('not a number', `${name}.${f}`);
        if (signed.has(f)) w.i32(x);
        else w.u32(x);
      }
    },
    decode(r: Reader): T {
      r.need(size, name);
      r.skip(2);
      const out: Record<string, number> = {};
      for (const f of fieldNames) out[f] = signed.has(f) ? r.i32() : r.u32();
      return out as T;
    },
    ...extra,
  } as MessageDef<T, Partial<T>>;
}

export const echo_reply = u32Message<{ context: number; retval: number; value: number }>(
  'echo_reply',
  0xe0000002,
  'reply',
  ['context', 'retval', 'value'],
);
export const echo = Object.assign(
  u32Message<{ client_index: number; context: number; value: number }>('echo', 0xe0000001, 'request', [
    'client_index',
    'context',
    'value',
  ]),
  { replyDef: echo_reply },
) as unknown as RequestDef<{ value?: number }, { context: number; retval: number; value: number }>;
export const thing_details = u32Message<{ context: number; n: number }>('thing_details', 0xe0000004, 'details', [
  'context',
  'n',
]);
export const thing_dump = Object.assign(
  u32Message<{ client_index: number; context: number; count: number }>('thing_dump', 0xe0000003, 'request', [
    'client_index',
    'context',
    'count',
  ]),
  { detailsDef: thing_details, needsPing: true },
) as unknown as DumpDef<{ count?: number }, { context: number; n: number }>;
export const thing_event = u32Message<{ client_index: number; pid: number; flags: number }>(
  'thing_event',
  0xe0000005,
  'event',
  ['client_index', 'pid', 'flags'],
);
export const thing_get_reply = u32Message<{ context: number; retval: number; cursor: number }>(
  'thing_get_reply',
  0xe0000007,
  'reply',
  ['context', 'retval', 'cursor'],
);
export const thing_get = Object.assign(
  u32Message<{ client_index: number; context: number; cursor: number }>('thing_get', 0xe0000006, 'request', [
    'client_index',
    'context',
    'cursor',
  ]),
  { replyDef: thing_get_reply, detailsDef: thing_details, cursorStream: true },
) as unknown as StreamDef<
  { cursor?: number },
  { context: number; retval: number; cursor: number },
  { context: number; n: number }
>;

export const testMessages: readonly MessageDef[] = [
  echo,
  echo_reply,
  thing_dump,
  thing_details,
  thing_event,
  thing_get,
  thing_get_reply,
] as unknown as MessageDef[];
