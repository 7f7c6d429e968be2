/**
 * Key material never leaks: not in diagnostics, not in JSON.stringify / util.inspect / String of a
 * loaded state. Key files readable by others get the warning `wg` gives; inline keys get one too.
 */
import { chmodSync, existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { inspect } from 'node:util';
import {
  checkAgainstCapabilities,
  decodeKey,
  encodeKey,
  formatDiagnostic,
  generatePresharedKey,
  generatePrivateKey,
  loadDesiredState,
  parseDesiredState,
  publicKeyOf,
  type SecretKey,
} from '../../src/config';
import { sharedDir } from '../../src/util/paths';

const tmp = mkdtempSync(join(tmpdir(), 'vppwg-secrets-'));
afterAll(() => rmSync(tmp, { recursive: true, force: true }));

const testKeysPath = join(sharedDir(), 'vpp-golden', 'test-keys.txt');
/** The recorded private keys when ../shared is there, else fresh ones (the leak checks still hold). */
const privateKeys: string[] = existsSync(testKeysPath)
  ? readFileSync(testKeysPath, 'utf8')
      .split('\n')
      .map((l) => l.trim().split(/\s+/)[1])
      .filter((k): k is string => k !== undefined)
  : Array.from({ length: 6 }, () => encodeKey(generatePrivateKey()));
if (!existsSync(testKeysPath)) console.warn(`"secrets" tests use generated keys: ${testKeysPath} is absent`);

const PEER_PUB = 'g3Wu5HUYCVOs7VVfyUC8vC9/Jl94Pmr/Wc2SSHUsMXA=';

function doc(privateKey: string, extraPeer = ''): string {
  return [
    'uplinks:',
    '  - name: host-eth0',
    '    addresses: [192.0.2.1/24]',
    'wireguard:',
    '  - name: wg0',
    `    private_key: ${privateKey}`,
    '    listen_port: 51820',
    '    source: 192.0.2.1',
    '    peers:',
    '      - name: a',
    `        public_key: ${PEER_PUB}`,
    '        allowed_ips: [10.0.1.0/24]',
    extraPeer,
  ].join('\n');
}

/** Every text form a key could leak in: base64, hex, and the bytes as a JS array. */
function leakForms(b64: string): string[] {
  const bytes = Buffer.from(b64, 'base64');
  return [b64, b64.slice(0, 20), bytes.toString('hex'), Array.from(bytes).join(',')];
}

function expectNoLeak(text: string, keys: string[]): void {
  for (const k of keys) for (const form of leakForms(k)) expect(text).not.toContain(form);
}

describe('key material stays hidden', () => {
  test('a loaded state redacts its private and preshared keys in every printable form', () => {
    const [priv, psk] = [privateKeys[0]!, privateKeys[1]!];
    const text = doc('{ env: WG0_KEY }', '        preshared_key: { env: PSK_A }');
    const { state, diagnostics } = parseDesiredState(text, 's.yaml', { env: { WG0_KEY: priv, PSK_A: psk } });
    expect(diagnostics).toEqual([]);
    const wg = state!.wireguard[0]!;
    const key = wg.privateKey as SecretKey;
    // The bytes are there for the one call that sends them to VPP...
    expect(encodeKey(key.bytes)).toBe(priv);
    expect(encodeKey(wg.peers[0]!.presharedKey!.bytes)).toBe(psk);
    expect(wg.publicKey).toBe(encodeKey(publicKeyOf(decodeKey(priv)!)));
    // ...and nowhere else.
    const printed = [
      JSON.stringify(state),
      JSON.stringify(state, null, 2),
      inspect(state, { depth: Infinity, showHidden: false }),
      inspect(state, { depth: Infinity, getters: true }),
      String(key),
      `${key}`,
      JSON.stringify({ ...key }),
      JSON.stringify(Object.entries(key)),
    ].join('\n');
    expectNoLeak(printed, [priv, psk]);
    expect(JSON.stringify(state)).toContain('"privateKey":"[redacted]"');
    expect(key.source).toBe('env WG0_KEY');
  });

  test.each([
    ['an inline key', (k: string) => doc(`{ inline: "${k}" }`)],
    ['an inline key with one character dropped', (k: string) => doc(`{ inline: "${k.slice(1)}" }`)],
    ['the key written bare as private_key', (k: string) => doc(k)],
    ['the key as a bogus source', (k: string) => doc(`{ key: "${k}" }`)],
    ['the key as an env variable name', (k: string) => doc(`{ env: "${k}" }`)],
    [
      'the key as a peer public key twice',
      (k: string) => doc('generate', `      - name: b\n        public_key: ${k}x\n        allowed_ips: [10.0.2.0/24]`),
    ],
  ])('diagnostics for %s do not contain it', (_name, make) => {
    for (const k of privateKeys) {
      const { diagnostics } = parseDesiredState(make(k), 's.yaml', { env: {} });
      expect(diagnostics.length).toBeGreaterThan(0);
      expectNoLeak(diagnostics.map(formatDiagnostic).join('\n') + JSON.stringify(diagnostics), [k]);
    }
  });

  test('a key file with the wrong content is not echoed', () => {
    const k = privateKeys[2]!;
    const path = join(tmp, 'almost.key');
    writeFileSync(path, k.slice(0, 40) + '\n');
    chmodSync(path, 0o600);
    const { diagnostics } = parseDesiredState(doc(`{ file: ${path} }`), 's.yaml', { env: {} });
    expect(diagnostics.map((d) => d.severity)).toEqual(['error']);
    expectNoLeak(JSON.stringify(diagnostics), [k]);
  });
});

describe('warnings', () => {
  function keyFile(name: string, mode: number): string {
    const path = join(tmp, name);
    writeFileSync(path, encodeKey(generatePrivateKey()) + '\n');
    chmodSync(path, mode);
    return path;
  }

  test('a world-readable key file gets the warning wg gives, and still loads', () => {
    const path = keyFile('world.key', 0o644);
    const { state, diagnostics } = parseDesiredState(doc(`{ file: ${path} }`), 's.yaml', { env: {} });
    expect(state).toBeDefined();
    expect(diagnostics).toEqual([
      expect.objectContaining({
        severity: 'warning',
        line: 6,
        column: 26,
        message: `\`${path}' is world accessible (mode 0644): run chmod 600 ${path} so only its owner can read the private key`,
      }),
    ]);
    expect(formatDiagnostic(diagnostics[0]!)).toBe(`s.yaml:6:26: warning: ${diagnostics[0]!.message}`);
  });

  test('a group-readable key file is warned about too; mode 600 is quiet', () => {
    const group = keyFile('group.key', 0o640);
    expect(
      parseDesiredState(doc(`{ file: ${group} }`), 's.yaml', { env: {} }).diagnostics.map((d) => d.message),
    ).toEqual([
      `\`${group}' is group accessible (mode 0640): run chmod 600 ${group} so only its owner can read the private key`,
    ]);
    const quiet = keyFile('quiet.key', 0o600);
    expect(parseDesiredState(doc(`{ file: ${quiet} }`), 's.yaml', { env: {} }).diagnostics).toEqual([]);
  });

  test('relative key files resolve against the state file directory', () => {
    keyFile('rel.key', 0o600);
    const statePath = join(tmp, 'state.yaml');
    writeFileSync(statePath, doc('{ file: rel.key }'));
    const { state, diagnostics } = loadDesiredState(statePath, { env: {} });
    expect(diagnostics).toEqual([]);
    expect((state!.wireguard[0]!.privateKey as SecretKey).source).toBe(`file ${join(tmp, 'rel.key')}`);
  });

  test('an inline private key is warned about, at its place', () => {
    const { state, diagnostics } = parseDesiredState(
      doc(`{ inline: "${encodeKey(generatePrivateKey())}" }`),
      's.yaml',
      { env: {} },
    );
    expect(state).toBeDefined();
    expect(diagnostics).toEqual([
      expect.objectContaining({
        severity: 'warning',
        line: 6,
        column: 28,
        message:
          'private key is written inline: anyone who can read this file has it; use {file: PATH} (mode 600) or {env: VARIABLE}',
      }),
    ]);
  });

  test('a keepalive on a peer without endpoint is pointless and said so', () => {
    const { state, diagnostics } = parseDesiredState(doc('generate', '        persistent_keepalive: 25'), 's.yaml', {
      env: {},
    });
    expect(state).toBeDefined();
    expect(diagnostics.map(formatDiagnostic)).toEqual([
      's.yaml:13:31: warning: peer "a" of "wg0" has no endpoint, so VPP cannot send keepalives to it: persistent_keepalive has no effect (set it on the client side)',
    ]);
  });

  test('an underlay table other than 0 is warned about (VPP handshakes use table 0)', () => {
    const text = ['tables:', '  - { id: 3, name: underlay }', doc('generate', '        underlay_table: 3')].join('\n');
    const { state, diagnostics } = parseDesiredState(text, 's.yaml', { env: {} });
    expect(state?.wireguard[0]?.peers[0]?.underlayTable).toBe(3);
    expect(diagnostics.map(formatDiagnostic)).toEqual([
      `s.yaml:15:25: warning: VPP sends handshakes and keepalives through table 0 whatever underlay_table says: make sure peer "a" of "wg0"'s endpoint is reachable in table 0 too, or keep the underlay in table 0`,
    ]);
  });

  test('an MTU below 1280 on an interface carrying IPv6 is warned about', () => {
    const text = doc('generate').replace(
      '    listen_port: 51820',
      '    listen_port: 51820\n    mtu: 1200\n    addresses: ["fd00::1/64"]',
    );
    const { state, diagnostics } = parseDesiredState(text, 's.yaml', { env: {} });
    expect(state?.wireguard[0]?.mtu).toBe(1200);
    expect(diagnostics.map(formatDiagnostic)).toEqual([
      's.yaml:8:10: warning: mtu 1200 is below 1280, the IPv6 minimum, but "wg0" carries IPv6: raise it to at least 1280',
    ]);
  });

  test('a missing state file is one clear error', () => {
    const missing = join(tmp, 'nope.yaml');
    const { state, diagnostics } = loadDesiredState(missing);
    expect(state).toBeUndefined();
    expect(diagnostics.map(formatDiagnostic)).toEqual([
      `${missing}: error: cannot read the file (ENOENT): check the path and its permissions`,
    ]);
  });
});

describe('capabilities', () => {
  test('preshared keys pass on a VPP with wireguard_peer_add_v2 and are refused, with their place, without it', () => {
    const psk = encodeKey(generatePresharedKey());
    const text = doc('generate', '        preshared_key: { env: PSK_A }');
    const withV2 = parseDesiredState(text, 's.yaml', { env: { PSK_A: psk }, capabilities: { presharedKeys: true } });
    expect(withV2.diagnostics).toEqual([]);
    const found = checkAgainstCapabilities(withV2.state!, 's.yaml', { presharedKeys: false });
    expect(found.map(formatDiagnostic)).toEqual([
      's.yaml:13:24: error: peer "a" of "wg0" has a preshared_key, but the connected VPP lacks wireguard_peer_add_v2 (preshared keys need VPP 26.06 or later; 24.10 has none): remove preshared_key or upgrade VPP',
    ]);
    expect(checkAgainstCapabilities(withV2.state!, 's.yaml', { presharedKeys: true })).toEqual([]);
  });

  test('plain peers pass without wireguard_peer_add_v2', () => {
    const r = parseDesiredState(doc('generate'), 's.yaml', { env: {}, capabilities: { presharedKeys: false } });
    expect(r.diagnostics).toEqual([]);
    expect(r.state).toBeDefined();
  });
});
