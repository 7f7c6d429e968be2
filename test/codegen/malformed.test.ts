/** Malformed definitions: each gets a CodegenError naming the file, the definition and the field. */
import { CodegenError, generate, parseApiJson } from 'vppwg-codegen';

type Json = Record<string, unknown>;

function base(): Json {
  return {
    types: [
      ['thing', ['u32', 'id'], ['u8', 'n_items'], ['vl_api_item_t', 'items', 0, 'n_items']],
      ['item', ['u16', 'x']],
    ],
    messages: [
      [
        'thing_add',
        ['u16', '_vl_msg_id'],
        ['u32', 'client_index'],
        ['u32', 'context'],
        ['vl_api_thing_t', 'thing'],
        { crc: '0x12345678', options: {} },
      ],
      [
        'thing_add_reply',
        ['u16', '_vl_msg_id'],
        ['u32', 'context'],
        ['i32', 'retval'],
        { crc: '0xe8d4e804', options: {} },
      ],
    ],
    unions: [],
    enums: [['color', ['RED', 0], ['BLUE', 1], { enumtype: 'u8' }]],
    enumflags: [],
    services: { thing_add: { reply: 'thing_add_reply' } },
    options: { version: '1.0.0' },
    aliases: {},
    vl_api_version: '0x1234',
    imports: [],
  };
}

function gen(text: string): void {
  generate([parseApiJson('/defs/plugins/bad.api.json', text)], { generatorVersion: 'test' });
}

function expectError(j: Json | string, ...parts: string[]): void {
  let err: unknown;
  try {
    gen(typeof j === 'string' ? j : JSON.stringify(j));
  } catch (e) {
    err = e;
  }
  expect(err).toBeInstanceOf(CodegenError);
  const msg = (err as Error).message;
  expect(msg).toContain('/defs/plugins/bad.api.json');
  for (const p of parts) expect(msg).toContain(p);
}

function msg(j: Json, i: number): unknown[] {
  return (j.messages as unknown[][])[i]!;
}

test('the base definition is valid (so each case below fails for its own reason)', () => {
  expect(() => gen(JSON.stringify(base()))).not.toThrow();
});

test('bad JSON', () => {
  expectError('{"messages": [', 'bad JSON');
});

test('not an .api.json object', () => {
  expectError('[1, 2]', 'expected a JSON object');
  expectError('{"types": []}', 'missing "messages"');
});

test('unknown type in a message field', () => {
  const j = base();
  msg(j, 0)[4] = ['vl_api_no_such_t', 'thing'];
  expectError(j, 'thing_add.thing', 'unknown type "vl_api_no_such_t"');
});

test('unknown type inside a typedef', () => {
  const j = base();
  (j.types as unknown[][])[1]![1] = ['u128', 'x'];
  expectError(j, 'item.x', 'unknown type "u128"');
});

test('count field missing', () => {
  const j = base();
  (j.types as unknown[][])[0]![3] = ['vl_api_item_t', 'items', 0, 'n_missing'];
  expectError(j, 'thing.items', 'count field "n_missing" does not exist');
});

test('count field after its array', () => {
  const j = base();
  (j.types as unknown[][])[0] = ['thing', ['u32', 'id'], ['vl_api_item_t', 'items', 0, 'n_items'], ['u8', 'n_items']];
  expectError(j, 'thing.items', 'comes after its array');
});

test('count field that is not an integer', () => {
  const j = base();
  (j.types as unknown[][])[0] = [
    'thing',
    ['u32', 'id'],
    ['string', 'n_items', 8],
    ['vl_api_item_t', 'items', 0, 'n_items'],
  ];
  expectError(j, 'thing.items', 'must be an unsigned/signed integer');
});

test('cyclic types', () => {
  const j = base();
  j.types = [
    ['a', ['vl_api_b_t', 'b']],
    ['b', ['vl_api_a_t', 'a']],
    ['thing', ['u32', 'id'], ['u8', 'n_items'], ['vl_api_item_t', 'items', 0, 'n_items']],
    ['item', ['u16', 'x']],
  ];
  msg(j, 0)[4] = ['vl_api_a_t', 'thing'];
  expectError(j, 'cyclic type', 'a -> b -> a');
});

test('a variable-length field that is not last', () => {
  const j = base();
  msg(j, 0).splice(4, 1, ['string', 'name', 0], ['u32', 'after']);
  expectError(j, 'thing_add.name', 'must be the last field');
});

test('a message without a crc', () => {
  const j = base();
  msg(j, 1)[4] = { options: {} };
  expectError(j, 'thing_add_reply', 'missing or bad "crc"');
});

test('a string without a length', () => {
  const j = base();
  msg(j, 0)[4] = ['string', 'name'];
  expectError(j, 'thing_add.name', 'a string must be an array');
});

test('a default that does not fit its type', () => {
  const j = base();
  msg(j, 0)[4] = ['u32', 'mtu', { default: 'big' }];
  expectError(j, 'thing_add.mtu', 'default "big" does not fit type u32');
});

test('a service naming a message that does not exist', () => {
  const j = base();
  j.services = { thing_add: { reply: 'thing_add_answer' } };
  expectError(j, 'thing_add', 'service names message "thing_add_answer"');
});

test('a union case that is not a member of the discriminator enum', () => {
  const j = base();
  j.unions = [['either', ['u32', 'a', { case: 'RED' }], ['u16', 'b', { case: 'GREEN' }]]];
  msg(j, 0)[4] = ['vl_api_color_t', 'which'];
  msg(j, 0).splice(5, 0, ['vl_api_either_t', 'val', { discriminator: 'which' }]);
  expectError(j, 'either.b', 'case "GREEN" is not a member of color');
});

test('a discriminator that is not an earlier enum field', () => {
  const j = base();
  j.unions = [['either', ['u32', 'a'], ['u16', 'b']]];
  msg(j, 0)[4] = ['vl_api_either_t', 'val', { discriminator: 'which' }];
  expectError(j, 'thing_add.val', 'discriminator "which" must name an earlier field');
});

test('a duplicate field name', () => {
  const j = base();
  msg(j, 0)[4] = ['u32', 'context'];
  expectError(j, 'thing_add.context', 'duplicate field name');
});

test('a message whose first field is not _vl_msg_id', () => {
  const j = base();
  msg(j, 1).splice(1, 1);
  expectError(j, 'thing_add_reply._vl_msg_id', 'must be ["u16", "_vl_msg_id"]');
});

test('a malformed enum member', () => {
  const j = base();
  j.enums = [['color', ['RED', 'zero'], { enumtype: 'u8' }]];
  expectError(j, 'color', 'an enum member must be [NAME, integer]');
});

test('a bad vl_api_version', () => {
  const j = base();
  j.vl_api_version = 42;
  expectError(j, '"vl_api_version" must be a hex string');
});

test('a stated CRC that differs from the computed one is reported, not ignored', () => {
  const j = base();
  const res = generate([parseApiJson('/defs/plugins/bad.api.json', JSON.stringify(j))], { generatorVersion: 'test' });
  // thing_add's CRC in the base is made up; thing_add_reply's is the real [context, retval] CRC.
  expect(res.crcMismatches.map((m) => m.message)).toEqual(['thing_add']);
  expect(res.crcMismatches[0]!.stated).toBe('0x12345678');
});
