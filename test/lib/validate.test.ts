/** validateDesiredState: an object is checked as a file is, and nothing leaks a key. */
import { validateDesiredState, type DesiredStateDocument } from '../../src';
import { encodeKey, generatePrivateKey, publicKeyOf } from '../../src';

const privateKey = encodeKey(generatePrivateKey());
const peerKey = encodeKey(publicKeyOf(generatePrivateKey()));

function doc(peerIps: string[][]): DesiredStateDocument {
  return {
    uplinks: [{ name: 'host-eth0', addresses: ['192.0.2.1/24'] }],
    wireguard: [
      {
        name: 'wg0',
        private_key: { env: 'WG0_KEY' },
        listen_port: 51820,
        source: '192.0.2.1',
        peers: peerIps.map((allowed_ips, i) => ({
          name: `p${i}`,
          public_key: i === 0 ? peerKey : encodeKey(publicKeyOf(generatePrivateKey())),
          allowed_ips,
        })),
      },
    ],
  };
}

test('a valid object yields the desired state, keys read from the given environment', () => {
  const { state, diagnostics } = validateDesiredState(doc([['10.0.0.2/32']]), { env: { WG0_KEY: privateKey } });
  expect(diagnostics).toEqual([]);
  expect(state!.wireguard[0]!.peers[0]!.publicKey).toBe(peerKey);
  expect(state!.wireguard[0]!.peers[0]!.allowedIps).toEqual(['10.0.0.2/32']);
});

test('semantic errors name the place by JSON pointer and give no state', () => {
  const { state, diagnostics } = validateDesiredState(doc([['10.0.0.0/16'], ['10.0.1.0/24']]), {
    env: { WG0_KEY: privateKey },
    name: 'site-a',
  });
  expect(state).toBeUndefined();
  const overlap = diagnostics.find((d) => /overlap/.test(d.message));
  expect(overlap).toMatchObject({ severity: 'error', file: 'site-a' });
  expect(overlap!.path).toMatch(/^\/wireguard\/0\/peers\/1\/allowed_ips/);
});

test('schema errors in an untyped object are reported with their path, as for a file', () => {
  const bad = { wireguard: [{ name: 'wg0', private_key: 'generate', listen_port: 0, source: '192.0.2.1' }] };
  const { state, diagnostics } = validateDesiredState(bad as DesiredStateDocument);
  expect(state).toBeUndefined();
  expect(diagnostics.some((d) => d.path === '/wireguard/0/listen_port' && d.severity === 'error')).toBe(true);
});

test('a missing key variable is an error that names it, and no key appears in any message', () => {
  const { state, diagnostics } = validateDesiredState(doc([['10.0.0.2/32']]), { env: {} });
  expect(state).toBeUndefined();
  expect(diagnostics.map((d) => d.message).join('\n')).toContain('WG0_KEY');
  const withKey = validateDesiredState(doc([['10.0.0.2/32']]), { env: { WG0_KEY: privateKey } });
  expect(JSON.stringify(withKey.diagnostics)).not.toContain(privateKey);
});

test('a value that is not plain data is refused naming the object', () => {
  const cyclic: Record<string, unknown> = {};
  cyclic.self = cyclic;
  expect(() => validateDesiredState(cyclic as DesiredStateDocument, { name: 'mine' })).toThrow(
    /^mine: cannot be read as JSON/,
  );
});
