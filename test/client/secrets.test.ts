import { inspect } from 'node:util';
import { makeSecretKey, redact, REDACTED, inspectRedacted, isSecretKey } from '../../src/util/secrets';

const raw = Uint8Array.from({ length: 32 }, (_, i) => 200 - i);
const b64 = Buffer.from(raw).toString('base64');
const hex = Buffer.from(raw).toString('hex');

function leaks(s: string): boolean {
  return s.includes(b64) || s.includes(hex) || s.includes(String(raw[0]) + ',' + String(raw[1]));
}

describe('SecretKey', () => {
  const key = makeSecretKey(raw, 'inline');

  it('keeps the bytes readable for sending to VPP', () => {
    expect(Buffer.from(key.bytes).equals(Buffer.from(raw))).toBe(true);
    expect(key.source).toBe('inline');
    expect(isSecretKey(key)).toBe(true);
  });

  it('prints redacted in JSON, inspect, String and templates', () => {
    const holder = { name: 'wg0', key };
    for (const s of [
      JSON.stringify(holder),
      inspect(holder, { depth: 10, showHidden: true }),
      String(key),
      `${key}`,
      key + '',
    ]) {
      expect(leaks(s)).toBe(false);
      expect(s).toContain(REDACTED);
    }
  });

  it('does not copy the bytes through spread or Object.entries', () => {
    const spread = { ...key } as Record<string, unknown>;
    expect(spread.bytes).toBeUndefined();
    expect(Object.keys(key)).toEqual(['source']);
  });

  it('rejects a key that is not 32 bytes, naming the source', () => {
    expect(() => makeSecretKey(new Uint8Array(31), 'file /etc/k')).toThrow(/32 bytes.*file \/etc\/k/);
  });
});

describe('redact', () => {
  it('replaces secret fields at any depth and leaves the input untouched', () => {
    const input = {
      interface: { private_key: raw, public_key: raw, port: 51820 },
      peers: [{ preshared_key: Buffer.from(raw), presharedKey: 'x', privateKey: { bytes: raw, source: 'env K' } }],
      other: new Map<string, unknown>([
        ['private_key', raw],
        ['n', 1],
      ]),
    };
    const out = redact(input);
    expect(out.interface.private_key).toBe(REDACTED);
    expect(out.interface.public_key).toEqual(raw);
    expect(out.interface.public_key).not.toBe(raw);
    expect(out.peers[0]).toEqual({ preshared_key: REDACTED, presharedKey: REDACTED, privateKey: REDACTED });
    expect(out.other.get('private_key')).toBe(REDACTED);
    expect(out.other.get('n')).toBe(1);
    expect(input.interface.private_key).toBe(raw);
  });

  it('redacts SecretKey objects under any field name, and copes with cycles', () => {
    const a: Record<string, unknown> = { k: makeSecretKey(raw, 'inline') };
    a.self = a;
    const out = redact(a) as Record<string, unknown>;
    expect(out.k).toBe(REDACTED);
    expect(out.self).toBe(out);
  });

  it('keeps error name and message', () => {
    const e = Object.assign(new Error('boom'), { private_key: raw });
    expect(redact(e)).toEqual({ name: 'Error', message: 'boom', private_key: REDACTED });
    expect(leaks(inspectRedacted({ e }))).toBe(false);
  });
});
