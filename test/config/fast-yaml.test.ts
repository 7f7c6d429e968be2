/**
 * The js-yaml fast path reads only plain block YAML, and reads it exactly as `yaml` (the parser
 * that keeps positions, and that every other file goes through) does: checked on the examples and
 * on generated documents, including the values YAML 1.1 and 1.2 read differently.
 */
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import fc from 'fast-check';
import { parse as yamlParse, parseDocument } from 'yaml';
import { isPlainBlockYaml, parsePlainBlockYaml } from '../../src/config/fast-yaml';
import { parseDesiredState } from '../../src/config';
import { projectRoot } from '../../src/util/paths';

/** What `yaml` makes of `text`: its data, or 'error'. */
function reference(text: string): string {
  const doc = parseDocument(text, { uniqueKeys: true });
  return doc.errors.length ? 'error' : JSON.stringify(doc.toJS({ maxAliasCount: 1000 }));
}

/** The fast path either declines (undefined) or gives exactly what `yaml` gives. */
function agrees(text: string): boolean {
  const fast = parsePlainBlockYaml(text);
  return fast === undefined || JSON.stringify(fast) === reference(text);
}

const examples = join(projectRoot(), 'deploy', 'examples');

test('every example file takes the fast path and reads as with yaml', () => {
  const files = readdirSync(examples).filter((f) => f.endsWith('.yaml'));
  expect(files.length).toBeGreaterThanOrEqual(6);
  for (const f of files) {
    const text = readFileSync(join(examples, f), 'utf8');
    expect([f, isPlainBlockYaml(text)]).toEqual([f, true]);
    expect(parsePlainBlockYaml(text)).toEqual(yamlParse(text));
  }
});

test('what is not a plain block line goes to yaml', () => {
  for (const text of [
    'a:\n\tb: 1\n', // tab
    'a: &x 1\nb: *x\n', // anchor and alias
    'a: !!str 1\n', // tag
    '? a\n: b\n', // complex key
    ': b\n', // empty key
    'a: |\n  text\n', // block scalar
    'a: 1\n...\n', // document end
    'a: 1\n---\nb: 2\n', // second document
    '%YAML 1.2\n---\na: 1\n', // directive
    '\ufeffa: 1\n', // byte order mark
    'a: "x"#c\n', // comment glued to a quote
    'a: fd00::\n', // ends with ':'
    'a: @x\n', // reserved indicator
    'a: b: c\n', // a key inside a value
    'a: [::/0]\n', // flow word starting with ':'
    '', // empty
    '# only a comment\n',
  ]) {
    expect([text, isPlainBlockYaml(text)]).toEqual([text, false]);
  }
  // Plain block lines that js-yaml refuses (a repeated key) also go to yaml, which places the error.
  expect(isPlainBlockYaml('a: 1\na: 2\n')).toBe(true);
  expect(parsePlainBlockYaml('a: 1\na: 2\n')).toBeUndefined();
  const r = parseDesiredState('wireguard: []\nwireguard: []\n', 'dup.yaml');
  expect(r.diagnostics[0]).toMatchObject({ line: 2, column: 1, message: expect.stringMatching(/unique/) as string });
});

const word = fc.constantFrom(
  ...['a', 'peer one', 'yes', 'no', 'on', 'off', 'y', 'null', 'Null', 'NULL', 'true', 'True', 'FALSE', '~x'],
  ...['1', '-1', '-0', '+1', '007', '0o17', '0x1F', '0b11', '1_000', '1e3', '1.5', '.5', '0.', '+.5'],
  ...['.inf', '-.inf', '.nan', '.NaN', '12:30', '1:30:00', '190:20:30', '2001-12-14', '1:2', 'k:v', 'a@b'],
  ...['fd00::1', 'fd00::1/64', '10.0.0.1/24', 'a=b', 'x+y', 'a.b', '=', '_'],
);
const quoted = fc.constantFrom('""', "''", '"a b"', "'a''b'", '"\\n"', '"a #b"', "'#'", '"x:"', "'- a'", '"é"');
const flowWord = fc.constantFrom(
  ...['a', '1', '-1', '.5', 'null', 'yes', 'true', '0x1F', '0o7', '2001:db8::1/64', 'fd00::1', 'a:b', '1:2'],
  ...['12:30:00', '10.0.0.0/24', '"q"', "'s'", '"a, b"', "'x: y'", '1_0', '0b1', '+1', '.inf', 'Null'],
);
/** One-line flow collections nested up to three deep, with and without inner spaces. */
const flowNode = fc.letrec<{ node: string; seq: string; map: string }>((tie) => ({
  node: fc.oneof({ depthSize: 'small', maxDepth: 3 }, flowWord, tie('seq'), tie('map')),
  seq: fc
    .tuple(fc.array(tie('node'), { maxLength: 3 }), fc.boolean())
    .map(([a, sp]) => (sp ? `[ ${a.join(', ')} ]` : `[${a.join(', ')}]`)),
  map: fc
    .tuple(fc.array(fc.tuple(fc.constantFrom('a', 'id', 'port'), tie('node')), { maxLength: 3 }), fc.boolean())
    .map(([ps, sp]) => {
      const body = ps.map(([k, v]) => `${k}: ${v}`).join(', ');
      return sp ? `{ ${body} }` : `{${body}}`;
    }),
}));
const flowSeq = flowNode.seq;
const flowMap = flowNode.map;
const value = fc.oneof(word, quoted, flowSeq, flowMap);
const key = fc.constantFrom('a', 'b', 'name', 'peers', 'allowed_ips', '_k');
const indent = fc.integer({ min: 0, max: 6 }).map((n) => ' '.repeat(n));
const dashes = (n: number): string => '- '.repeat(n);

test('random plain block lines: whatever the fast path reads, it reads as yaml does', () => {
  const line = fc.oneof(
    fc.tuple(indent, fc.integer({ min: 0, max: 2 }), key).map(([i, d, k]) => `${i}${dashes(d)}${k}:`),
    fc.tuple(indent, fc.integer({ min: 0, max: 2 }), key, value).map(([i, d, k, v]) => `${i}${dashes(d)}${k}: ${v}`),
    fc.tuple(indent, fc.integer({ min: 1, max: 2 }), value).map(([i, d, v]) => `${i}${dashes(d)}${v}`),
    fc.tuple(indent, key, value).map(([i, k, v]) => `${i}${k}: ${v} # note`),
    fc.constantFrom('', '# c', '  # c', '---'),
  );
  const doc = fc
    .tuple(fc.array(line, { minLength: 1, maxLength: 10 }), fc.boolean())
    .map(([ls, crlf]) => ls.join(crlf ? '\r\n' : '\n') + '\n');
  let read = 0;
  fc.assert(
    fc.property(doc, (text) => {
      if (parsePlainBlockYaml(text) !== undefined) read++;
      return agrees(text);
    }),
    { numRuns: 4000, seed: 7 },
  );
  // Not vacuous: a good share of the documents went through the fast path.
  expect(read).toBeGreaterThan(400);
});

type Tree = string | { m: Record<string, Tree> } | { s: Tree[] };

test('random nested documents, indented by 1 to 4: the fast path reads each as yaml does', () => {
  const tree = fc.letrec<{ node: Tree; map: Tree; seq: Tree }>((tie) => ({
    node: fc.oneof({ depthSize: 'small' }, value, tie('map'), tie('seq')),
    map: fc.dictionary(key, tie('node'), { minKeys: 1, maxKeys: 4 }).map((m) => ({ m })),
    seq: fc.array(tie('node'), { minLength: 1, maxLength: 3 }).map((s) => ({ s })),
  })).node;
  const emit = (n: Tree, ind: number, step: number, out: string[], prefix: string): void => {
    if (typeof n === 'string') {
      out.push(prefix + n);
      return;
    }
    const pad = ' '.repeat(ind);
    if ('m' in n) {
      Object.entries(n.m).forEach(([k, v], i) => {
        const p = i === 0 ? prefix : pad;
        if (typeof v === 'string') out.push(`${p}${k}: ${v}`);
        else {
          out.push(`${p}${k}:`);
          emit(v, ind + step, step, out, ' '.repeat(ind + step));
        }
      });
      return;
    }
    n.s.forEach((v, i) => {
      const p = i === 0 ? prefix : pad;
      if (typeof v === 'string') out.push(`${p}- ${v}`);
      else emit(v, ind + 2, step, out, `${p}- `);
    });
  };
  let read = 0;
  fc.assert(
    fc.property(tree, fc.integer({ min: 1, max: 4 }), (t, step) => {
      const out: string[] = [];
      emit(typeof t === 'string' ? { m: { k: t } } : t, 0, step, out, '');
      const text = out.join('\n') + '\n';
      if (parsePlainBlockYaml(text) !== undefined) read++;
      return agrees(text);
    }),
    { numRuns: 3000, seed: 3 },
  );
  expect(read).toBeGreaterThan(1000);
});
