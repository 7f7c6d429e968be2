/** The address module owns canonical text and the zero check, in an undefined and a throwing variant, for every area. */
import {
  canonicalAddress,
  canonicalAddressOrThrow,
  canonicalInterfaceAddress,
  canonicalPrefix,
  canonicalPrefixOrThrow,
  isZeroAddress,
} from '../../src/config';
import { isZeroAddress as simIsZero } from '../../src/sim/net';
import { x25519Public } from '../../src/sim/model';
import { decodeKey, encodeKey, publicKeyOf } from '../../src/config';

test('canonical address: undefined or thrown, same text when valid', () => {
  expect(canonicalAddress('2001:0DB8::0001')).toBe('2001:db8::1');
  expect(canonicalAddressOrThrow('2001:0DB8::0001')).toBe('2001:db8::1');
  expect(canonicalAddress('10.1')).toBeUndefined();
  expect(() => canonicalAddressOrThrow('10.1')).toThrow('"10.1" is not an IPv4 address');
  expect(() => canonicalAddressOrThrow('fe80::1%eth0')).toThrow('is not an IPv6 address');
});

test('canonical prefix: network form, undefined or thrown', () => {
  expect(canonicalPrefix('10.1.2.3/16')).toBe('10.1.0.0/16');
  expect(canonicalPrefixOrThrow('2001:DB8::1/32')).toBe('2001:db8::/32');
  expect(() => canonicalPrefixOrThrow('10.0.0.1')).toThrow('expected address/length');
  expect(() => canonicalPrefixOrThrow('10.0.0.0/33')).toThrow('"10.0.0.0/33" is not an IPv4 prefix');
  expect(canonicalInterfaceAddress('2001:DB8::1/64')).toBe('2001:db8::1/64');
  expect(canonicalInterfaceAddress('2001:DB8::1')).toBeUndefined();
});

test('the zero check is one function, shared by the emulator', () => {
  expect(simIsZero).toBe(isZeroAddress);
  for (const zero of ['0.0.0.0', '::', '0:0::0']) expect(isZeroAddress(zero)).toBe(true);
  for (const other of ['0.0.0.1', '::1', '0.0.0.0/0', 'x', '']) expect(isZeroAddress(other)).toBe(false);
});

test("the emulator derives public keys with the desired state's derivation", () => {
  const priv = decodeKey('yAnz5TF+lXXJte14tji3zlMNq+hd2rYUIgJBgB3fBmk=')!;
  expect(encodeKey(x25519Public(priv))).toBe(encodeKey(publicKeyOf(priv)));
  expect(encodeKey(publicKeyOf(priv))).toBe('HIgo9xNzJMWLKASShiTqIybxZ0U3wGLiUeJ1PKf8ykw=');
});
