/**
 * Every construct of the .api.json format, including ones no current VPP file uses (legacy `[T, x, 0]`
 * VLA, VLAs of variable-size elements), generated from a small definition, loaded and exercised.
 */
import { mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import ts from 'typescript';
import { generate, parseApiJson } from 'vppwg-codegen';
import { projectRoot } from '../../src/util/paths';
import type { MessageDef, ModuleInfo } from 'vpp-api-ts';
import type { Reader as ReaderT, Writer as WriterT } from 'vpp-api-ts/runtime';

const def = {
  module: 'demo',
  types: [
    ['blob', ['u8', 'len'], ['u16', 'words', 0, 'len']],
    // A default inside a typedef (as ipsec_sad_entry's udp ports): an absent one is not all zeros.
    ['port_pair', ['u16', 'port', { default: 4500 }], ['u16', 'other']],
    ['plain', ['u32', 'a'], ['vl_api_color_t', 'c']],
    ['pair', ['vl_api_color_t', 'c'], ['vl_api_either_t', 'val', { discriminator: 'c' }]],
    [
      'bag',
      ['u32', 'id'],
      ['vl_api_pair_t', 'pairs', 2],
      ['string', 'label', 8],
      ['u8', 'n_blobs'],
      ['vl_api_blob_t', 'blobs', 0, 'n_blobs'],
    ],
  ],
  messages: [
    [
      'demo_set',
      ['u16', '_vl_msg_id'],
      ['u32', 'client_index'],
      ['u32', 'context'],
      ['bool', 'enable', { default: 'true' }],
      ['i8', 'level', { default: -3 }],
      ['f64', 'ratio', { default: 1.0 }],
      ['i64', 'big'],
      ['vl_api_flags_t', 'flags'],
      ['vl_api_wide_prefix_t', 'net'],
      ['vl_api_bag_t', 'bag'],
      { crc: '0x00000000', options: { deprecated: null } },
    ],
    [
      'demo_ports',
      ['u16', '_vl_msg_id'],
      ['u32', 'client_index'],
      ['u32', 'context'],
      ['vl_api_port_pair_t', 'pairs', 2],
      ['vl_api_plain_t', 'plains', 3],
      ['vl_api_port_pair_t', 'one'],
      ['vl_api_plain_t', 'p'],
      { crc: '0x00000000', options: {} },
    ],
    [
      'demo_set_reply',
      ['u16', '_vl_msg_id'],
      ['u32', 'context'],
      ['i32', 'retval'],
      { crc: '0x00000000', options: { status: 'in_progress' } },
    ],
    [
      'demo_raw',
      ['u16', '_vl_msg_id'],
      ['u32', 'client_index'],
      ['u32', 'context'],
      ['u32', 'rest', 0],
      { crc: '0x00000000', options: {} },
    ],
    [
      'demo_raw_reply',
      ['u16', '_vl_msg_id'],
      ['u32', 'context'],
      ['i32', 'retval'],
      { crc: '0x00000000', options: {} },
    ],
    [
      'demo_dump',
      ['u16', '_vl_msg_id'],
      ['u32', 'client_index'],
      ['u32', 'context'],
      { crc: '0x00000000', options: {} },
    ],
    [
      'demo_details',
      ['u16', '_vl_msg_id'],
      ['u32', 'context'],
      ['string', 'text', 0],
      { crc: '0x00000000', options: {} },
    ],
    [
      'demo_get',
      ['u16', '_vl_msg_id'],
      ['u32', 'client_index'],
      ['u32', 'context'],
      ['u32', 'cursor'],
      { crc: '0x00000000', options: {} },
    ],
    [
      'demo_get_reply',
      ['u16', '_vl_msg_id'],
      ['u32', 'context'],
      ['i32', 'retval'],
      ['u32', 'cursor'],
      { crc: '0x00000000', options: {} },
    ],
    [
      'want_demo_events',
      ['u16', '_vl_msg_id'],
      ['u32', 'client_index'],
      ['u32', 'context'],
      ['bool', 'enable'],
      { crc: '0x00000000', options: {} },
    ],
    [
      'want_demo_events_reply',
      ['u16', '_vl_msg_id'],
      ['u32', 'context'],
      ['i32', 'retval'],
      { crc: '0x00000000', options: {} },
    ],
    [
      'demo_event',
      ['u16', '_vl_msg_id'],
      ['u32', 'client_index'],
      ['u32', 'pid'],
      ['vl_api_signed_t', 's'],
      { crc: '0x00000000', options: {} },
    ],
  ],
  unions: [['either', ['u32', 'a', { case: 'RED' }], ['vl_api_ip6_address_t', 'b', { case: 'BLUE' }]]],
  enums: [
    ['color', ['RED', 0], ['BLUE', 1], { enumtype: 'u8' }],
    ['signed', ['MINUS', -2], ['PLUS', 2], { enumtype: 'i16' }],
  ],
  enumflags: [['flags', ['F_A', 1], ['F_B', 2], ['F_C', 4], { enumtype: 'u32' }]],
  services: {
    demo_set: { reply: 'demo_set_reply' },
    demo_raw: { reply: 'demo_raw_reply' },
    demo_dump: { reply: 'demo_details', stream: true },
    demo_get: { reply: 'demo_get_reply', stream: true, stream_msg: 'demo_details' },
    want_demo_events: { reply: 'want_demo_events_reply', events: ['demo_event'] },
  },
  options: { version: '9.9.9' },
  aliases: {
    ip6_address: { type: 'u8', length: 16 },
    wide_prefix: { type: 'vl_api_prefix_t' },
    prefix: { type: 'vl_api_legacy_t' },
  },
  vl_api_version: '0xabc',
  imports: [],
};
// `prefix` here is an alias to a plain struct (not VPP's prefix): the special string form must not apply.
(def.types as unknown[]).push(['legacy', ['u8', 'x'], ['u16', 'y']]);

type Mod = Record<string, MessageDef & Record<string, unknown>> & { moduleInfo: ModuleInfo };
let mod: Mod;
let W: typeof WriterT;
let R: typeof ReaderT;
let dir: string;

beforeAll(() => {
  const res = generate([parseApiJson('demo.api.json', JSON.stringify(def))], { generatorVersion: 'test' });
  dir = mkdtempSync(join(tmpdir(), 'vppwg-constructs-'));
  const runtime = join(projectRoot(), 'packages', 'vpp-api-ts', 'src', 'runtime');
  const emit = (sub: string, name: string, src: string): void => {
    mkdirSync(join(dir, sub), { recursive: true });
    const js = ts.transpileModule(src, {
      compilerOptions: { module: ts.ModuleKind.CommonJS, target: ts.ScriptTarget.ES2022 },
    }).outputText;
    writeFileSync(join(dir, sub, name.replace(/\.ts$/, '.js')), js);
  };
  for (const f of readdirSync(runtime))
    if (f.endsWith('.ts')) emit('runtime', f, readFileSync(join(runtime, f), 'utf8'));
  for (const [name, text] of res.files) emit('gen', name, text);
  /* eslint-disable @typescript-eslint/no-require-imports */
  mod = require(join(dir, 'gen', 'demo.js')) as Mod;
  ({ Writer: W, Reader: R } = require(join(dir, 'runtime', 'wire.js')) as {
    Writer: typeof WriterT;
    Reader: typeof ReaderT;
  });
  /* eslint-enable @typescript-eslint/no-require-imports */
});
afterAll(() => rmSync(dir, { recursive: true, force: true }));

function encode(d: MessageDef, v: unknown): Buffer {
  const w = new W(4);
  d.encode(w, 7, v);
  expect(d.size(v)).toBe(w.off);
  return w.toBuffer();
}

test('services: kinds and relations', () => {
  const m = mod;
  expect(m.demo_set!.kind).toBe('request');
  expect(m.demo_set!.replyDef).toBe(m.demo_set_reply);
  expect(m.demo_set_reply!.kind).toBe('reply');
  expect(m.demo_dump!.needsPing).toBe(true);
  expect(m.demo_dump!.detailsDef).toBe(m.demo_details);
  expect(m.demo_dump!.replyDef).toBeUndefined();
  expect(m.demo_details!.kind).toBe('details');
  expect(m.demo_get!.cursorStream).toBe(true);
  expect(m.demo_get!.needsPing).toBe(false);
  expect(m.demo_get!.replyDef).toBe(m.demo_get_reply);
  expect(m.demo_get!.detailsDef).toBe(m.demo_details);
  expect(m.want_demo_events!.eventDefs).toEqual([m.demo_event]);
  expect(m.demo_event!.kind).toBe('event');
  expect(m.demo_event!.contextOffset).toBe(-1);
  expect(m.demo_event!.clientIndexOffset).toBe(2);
  expect(m.demo_set_reply!.retvalOffset).toBe(6);
  expect(m.moduleInfo.messages.map((d) => d.name)).toEqual(def.messages.map((x) => x[0]));
  expect(m.moduleInfo.apiVersion).toBe('9.9.9');
  expect(m.moduleInfo.version).toBe('0xabc');
});

test('options: deprecated and in_progress', () => {
  expect(mod.demo_set!.deprecated).toBe(true);
  expect(mod.demo_set!.inProgress).toBe(false);
  expect(mod.demo_set_reply!.inProgress).toBe(true);
});

test('enums and enumflags export their members', () => {
  expect(mod.Color).toEqual({ RED: 0, BLUE: 1 });
  expect(mod.Signed).toEqual({ MINUS: -2, PLUS: 2 });
  expect(mod.Flags).toEqual({ F_A: 1, F_B: 2, F_C: 4 });
});

test('defaults ("true", negative, f64), i64, enumflags, alias to a user type, union with discriminator, VLA of variable-size elements', () => {
  const body = encode(mod.demo_set!, {
    big: -5n,
    flags: 5,
    net: { x: 1, y: 2 },
    bag: {
      id: 9,
      pairs: [{ c: 'BLUE', val: { b: '2001:db8::1' } }],
      label: 'abc',
      blobs: [{ words: [1, 2, 3] }, { words: [] }, { words: [0xffff] }],
    },
  });
  const v = mod.demo_set!.decode(new R(body)) as Record<string, unknown>;
  expect(v.enable).toBe(true);
  expect(v.level).toBe(-3);
  expect(v.ratio).toBe(1);
  // f64 travels little-endian (host order), unlike everything else.
  expect(body.readDoubleLE(10 + 1 + 1)).toBe(1);
  expect(v.big).toBe(-5n);
  expect(v.flags).toBe(5);
  expect(v.net).toEqual({ x: 1, y: 2 });
  const bag = v.bag as {
    id: number;
    pairs: { c: number; val: { a: number; b: string } }[];
    label: string;
    blobs: { words: number[] }[];
  };
  expect(bag.pairs[0]).toEqual({ c: 1, val: { a: 0x20010db8, b: '2001:db8::1' } });
  expect(bag.pairs[1]).toEqual({ c: 0, val: { a: 0, b: '::' } });
  expect(bag.label).toBe('abc');
  expect(bag.blobs).toEqual([{ words: [1, 2, 3] }, { words: [] }, { words: [0xffff] }]);
  expect(encode(mod.demo_set!, v).equals(body)).toBe(true);
});

test('an absent struct or fixed array writes its defaults, or zeros over whatever the buffer held', () => {
  const dirty = (v: unknown): Buffer => {
    const w = new W(4);
    w.bytes(Buffer.alloc(128, 0xff));
    w.off = 0;
    mod.demo_ports!.encode(w, 7, v);
    return w.toBuffer();
  };
  const absent = dirty({});
  // client_index and context (8), then 2 x port_pair (4 each), 3 x plain (5 each), port_pair, plain.
  const body = absent.subarray(2 + 8);
  expect(body.toString('hex')).toBe(
    ['11940000', '11940000', '0000000000', '0000000000', '0000000000', '11940000', '0000000000'].join(''),
  );
  // The same bytes when every struct and array is spelled out empty (the element-by-element path).
  const spelled = { pairs: [{}, {}], plains: [{}, {}, {}], one: {}, p: {} };
  expect(dirty(spelled).equals(absent)).toBe(true);
  expect(dirty({ pairs: [], plains: [] }).equals(absent)).toBe(true);
  expect(
    dirty({ pairs: [{ port: 1, other: 2 }], plains: [{ a: 3, c: 'BLUE' }] })
      .subarray(10, 23)
      .toString('hex'),
  ).toBe('00010002' + '11940000' + '0000000301');
  // The shortcut still refuses what is not an array.
  expect(() => dirty({ plains: 5 })).toThrow(/plains: expected an array of at most 3 elements/);
});

test('legacy VLA [T, x, 0]: takes the rest of the message', () => {
  const body = encode(mod.demo_raw!, { context: 1, rest: [1, 2, 0xffffffff] });
  expect(body.length).toBe(10 + 12);
  expect((mod.demo_raw!.decode(new R(body)) as { rest: number[] }).rest).toEqual([1, 2, 0xffffffff]);
  expect(() => mod.demo_raw!.decode(new R(body.subarray(0, body.length - 1)))).toThrow(
    /demo_raw\.rest: trailing 3 byte/,
  );
});

test('string[] VLA and signed sized enums', () => {
  const d = encode(mod.demo_details!, { context: 3, text: 'héllo' });
  expect(d.readUInt32BE(6)).toBe(6);
  expect((mod.demo_details!.decode(new R(d)) as { text: string }).text).toBe('héllo');
  const e = encode(mod.demo_event!, { s: 'MINUS' });
  expect(e.readInt16BE(10)).toBe(-2);
  expect((mod.demo_event!.decode(new R(e)) as { s: number }).s).toBe(-2);
});
