/**
 * The fast block-YAML reader either gives exactly what the `yaml` package gives, or declines (and
 * the loader falls back to `yaml`). It must never accept a text `yaml` rejects, and it must read
 * the files people write (the examples, and what `yaml.stringify` writes) so the speed-up is real.
 */
import fc from 'fast-check';
import { readFileSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { parseDocument, stringify } from 'yaml';
import { parseBlockYaml } from '../../src/config/block-yaml';
import { projectRoot } from '../../src/util/paths';

/** What the loader's full path reads: data, or 'error' when `yaml` reports one. */
function reference(text: string): unknown {
  const doc = parseDocument(text, { prettyErrors: false, uniqueKeys: true });
  if (doc.errors.length > 0) return 'error';
  return doc.toJS({ maxAliasCount: 1000 });
}

/** The fast reader agrees with `yaml` or declines; returns whether it read the text. */
function agrees(text: string): boolean {
  const fast = parseBlockYaml(text);
  if (fast === undefined) return false;
  expect(reference(text)).not.toBe('error');
  expect(fast.value).toStrictEqual(reference(text));
  return true;
}

const examplesDir = join(projectRoot(), 'deploy', 'examples');
const examples = readdirSync(examplesDir)
  .filter((f) => f.endsWith('.yaml'))
  .map((f) => ({ name: f, text: readFileSync(join(examplesDir, f), 'utf8') }));

test.each(examples.map((e) => [e.name, e.text]))('reads example %s as yaml does, without falling back', (_, text) => {
  expect(agrees(text)).toBe(true);
});

test('reads what yaml.stringify writes for a many-peer file', () => {
  const doc = {
    wireguard: [
      {
        name: 'wg0',
        peers: Array.from({ length: 50 }, (_, i) => ({
          name: `p${i}`,
          public_key: `${'A'.repeat(42)}${i % 2 ? 'E' : 'I'}=`,
          endpoint: { address: `198.51.100.${i}`, port: 51820 },
          allowed_ips: [`100.64.0.${i}/32`, `fd00::${i}/128`],
          persistent_keepalive: 25,
          admin_up: i % 2 === 0,
        })),
      },
    ],
  };
  expect(agrees(stringify(doc))).toBe(true);
});

describe('hand-picked texts: same data as yaml, or a fallback', () => {
  const read = [
    'a: 1\nb: -2\nc: +3\nd: 007\n',
    'a: ~\nb: null\nc: Null\nd:\ne: true\nf: False\ng: yes\nh: off\n',
    "a: 'it''s'\nb: \"q\\\"uote\\u00e9\\n\"\nc: 'x' # comment\n",
    'a: x #comment\nb: x#not-a-comment\nc: 10.0.0.0/8\nd: 2001:db8::1/64\ne: fd00::/8\n',
    'list:\n- a\n- b\nnext: 1\n',
    '- - a\n  - b\n- c\n',
    '- name: x\n  sub:\n    - 1\n    -\n    - 3\n- name: y\n',
    '# head\n---\na: 1 # tail\n\n   # indented comment\nb:\n  c: 2\n',
    'a: 1\r\nb: [x, y]\r\n',
    'a: [1, [2, 3], {b: c, d: [e]}, "q", \'s\']\nb: {}\nc: []\n',
    'key-with-dash: v\nsnake_case: w\n',
    'a: -x\nb: x, y\nc: "#not"\n',
  ];
  test.each(read)('reads %j', (text) => expect(agrees(text)).toBe(true));

  const declined = [
    'a: 1\na: 2\n', // duplicate key: yaml reports it
    'a: {x: 1, x: 2}\n',
    'a: 1.5\n',
    'a: 0x10\n',
    'a: .inf\n',
    'a: &x 1\nb: *x\n',
    'a: !!str 1\n',
    'a: |\n  text\n',
    'a: >\n  text\n',
    'a: multi\n  line\n',
    'a:\n  b: 1\n c: 2\n',
    'a: [1,\n  2]\n',
    'a: "open\n  close"\n',
    '? complex\n: key\n',
    '"quoted": key\n',
    'a:\tb\n',
    '%YAML 1.1\n---\na: yes\n',
    'a: 1\n---\nb: 2\n',
    '1: one\n',
    'true: x\n',
    '__proto__: x\n',
    'plain scalar\n',
    '',
    '# only a comment\n',
    'a: b: c\n',
    'a: "x\\x41"\n',
    '- a\nb: 1\n',
    'a: 1\n  - b\n',
    '[a, b]\n',
    'a: [x: 1]\n',
    'a: [b,]\n',
    'a: {b}\n',
    'a: "x"y\n',
    '\ufeffa: 1\n',
  ];
  test.each(declined)('declines %j (yaml reads it, or reports it, itself)', (text) => {
    expect(parseBlockYaml(text)).toBeUndefined();
    // Whatever yaml makes of it is what the loader reports: nothing to compare.
    reference(text);
  });
});

describe('fuzz: never accepts what yaml rejects, never reads differently', () => {
  test('an example with characters inserted, deleted or swapped', () => {
    const pieces = [
      ' ',
      '  ',
      '\n',
      '-',
      '- ',
      ':',
      ': ',
      '#',
      ' #',
      "'",
      '"',
      '[',
      ']',
      '{',
      '}',
      ',',
      'x',
      '1',
      '\\',
    ];
    fc.assert(
      fc.property(
        fc.constantFrom(...examples.map((e) => e.text)),
        fc.array(fc.tuple(fc.nat(), fc.nat(3), fc.constantFrom(...pieces)), { minLength: 1, maxLength: 3 }),
        (text, edits) => {
          let t = text;
          for (const [at, del, ins] of edits) {
            const i = at % (t.length + 1);
            t = t.slice(0, i) + ins + t.slice(i + del);
          }
          agrees(t);
        },
      ),
      { numRuns: 400 },
    );
  });

  test('random documents as yaml.stringify writes them (block and flow)', () => {
    const key = fc.stringMatching(/^[a-z_][a-z0-9_-]{0,6}$/);
    const scalar = fc.oneof(
      fc.string({ maxLength: 8 }),
      fc.integer(),
      fc.boolean(),
      fc.constant(null),
      fc.constantFrom('10.0.0.0/8', '::/0', 'fd00::1', 'a: b', 'x #y', '- z', '0x1f', '1e3', '~', 'yes'),
    );
    const value = fc.letrec((tie) => ({
      node: fc.oneof({ depthSize: 'small' }, scalar, tie('list'), tie('map')),
      list: fc.array(tie('node'), { maxLength: 4 }),
      map: fc.dictionary(key, tie('node'), { maxKeys: 4 }),
    })).map;
    fc.assert(
      fc.property(value, fc.boolean(), (doc, flow) => {
        agrees(stringify(doc, { collectionStyle: flow ? 'flow' : 'block' }));
      }),
      { numRuns: 400 },
    );
  });
});

test('nesting deeper than the stack allows is declined (yaml then reports it), never thrown', () => {
  const deep = '- '.repeat(200_000) + 'x\n';
  expect(parseBlockYaml(deep)).toBeUndefined();
  const shallow = '- '.repeat(100) + 'x\n';
  expect(agrees(shallow)).toBe(true);
});
