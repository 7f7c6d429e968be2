/**
 * WireGuard keys as `wg` writes them: 32 bytes in standard base64 (44 characters, one '=').
 * X25519 through node:crypto; private keys are clamped as `wg genkey` clamps them.
 */
import { createHash, createPrivateKey, createPublicKey, randomBytes } from 'node:crypto';

/** 42 free characters, then one whose low two bits are zero (32 bytes end mid-character), then '='. */
const KEY_TEXT = /^[A-Za-z0-9+/]{42}[AEIMQUYcgkosw048]=$/;

/** The 32 bytes of a base64 WireGuard key, or undefined when the text is not one (surrounding whitespace allowed). */
export function decodeKey(text: string): Uint8Array | undefined {
  const trimmed = text.trim();
  if (!KEY_TEXT.test(trimmed)) return undefined;
  const bytes = Buffer.from(trimmed, 'base64');
  return bytes.length === 32 ? new Uint8Array(bytes) : undefined;
}

export function encodeKey(bytes: Uint8Array): string {
  return Buffer.from(bytes).toString('base64');
}

/** A fresh private key, clamped like `wg genkey` (RFC 7748 §5). */
export function generatePrivateKey(): Uint8Array {
  const key = new Uint8Array(randomBytes(32));
  key[0] = key[0]! & 248;
  key[31] = (key[31]! & 127) | 64;
  return key;
}

/** 32 random bytes, as `wg genpsk` gives. */
export function generatePresharedKey(): Uint8Array {
  return new Uint8Array(randomBytes(32));
}

/** PKCS#8 header of an X25519 private key; the raw 32 bytes follow it. */
const X25519_PKCS8_PREFIX = Buffer.from('302e020100300506032b656e04220420', 'hex');

/**
 * Public keys already derived, by a SHA-256 of their private key (which, like the public key, keeps
 * no secret): a daemon derives the same few keys on every reload and reconcile, and each derivation
 * is an OpenSSL key import of about half a millisecond.
 */
const derived = new Map<string, Uint8Array>();
const DERIVED_KEPT = 4096;

/** The X25519 public key of a private key (what `wg pubkey` prints, as bytes). */
export function publicKeyOf(privateKey: Uint8Array): Uint8Array {
  if (privateKey.length !== 32) throw new Error('a WireGuard private key is 32 bytes');
  const id = createHash('sha256').update(privateKey).digest('base64');
  let pub = derived.get(id);
  if (!pub) {
    const der = Buffer.concat([X25519_PKCS8_PREFIX, privateKey]);
    const priv = createPrivateKey({ key: der, format: 'der', type: 'pkcs8' });
    const jwk = createPublicKey(priv).export({ format: 'jwk' });
    der.fill(0);
    pub = new Uint8Array(Buffer.from(jwk.x as string, 'base64url'));
    if (derived.size >= DERIVED_KEPT) derived.clear();
    derived.set(id, pub);
  }
  return new Uint8Array(pub);
}
