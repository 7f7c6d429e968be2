/**
 * A JSON file is never read by the `yaml` package's position-keeping parser (seconds at 10,000
 * peers, and slow on one long line): JSON.parse reads it, and jsonc-parser's tree places its
 * findings, built once and only when a finding needs a place. A YAML file is parsed by `yaml`
 * exactly once, for its data and its places alike. Counted with spies, not timed.
 */
import { parseTree } from 'jsonc-parser';
import { parseDocument } from 'yaml';
import { checkAgainstCapabilities, encodeKey, generatePresharedKey, parseDesiredState } from '../../src/config';

const PEER_PUB = ['g3Wu5HUYCVOs7VVfyUC8vC9/Jl94Pmr/Wc2SSHUsMXA=', 'JJb055f7Z1vM5rbBSPrDWWTMycD25bdsornGUNmvdkM='];

function doc(extra: { peer?: string; addressStyle?: 'flow' | 'block' } = {}): string {
  return [
    'uplinks:',
    '  - name: host-eth0',
    extra.addressStyle === 'block' ? '    addresses:\n      - 192.0.2.1/24' : '    addresses: [192.0.2.1/24]',
    'wireguard:',
    '  - name: wg0',
    '    private_key: generate',
    '    listen_port: 51820',
    '    source: 192.0.2.1',
    '    peers:',
    '      - name: a',
    `        public_key: ${PEER_PUB[0]}`,
    '        allowed_ips: [10.0.1.0/24]',
    '        preshared_key: { env: PSK_A }',
    '      - name: b',
    `        public_key: ${PEER_PUB[1]}`,
    '        allowed_ips:',
    '          - 10.0.2.0/24',
    extra.peer ?? '',
  ].join('\n');
}

const env = { PSK_A: encodeKey(generatePresharedKey()) };
jest.mock('yaml', () => {
  const actual = jest.requireActual<typeof import('yaml')>('yaml');
  return { ...actual, parseDocument: jest.fn(actual.parseDocument) };
});
jest.mock('jsonc-parser', () => {
  const actual = jest.requireActual<typeof import('jsonc-parser')>('jsonc-parser');
  return { ...actual, parseTree: jest.fn(actual.parseTree) };
});
const parses = parseDocument as jest.MockedFunction<typeof parseDocument>;
const jsonTrees = parseTree as jest.MockedFunction<typeof parseTree>;
beforeEach(() => {
  parses.mockClear();
  jsonTrees.mockClear();
});

/** The same document as JSON text (what a generator of large files would write). */
function asJson(text: string): string {
  return JSON.stringify(jest.requireActual<typeof import('yaml')>('yaml').parse(text));
}

test('a valid JSON file is loaded without yaml.parseDocument', () => {
  const r = parseDesiredState(asJson(doc()), 'v.json', { env });
  expect(r.diagnostics).toEqual([]);
  expect(r.state?.wireguard[0]?.peers.map((p) => p.allowedIps)).toEqual([['10.0.1.0/24'], ['10.0.2.0/24']]);
  expect(parses).not.toHaveBeenCalled();
  expect(jsonTrees).not.toHaveBeenCalled();
});

test('a JSON diagnostic gets its place from one JSON tree, built only when needed', () => {
  const text = asJson(doc({ peer: '        persistent_keepalive: 25' }));
  const r = parseDesiredState(text, 'w.json', { env });
  expect(r.diagnostics.map((d) => [d.severity, d.path])).toEqual([
    ['warning', '/wireguard/0/peers/1/persistent_keepalive'],
  ]);
  expect(r.diagnostics[0]!.line).toBe(1);
  expect(r.diagnostics[0]!.column).toBe(text.indexOf('"persistent_keepalive":') + '"persistent_keepalive":'.length + 1);
  expect(jsonTrees).toHaveBeenCalledTimes(1);
  expect(parses).not.toHaveBeenCalled();
});

test("a preshared key's place is found when a capability check asks for it", () => {
  const r = parseDesiredState(asJson(doc()), 'c.json', { env });
  expect(jsonTrees).not.toHaveBeenCalled();
  const found = checkAgainstCapabilities(r.state!, 'c.json', { presharedKeys: false });
  expect(found.map((d) => d.path)).toEqual(['/wireguard/0/peers/0/preshared_key']);
  expect(found[0]!.line).toBe(1);
  expect(jsonTrees).toHaveBeenCalledTimes(1);
  expect(parses).not.toHaveBeenCalled();
});

test('a YAML file is parsed once for its data and the places of its findings', () => {
  const r = parseDesiredState(doc({ peer: '        persistent_keepalive: 25' }), 'y.yaml', { env });
  expect(r.diagnostics.map((d) => [d.severity, d.line, d.column, d.path])).toEqual([
    ['warning', 18, 31, '/wireguard/0/peers/1/persistent_keepalive'],
  ]);
  expect(parses).toHaveBeenCalledTimes(1);
});
