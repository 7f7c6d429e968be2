/** Canonical address/prefix text: what the diff compares VPP's dumps and the file by. */
import fc from 'fast-check';
import ipaddr from 'ipaddr.js';
import {
  canonicalVppAddress,
  canonicalInterfaceAddress,
  canonicalVppPrefix,
  decodedVppPrefix,
  hostPrefix,
  isZeroDecodedAddress,
  isZeroVppAddress,
  pairedAddressOf31,
} from '../../src/reconcile/ip';
import { getPrefix } from 'vpp-api-ts/runtime';
import { canonicalPrefix as configCanonicalPrefix } from '../../src/config';

describe('canonical text', () => {
  test.each([
    ['2001:0DB8:0000:0000:0000:0000:0000:0001', '2001:db8::1'],
    ['fd00:100::0001', 'fd00:100::1'],
    ['10.0.0.1', '10.0.0.1'],
  ])('address %s → %s', (input, out) => {
    expect(canonicalVppAddress(input)).toBe(out);
  });

  test.each([
    ['10.1.2.3/16', '10.1.0.0/16'],
    ['0.0.0.0/0', '0.0.0.0/0'],
    ['255.255.255.255/32', '255.255.255.255/32'],
    ['2001:db8::1/64', '2001:db8::/64'],
    ['::/0', '::/0'],
  ])('prefix %s → %s', (input, out) => {
    expect(canonicalVppPrefix(input)).toBe(out);
  });

  test('interface addresses keep host bits; host prefixes; zero addresses', () => {
    expect(canonicalInterfaceAddress('2001:DB8::1/64')).toBe('2001:db8::1/64');
    expect(hostPrefix('10.0.0.2')).toBe('10.0.0.2/32');
    expect(hostPrefix('fd00::2')).toBe('fd00::2/128');
    expect(isZeroVppAddress('0.0.0.0')).toBe(true);
    expect(isZeroVppAddress('::')).toBe(true);
    expect(isZeroVppAddress('10.0.0.1')).toBe(false);
  });

  test('the other address of a /31, for the host route VPP adds itself', () => {
    expect(pairedAddressOf31('169.254.10.0/31')).toBe('169.254.10.1');
    expect(pairedAddressOf31('169.254.10.1/31')).toBe('169.254.10.0');
    expect(pairedAddressOf31('10.0.0.255/31')).toBe('10.0.0.254');
    expect(pairedAddressOf31('10.0.0.1/30')).toBeUndefined();
    expect(pairedAddressOf31('fd00::/127')).toBeUndefined();
  });

  test('malformed text is an error, not a wrong answer', () => {
    expect(() => canonicalVppAddress('10.0.0')).toThrow(/not an IPv4 address/);
    expect(() => canonicalVppPrefix('10.0.0.0/33')).toThrow(/not an IPv4 prefix/);
    expect(() => canonicalVppPrefix('10.0.0.0')).toThrow(/not a prefix/);
    // Only dotted decimal: no exponents, signs, spaces, hex, empty or extra parts, lengths in digits.
    for (const bad of [
      '1e2.0.0.1/8',
      ' 1.2.3.4/8',
      '0x1.2.3.4/8',
      '+1.2.3.4/8',
      '1..2.3/8',
      '1.2.3.4.5/8',
      '256.1.1.1/8',
      '1.2.3.4/',
      '1.2.3.4/2x',
      '1.2.3.4/24.0',
      '1.2.3.4/0032',
      '/8',
    ]) {
      expect(() => canonicalVppPrefix(bad)).toThrow(/not an IPv4 prefix|not a prefix/);
    }
    for (const bad of ['1e2.0.0.1', '1.2.3', '1.2.3.4.', '1.2.3.04x', '']) {
      expect(() => canonicalVppAddress(bad)).toThrow(/not an IPv4 address/);
    }
  });

  test('IPv6 addresses and prefixes read as ipaddr.js reads them: RFC 5952 text, masked networks', () => {
    // Groups that are often zero (so zero runs of every length and place occur), written in full,
    // upper case, or compressed as a user might.
    const group = fc.oneof(fc.constant(0), fc.constant(0), fc.integer({ min: 0, max: 0xffff }));
    const v6 = fc
      .tuple(fc.array(group, { minLength: 8, maxLength: 8 }), fc.constantFrom('full', 'upper', 'compressed'))
      .map(([parts, style]) => {
        const canonical = ipaddr.IPv6.parse(parts.map((p) => p.toString(16)).join(':')).toString();
        if (style === 'compressed') return canonical;
        const full = parts.map((p) => p.toString(16)).join(':');
        return style === 'upper' ? full.toUpperCase() : full;
      });
    fc.assert(
      fc.property(v6, fc.integer({ min: 0, max: 128 }), (text, len) => {
        expect(canonicalVppAddress(text)).toBe(ipaddr.IPv6.parse(text).toString());
        expect(canonicalVppPrefix(`${text}/${len}`)).toBe(
          `${ipaddr.IPv6.networkAddressFromCIDR(`${text}/${len}`).toString()}/${len}`,
        );
        expect(isZeroVppAddress(text)).toBe(ipaddr.IPv6.parse(text).parts.every((p) => p === 0));
      }),
      { numRuns: 3000 },
    );
    expect(canonicalVppAddress('::ffff:1.2.3.4')).toBe('::ffff:102:304');
    expect(() => canonicalVppAddress('2001:db8::g')).toThrow(/not an IPv6 address/);
    expect(() => canonicalVppPrefix('2001:db8::/129')).toThrow(/not an IPv6 prefix/);
    expect(() => canonicalVppPrefix('2001:db8:::1/64')).toThrow(/not an IPv6 prefix/);
  });

  test('the reconciler and the file loader agree on every IPv4 and IPv6 prefix', () => {
    const v4 = fc.tuple(fc.integer({ min: 0, max: 0xffffffff }), fc.integer({ min: 0, max: 32 })).map(([v, len]) => {
      const text = [24, 16, 8, 0].map((s) => (v >>> s) & 255).join('.');
      return `${text}/${len}`;
    });
    const v6 = fc
      .tuple(
        fc.array(fc.integer({ min: 0, max: 0xffff }), { minLength: 8, maxLength: 8 }),
        fc.integer({ min: 0, max: 128 }),
      )
      .map(([parts, len]) => `${parts.map((p) => p.toString(16)).join(':')}/${len}`);
    fc.assert(
      fc.property(fc.oneof(v4, v6), (p) => {
        expect(canonicalVppPrefix(p)).toBe(configCanonicalPrefix(p));
      }),
    );
  });
});

describe('text as the decoder wrote it from VPP bytes', () => {
  const decode = (bytes: Uint8Array, v6: boolean, len: number): string => {
    const b = Buffer.alloc(18);
    b[0] = v6 ? 1 : 0;
    Buffer.from(bytes).copy(b, 1);
    b[17] = len;
    return getPrefix(b, 0, 'prefix');
  };
  test('decodedVppPrefix agrees with canonicalVppPrefix on every decoded prefix (host bits set or not)', () => {
    fc.assert(
      fc.property(
        fc.boolean(),
        fc.uint8Array({ minLength: 16, maxLength: 16 }),
        fc.nat(128),
        fc.boolean(),
        (v6, bytes, n, full) => {
          const bits = v6 ? 128 : 32;
          const text = decode(v6 ? bytes : bytes.subarray(0, 4), v6, full ? bits : n % (bits + 1));
          expect(decodedVppPrefix(text)).toBe(canonicalVppPrefix(text));
        },
      ),
      { numRuns: 2000 },
    );
  });
  test('the zero addresses, and only they, read as zero', () => {
    expect(isZeroDecodedAddress(decode(new Uint8Array(4), false, 32).split('/')[0]!)).toBe(true);
    expect(isZeroDecodedAddress(decode(new Uint8Array(16), true, 128).split('/')[0]!)).toBe(true);
    expect(isZeroDecodedAddress('10.0.0.1')).toBe(false);
    expect(isZeroDecodedAddress('::1')).toBe(false);
  });
});
