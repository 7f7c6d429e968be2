/** Address and prefix helpers for the emulator's FIB and interface model. */
import ipaddr from 'ipaddr.js';

export type Af = 4 | 6;

export interface Prefix {
  af: Af;
  /** IPv4: the address as an unsigned 32-bit number (network order value). */
  v4: number;
  /** IPv6: 16 bytes. */
  v6?: Uint8Array;
  len: number;
}

export function parseIp4(s: string): number | undefined {
  const parts = s.split('.');
  if (parts.length !== 4) return undefined;
  let v = 0;
  for (const p of parts) {
    const n = Number(p);
    if (!Number.isInteger(n) || n < 0 || n > 255 || p === '') return undefined;
    v = v * 256 + n;
  }
  return v >>> 0;
}

export function ip4ToString(v: number): string {
  return `${v >>> 24}.${(v >>> 16) & 255}.${(v >>> 8) & 255}.${v & 255}`;
}

export function parseIp6(s: string): Uint8Array | undefined {
  try {
    const a = ipaddr.IPv6.parse(s);
    return Uint8Array.from(a.toByteArray());
  } catch {
    return undefined;
  }
}

export function ip6ToString(b: Uint8Array): string {
  return ipaddr.fromByteArray(Array.from(b)).toString();
}

/** Parses 'a.b.c.d/len' or 'x::y/len' (or a bare address as a host prefix). Host bits are kept. */
export function parsePrefix(s: string): Prefix | undefined {
  const slash = s.indexOf('/');
  const addr = slash < 0 ? s : s.slice(0, slash);
  const lenText = slash < 0 ? undefined : s.slice(slash + 1);
  if (addr.includes(':')) {
    const v6 = parseIp6(addr);
    const len = lenText === undefined ? 128 : Number(lenText);
    if (!v6 || !Number.isInteger(len) || len < 0 || len > 255) return undefined;
    return { af: 6, v4: 0, v6, len };
  }
  const v4 = parseIp4(addr);
  const len = lenText === undefined ? 32 : Number(lenText);
  if (v4 === undefined || !Number.isInteger(len) || len < 0 || len > 255) return undefined;
  return { af: 4, v4, len };
}

export function mask4(len: number): number {
  return len <= 0 ? 0 : len >= 32 ? 0xffffffff : (0xffffffff << (32 - len)) >>> 0;
}

/** The prefix with host bits cleared (a copy). */
export function maskPrefix(p: Prefix): Prefix {
  if (p.af === 4) return { af: 4, v4: (p.v4 & mask4(p.len)) >>> 0, len: p.len };
  const out = new Uint8Array(16);
  for (let i = 0; i < 16; i++) {
    const bits = Math.max(0, Math.min(8, p.len - i * 8));
    out[i] = p.v6![i]! & ((0xff << (8 - bits)) & 0xff);
  }
  return { af: 6, v4: 0, v6: out, len: p.len };
}

export function addrString(p: Prefix): string {
  return p.af === 4 ? ip4ToString(p.v4) : ip6ToString(p.v6!);
}

export function prefixString(p: Prefix): string {
  return `${addrString(p)}/${p.len}`;
}

/** True when `a` covers the address of `b` (at a's length). */
export function covers(a: Prefix, b: Prefix): boolean {
  if (a.af !== b.af) return false;
  if (a.af === 4) {
    const m = mask4(Math.min(a.len, 32));
    return (a.v4 & m) >>> 0 === (b.v4 & m) >>> 0;
  }
  const len = Math.min(a.len, 128);
  for (let i = 0; i < 16; i++) {
    const bits = Math.max(0, Math.min(8, len - i * 8));
    if (bits === 0) break;
    const m = (0xff << (8 - bits)) & 0xff;
    if ((a.v6![i]! & m) !== (b.v6![i]! & m)) return false;
  }
  return true;
}

export function sameAddress(a: Prefix, b: Prefix): boolean {
  if (a.af !== b.af) return false;
  if (a.af === 4) return a.v4 === b.v4;
  for (let i = 0; i < 16; i++) if (a.v6![i] !== b.v6![i]) return false;
  return true;
}

/** The zero check has one owner, the address module of the desired state. */
export { isZeroAddress } from '../config/addr';

/** Little-endian u32 of the address bytes: the `as_u32` key VPP's IPv4 FIB hashes on x86/arm64. */
export function ip4HashKey(v4: number): number {
  return (((v4 >>> 24) & 255) | (((v4 >>> 16) & 255) << 8) | (((v4 >>> 8) & 255) << 16) | ((v4 & 255) << 24)) >>> 0;
}
