/**
 * Canonical text of what VPP reports (the `Vpp` names), so that VPP's dumps and the file (which
 * src/config/addr.ts checks and canonicalises by the file's stricter rules) compare as strings
 * (map keys) instead of being parsed again at every comparison. VPP's text is always an address,
 * so the codec's own parser and formatter do it (dotted decimal; RFC 5952 for IPv6, as ipaddr.js
 * writes it): ten times faster than the file checker on IPv6, and a 10,000-peer reconcile
 * canonicalises ~100k strings. Both forms agree (test/reconcile/ip.test.ts).
 */
import { CodecError } from 'vpp-api-ts';
import { getAddress, getPrefix, putPrefix } from 'vpp-api-ts/runtime';
import type { AddressFamily } from '../config/model';

export function familyOf(text: string): AddressFamily {
  return text.includes(':') ? 'ip6' : 'ip4';
}

/** vl_api_prefix_t bytes: af (0 IPv4, 1 IPv6), 16 address bytes, length. Reused: one conversion at a time. */
const PREFIX = Buffer.alloc(18);

/**
 * `text` ('addr/len', or an address read as a host prefix) into PREFIX with the bits beyond the
 * length cleared unless `keepHost`; false when it is no address or prefix.
 */
function readPrefix(text: string, keepHost: boolean): boolean {
  try {
    putPrefix(PREFIX, 0, text, 'prefix');
  } catch (err) {
    if (err instanceof CodecError) return false;
    throw err;
  }
  if (!keepHost) {
    const len = PREFIX[17]!;
    const bits = PREFIX[0] === 0 ? 32 : 128;
    if (len < bits) {
      const whole = len >> 3;
      PREFIX[1 + whole] = PREFIX[1 + whole]! & (0xff << (8 - (len & 7))) & 0xff;
      for (let i = whole + 1; i < bits / 8; i++) PREFIX[1 + i] = 0;
    }
  }
  return true;
}

/** '2001:0DB8::0001' → '2001:db8::1'; '10.0.0.1' unchanged. Throws on text that is no address. */
export function canonicalVppAddress(text: string): string {
  if (text.indexOf('/') >= 0 || !readPrefix(text, true)) {
    throw new Error(`"${text}" is not an ${familyOf(text) === 'ip6' ? 'IPv6' : 'IPv4'} address`);
  }
  return getAddress(PREFIX, 0, 'address');
}

/** True for 0.0.0.0 and :: (how VPP reports an unknown endpoint or an empty next hop). */
export function isZeroVppAddress(text: string): boolean {
  if (text.indexOf('/') >= 0 || !readPrefix(text, true)) return false;
  for (let i = 1; i < 17; i++) if (PREFIX[i] !== 0) return false;
  return true;
}

/** Network form: '10.1.2.3/16' → '10.1.0.0/16'. Used for routes and allowed IPs. */
export function canonicalVppPrefix(text: string): string {
  if (text.indexOf('/') < 0) throw new Error(`"${text}" is not a prefix (expected address/length)`);
  if (!readPrefix(text, false)) {
    throw new Error(`"${text}" is not an ${familyOf(text) === 'ip6' ? 'IPv6' : 'IPv4'} prefix`);
  }
  return getPrefix(PREFIX, 0, 'prefix');
}

/**
 * A prefix as vpp-api-ts decoded it from VPP's bytes (the same formatter canonicalVppPrefix ends
 * with, so the text is canonical already): only host bits beyond the length need clearing, and a
 * full-length prefix has none. Skips the parse for the host routes and allowed IPs a large state
 * is made of (tens of thousands per reconcile).
 */
export function decodedVppPrefix(text: string): string {
  const sl = text.lastIndexOf('/');
  const full = text.indexOf(':') < 0 ? '32' : '128';
  if (text.length - sl - 1 === full.length && text.endsWith(full)) return text;
  return canonicalVppPrefix(text);
}

/** True for the zero address as vpp-api-ts decodes it (0.0.0.0, ::): an unknown endpoint, an empty next hop. */
export function isZeroDecodedAddress(text: string): boolean {
  return text === '0.0.0.0' || text === '::';
}

/** Interface-address form (host bits kept): '2001:DB8::1/64' → '2001:db8::1/64'. */
export function canonicalInterfaceAddress(text: string): string {
  if (text.indexOf('/') < 0) throw new Error(`"${text}" is not a prefix (expected address/length)`);
  if (!readPrefix(text, true)) throw new Error(`"${text}" is not an interface address (address/length)`);
  return getPrefix(PREFIX, 0, 'prefix');
}

/** The host prefix of an address: '10.0.0.2' → '10.0.0.2/32', '2001:db8::2' → '2001:db8::2/128'. */
export function hostPrefix(address: string): string {
  const a = canonicalVppAddress(address);
  return a.includes(':') ? `${a}/128` : `${a}/32`;
}

/** hostPrefix of an address already canonical (the planner's): no parse, as it runs per next hop. */
export function hostOfCanonical(address: string): string {
  return address.includes(':') ? `${address}/128` : `${address}/32`;
}

/** True when the prefix is 0.0.0.0/0 or ::/0 (the routing-daemon layout's allowed IPs). */
export function isDefaultPrefix(prefix: string): boolean {
  return prefix.endsWith('/0');
}

/**
 * The other address of an IPv4 /31 interface address ('169.254.10.0/31' → '169.254.10.1'), to
 * which VPP adds an attached host route via that address itself; undefined for any other address.
 */
export function pairedAddressOf31(interfaceAddress: string): string | undefined {
  if (!interfaceAddress.endsWith('/31') || familyOf(interfaceAddress) !== 'ip4') return undefined;
  if (!readPrefix(interfaceAddress, true)) return undefined;
  PREFIX[4] = PREFIX[4]! ^ 1;
  return getAddress(PREFIX, 0, 'address');
}

/** An endpoint as text: 'address:port', the address in brackets when IPv6 ('[2001:db8::2]:51820'). */
export function endpointText(endpoint: { readonly address: string; readonly port: number }): string {
  return endpoint.address.includes(':')
    ? `[${endpoint.address}]:${endpoint.port}`
    : `${endpoint.address}:${endpoint.port}`;
}
