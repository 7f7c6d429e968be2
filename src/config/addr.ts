/**
 * Strict address and prefix parsing for the desired state, and the canonical text forms the
 * reconciler compares against VPP dumps ('10.0.0.0/8', '2001:db8::/32', RFC 5952 for IPv6).
 */
import ipaddr from 'ipaddr.js';
import type { AddressFamily } from './model';

export interface ParsedAddress {
  readonly family: AddressFamily;
  /** The address as an unsigned integer (32 or 128 bits). */
  readonly value: bigint;
  readonly text: string;
}

export interface ParsedPrefix {
  readonly family: AddressFamily;
  /** The address part as written (host bits possibly set). */
  readonly value: bigint;
  readonly len: number;
  /** True when no bits beyond `len` are set. */
  readonly isNetwork: boolean;
  /** Canonical 'address/len' with the address as written, canonicalised. */
  readonly text: string;
  /** Canonical network form 'network/len'. */
  readonly networkText: string;
  readonly network: bigint;
}

export function familyWidth(family: AddressFamily): number {
  return family === 'ip4' ? 32 : 128;
}

export function familyLabel(family: AddressFamily): string {
  return family === 'ip4' ? 'IPv4' : 'IPv6';
}

/** An IPv4 dotted quad or an IPv6 address (no zone id), or undefined. Lenient forms such as '10.1' are refused. */
export function parseAddress(text: string): ParsedAddress | undefined {
  if (text.includes(':')) {
    if (text.includes('%') || !ipaddr.IPv6.isValid(text)) return undefined;
    const a = ipaddr.IPv6.parse(text);
    return { family: 'ip6', value: bytesToBigint(a.toByteArray()), text: a.toString() };
  }
  // What ipaddr.IPv4.isValidFourPartDecimal accepts (decimal octets 0..255, no leading zeros), read
  // directly: this runs several times per peer and ipaddr's general parser dominated large files.
  const m = IPV4_TEXT.exec(text);
  if (!m) return undefined;
  const a = Number(m[1]);
  const b = Number(m[2]);
  const c = Number(m[3]);
  const d = Number(m[4]);
  if (a > 255 || b > 255 || c > 255 || d > 255) return undefined;
  // Without leading zeros the text is already canonical.
  return { family: 'ip4', value: BigInt(a * 16777216 + b * 65536 + c * 256 + d), text };
}

const IPV4_TEXT = /^(0|[1-9][0-9]{0,2})\.(0|[1-9][0-9]{0,2})\.(0|[1-9][0-9]{0,2})\.(0|[1-9][0-9]{0,2})$/;

/** 'address/len', or undefined when either part is malformed. */
export function parsePrefix(text: string): ParsedPrefix | undefined {
  const slash = text.indexOf('/');
  if (slash < 0) return undefined;
  const addr = parseAddress(text.slice(0, slash));
  const lenText = text.slice(slash + 1);
  if (!addr || !/^(0|[1-9][0-9]{0,2})$/.test(lenText)) return undefined;
  const len = Number(lenText);
  const width = familyWidth(addr.family);
  if (len > width) return undefined;
  const network = maskTo(addr.value, len, width);
  const isNetwork = network === addr.value;
  const canonical = `${addr.text}/${len}`;
  return {
    family: addr.family,
    value: addr.value,
    len,
    isNetwork,
    text: canonical,
    // The usual case: written as a network already, so its canonical text is the network's.
    networkText: isNetwork ? canonical : `${bigintToText(network, addr.family)}/${len}`,
    network,
  };
}

export function maskTo(value: bigint, len: number, width: number): bigint {
  const hostBits = BigInt(width - len);
  return (value >> hostBits) << hostBits;
}

/** True when `addr` lies inside `prefix`. */
export function prefixCovers(prefix: ParsedPrefix, addr: ParsedAddress): boolean {
  return prefix.family === addr.family && maskTo(addr.value, prefix.len, familyWidth(addr.family)) === prefix.network;
}

/** The last address of a prefix (for overlap sweeps). */
export function prefixEnd(prefix: ParsedPrefix): bigint {
  return prefix.network | ((1n << BigInt(familyWidth(prefix.family) - prefix.len)) - 1n);
}

function bytesToBigint(bytes: number[]): bigint {
  let v = 0n;
  for (const b of bytes) v = (v << 8n) | BigInt(b);
  return v;
}

export function bigintToText(value: bigint, family: AddressFamily): string {
  if (family === 'ip4') {
    const v = Number(value);
    return `${v >>> 24}.${(v >>> 16) & 255}.${(v >>> 8) & 255}.${v & 255}`;
  }
  const n = 16;
  const bytes: number[] = new Array<number>(n);
  let v = value;
  for (let i = n - 1; i >= 0; i--) {
    bytes[i] = Number(v & 0xffn);
    v >>= 8n;
  }
  return ipaddr.fromByteArray(bytes).toString();
}

/** Canonical text of an address, or undefined when it is not one. */
export function canonicalAddress(text: string): string | undefined {
  return parseAddress(text)?.text;
}

/** Canonical network text of a prefix ('10.1.2.3/8' → '10.0.0.0/8'), or undefined when it is not one. */
export function canonicalPrefix(text: string): string | undefined {
  return parsePrefix(text)?.networkText;
}

/** Canonical text of an address; throws, naming the text, when it is not one (for data that must be valid, e.g. VPP's). */
export function canonicalAddressOrThrow(text: string): string {
  const a = canonicalAddress(text);
  if (a === undefined) throw new Error(`"${text}" is not an ${text.includes(':') ? 'IPv6' : 'IPv4'} address`);
  return a;
}

/** Canonical network text of a prefix; throws, naming the text, when it is not one. */
export function canonicalPrefixOrThrow(text: string): string {
  const p = canonicalPrefix(text);
  if (p === undefined) {
    throw new Error(
      text.includes('/')
        ? `"${text}" is not an ${text.includes(':') ? 'IPv6' : 'IPv4'} prefix`
        : `"${text}" is not a prefix (expected address/length)`,
    );
  }
  return p;
}

/** Canonical interface-address text, host bits kept ('2001:DB8::1/64' → '2001:db8::1/64'), or undefined. */
export function canonicalInterfaceAddress(text: string): string | undefined {
  return parsePrefix(text)?.text;
}

/** True for the unspecified address, 0.0.0.0 or :: in any spelling (how VPP reports an unknown endpoint or an empty next hop). */
export function isZeroAddress(text: string): boolean {
  return parseAddress(text)?.value === 0n;
}
