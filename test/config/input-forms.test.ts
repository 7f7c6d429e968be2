/**
 * How the file's form is told back: peer names under the interface name rules, user text cut in
 * messages, several YAML documents and broken JSON each said plainly, with the format and why.
 */
import { parseDesiredState, type Diagnostic } from '../../src/config';
import { ECHO_LIMIT, echo } from '../../src/config/echo';
import { PUB, UPLINK, lines, wg } from './bad-cases';

const errors = (text: string, file = 'f.yaml'): Diagnostic[] => {
  const r = parseDesiredState(text, file, { env: {} });
  expect(r.state).toBeUndefined();
  return r.diagnostics.filter((d) => d.severity === 'error');
};
const withPeerName = (name: string) =>
  lines(UPLINK, wg(), `      - name: ${name}`, `        public_key: ${PUB[0]}`, '        allowed_ips: [10.0.1.0/24]');

describe('peer names', () => {
  test.each([['"p 2!/ü"'], ['-lead'], ['a:b']])('%s breaks the name rule, at the name', (name) => {
    const found = errors(withPeerName(name));
    expect(found).toHaveLength(1);
    expect(found[0]).toMatchObject({ line: 10, column: 15, path: '/wireguard/0/peers/0/name' });
    expect(found[0]!.message).toMatch(/must be a peer name: letters, digits, _ \. - \(starting with a letter or digit/);
  });

  test('a name of 5,000 characters is refused, and echoed cut to 60 characters', () => {
    const name = 'x'.repeat(5000);
    const found = errors(withPeerName(name));
    expect(found).toHaveLength(1);
    expect(found[0]!.message).toContain(`"${'x'.repeat(ECHO_LIMIT)}…"`);
    expect(found[0]!.message).toMatch(/at most 57 characters/);
    expect(found[0]!.message.length).toBeLessThan(300);
  });

  test('57 characters of letters, digits and _ . - are fine', () => {
    const r = parseDesiredState(withPeerName('a'.repeat(54) + '_.-'), 'f.yaml', { env: {} });
    expect(r.diagnostics).toEqual([]);
  });
});

test('echo keeps short text and cuts long text on a code point', () => {
  expect(echo('short')).toBe('short');
  expect(echo('é'.repeat(70))).toBe('é'.repeat(ECHO_LIMIT) + '…');
  expect(echo('a'.repeat(59) + '😀😀')).toBe('a'.repeat(59) + '😀…');
});

test('a long unknown key and a long bad address are echoed cut', () => {
  const key = 'k'.repeat(500);
  const address = '1'.repeat(500);
  const found = errors(lines('uplinks:', '  - name: host-eth0', `    addresses: [${address}]`, `${key}: 1`));
  expect(found.map((d) => d.message.length < 300)).toEqual([true, true]);
  expect(found.map((d) => d.message).join('\n')).toContain(`"${'1'.repeat(60)}…"`);
  expect(found.map((d) => d.message).join('\n')).toContain(`"${'k'.repeat(60)}…"`);
});

test('several YAML documents: a plain message at the second one, naming the count', () => {
  const text = lines(UPLINK, '---', 'wireguard: []', '---', 'tables: []');
  const found = errors(text);
  expect(found[0]).toMatchObject({ line: 4, column: 1 });
  expect(found[0]!.message).toBe(
    'the file holds 3 YAML documents and vppwg reads one: remove the `---` separators between them (keep at most one, at the top) and merge the documents into one mapping',
  );
  expect(found.map((d) => d.message).join('\n')).not.toMatch(/parseAllDocuments/);
});

describe('JSON', () => {
  test('a trailing comma is a JSON error at its place, saying why the file was read as JSON', () => {
    const found = errors('{\n  "wireguard": [],\n  "tables": [],\n}\n', 'state.yaml');
    expect(found).toHaveLength(1);
    expect(found[0]).toMatchObject({ line: 4, column: 1 });
    expect(found[0]!.message).toMatch(/^JSON syntax error: .*\(read as JSON because it starts with '\{'\)/);
  });

  test('a trailing comma in a list, in a .json file', () => {
    const found = errors('{"wireguard": [1,2,]}', 'state.json');
    expect(found[0]).toMatchObject({ line: 1, column: 20 });
    expect(found[0]!.message).toMatch(
      /JSON allows no comma before a closing bracket \(read as JSON because its name ends in \.json\)/,
    );
    expect(found[0]!.message).not.toMatch(/is not valid JSON/);
  });

  test('a file starting with [ is JSON too', () => {
    expect(errors('[1, 2', 'x.conf')[0]!.message).toMatch(/read as JSON because it starts with '\['/);
  });

  test('a repeated key is placed at its second use', () => {
    const found = errors('{\n  "tables": [],\n  "tables": []\n}\n', 'state.json');
    expect(found[0]).toMatchObject({ line: 3, column: 3 });
    expect(found[0]!.message).toMatch(/^JSON syntax error: Map keys must be unique: "tables" appears twice/);
  });
});
