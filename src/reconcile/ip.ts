/**
 * Address and prefix text in one canonical form, so that what the file says and what VPP dumps
 * compare as strings (map keys) instead of being parsed again at every comparison.
 * IPv4 has a hand-written fast path: a 10,000-peer reconcile canonicalises ~100k strings.
 */
import { CodecError, fmtIp6, putIp6 } from 'vpp-api-ts';
import type { AddressFamily } from '../config/model';

export function familyOf(text: string): AddressFamily {
  return text.includes(':') ? 'ip6' : 'ip4';
}

/** Dotted-quad IPv4 text in [start, end) as a number, or undefined. One pass over the characters, no allocation. */
function parseIp4(text: string, start = 0, end = text.length): number | undefined {
  let value = 0;
  let octet = 0;
  let digits = 0;
  let dots = 0;
  for (let i = start; i < end; i++) {
    const c = text.charCodeAt(i);
    if (c === 46 /* . */) {
      if (digits === 0 || ++dots > 3) return undefined;
      value = value * 256 + octet;
      octet = 0;
      digits = 0;
    } else if (c >= 48 && c <= 57) {
      octet = octet * 10 + (c - 48);
      if (++digits > 3 || octet > 255) return undefined;
    } else return undefined;
  }
  if (digits === 0 || dots !== 3) return undefined;
  return value * 256 + octet;
}

const IP6 = Buffer.alloc(16);

/**
 * IPv6 text in RFC 5952 form (as ipaddr.js writes it), masked to `len` bits: read and written by
 * the codec's own parser and formatter, about ten times faster than ipaddr.js. Undefined when the
 * text is not IPv6.
 */
function canonicalIp6(text: string, len = 128): string | undefined {
  try {
    putIp6(IP6, 0, text, 'address');
  } catch (err) {
    if (err instanceof CodecError) return undefined;
    throw err;
  }
  if (len < 128) {
    const whole = len >> 3;
    if (whole < 16) IP6[whole]! &= (0xff << (8 - (len & 7))) & 0xff;
    for (let i = whole + 1; i < 16; i++) IP6[i] = 0;
  }
  return fmtIp6(IP6, 0);
}

function formatIp4(value: number): string {
  return `${Math.floor(value / 16777216) % 256}.${Math.floor(value / 65536) % 256}.${Math.floor(value / 256) % 256}.${value % 256}`;
}

/** The decimal digits from `start` to the end of `text` (at most 3), or undefined. */
function parsePrefixLength(text: string, start: number): number | undefined {
  const n = text.length - start;
  if (n < 1 || n > 3) return undefined;
  let len = 0;
  for (let i = start; i < text.length; i++) {
    const c = text.charCodeAt(i);
    if (c < 48 || c > 57) return undefined;
    len = len * 10 + (c - 48);
  }
  return len;
}

function splitPrefix(text: string): [string, number] {
  const slash = text.indexOf('/');
  if (slash < 0) throw new Error(`"${text}" is not a prefix (expected address/length)`);
  const len = Number(text.slice(slash + 1));
  if (!Number.isInteger(len) || len < 0) throw new Error(`"${text}" has a bad prefix length`);
  return [text.slice(0, slash), len];
}

/** '2001:0DB8::0001' → '2001:db8::1'; '10.0.0.1' unchanged. Throws on text that is no address. */
export function canonicalAddress(text: string): string {
  if (!text.includes(':')) {
    const v = parseIp4(text);
    if (v === undefined) throw new Error(`"${text}" is not an IPv4 address`);
    return formatIp4(v);
  }
  const v6 = canonicalIp6(text);
  if (v6 === undefined) throw new Error(`"${text}" is not an IPv6 address`);
  return v6;
}

/** True for 0.0.0.0 and :: (how VPP reports an unknown endpoint or an empty next hop). */
export function isZeroAddress(text: string): boolean {
  if (!text.includes(':')) return parseIp4(text) === 0;
  return canonicalIp6(text) === '::';
}

/** Network form: '10.1.2.3/16' → '10.1.0.0/16'. Used for routes and allowed IPs. */
export function canonicalPrefix(text: string): string {
  const slash = text.indexOf('/');
  if (slash > 0 && text.indexOf(':') < 0) {
    // IPv4 (the bulk of a large reconcile) without slicing the text first.
    const v = parseIp4(text, 0, slash);
    const len = parsePrefixLength(text, slash + 1);
    if (v === undefined || len === undefined || len > 32) throw new Error(`"${text}" is not an IPv4 prefix`);
    const size = 2 ** (32 - len);
    return `${formatIp4(v - (v % size))}/${len}`;
  }
  const [addr, len] = splitPrefix(text);
  if (!addr.includes(':')) throw new Error(`"${text}" is not an IPv4 prefix`);
  const network = len > 128 ? undefined : canonicalIp6(addr, len);
  if (network === undefined) throw new Error(`"${text}" is not an IPv6 prefix`);
  return `${network}/${len}`;
}

/** Interface-address form (host bits kept): '2001:DB8::1/64' → '2001:db8::1/64'. */
export function canonicalInterfaceAddress(text: string): string {
  const [addr, len] = splitPrefix(text);
  return `${canonicalAddress(addr)}/${len}`;
}

/** The host prefix of an address: '10.0.0.2' → '10.0.0.2/32', '2001:db8::2' → '2001:db8::2/128'. */
export function hostPrefix(address: string): string {
  const a = canonicalAddress(address);
  return a.includes(':') ? `${a}/128` : `${a}/32`;
}

/** True when the prefix is 0.0.0.0/0 or ::/0 (the routing-daemon layout's allowed IPs). */
export function isDefaultPrefix(prefix: string): boolean {
  return prefix.endsWith('/0');
}
