/**
 * Key redaction shared by the client trace, logs, errors and every API that returns state.
 * WireGuard private and preshared keys must never reach a log line, a trace or an API answer
 * unless the user explicitly asks, so everything printable goes through `redact` and every key
 * loaded from config is a self-redacting `SecretKey`.
 */
import { inspect } from 'node:util';

/** A 32-byte WireGuard key kept out of every printable form: JSON.stringify, util.inspect and String() show it redacted. */
export interface SecretKey {
  /** The raw key. Read it only to send it to VPP. */
  readonly bytes: Uint8Array;
  /** Where it came from, for messages: 'file /etc/vppwg/wg0.key', 'env WG0_KEY', 'inline', 'generate'. */
  readonly source: string;
}

export const REDACTED = '[redacted]';

/** Field names (VPP's snake_case and our camelCase) whose values are secret keys. */
export const SECRET_FIELD_NAMES: ReadonlySet<string> = new Set([
  'private_key',
  'preshared_key',
  'privateKey',
  'presharedKey',
]);

const secretKeys = new WeakSet<object>();

/**
 * A SecretKey whose JSON.stringify, util.inspect, String() and template-literal forms all print
 * '[redacted]' while `bytes` stays readable for the one place that sends it to VPP.
 */
export function makeSecretKey(bytes: Uint8Array, source: string): SecretKey {
  if (bytes.length !== 32) {
    throw new Error(
      `a WireGuard key is 32 bytes, got ${bytes.length} (from ${source}); give a base64 key of 44 characters`,
    );
  }
  const key = Object.create(SecretKeyProto) as SecretKey;
  // Non-enumerable so that spreading or Object.entries never copies the raw bytes into a plain object.
  Object.defineProperty(key, 'bytes', { value: Uint8Array.from(bytes), enumerable: false });
  Object.defineProperty(key, 'source', { value: source, enumerable: true });
  secretKeys.add(key);
  return Object.freeze(key);
}

const SecretKeyProto = {
  toJSON(): string {
    return REDACTED;
  },
  toString(): string {
    return REDACTED;
  },
  [Symbol.toPrimitive](): string {
    return REDACTED;
  },
  [inspect.custom](): string {
    return REDACTED;
  },
};

/** True for a SecretKey made by makeSecretKey, or any object shaped like the model's SecretKey. */
export function isSecretKey(v: unknown): v is SecretKey {
  if (typeof v !== 'object' || v === null) return false;
  if (secretKeys.has(v)) return true;
  const o = v as { bytes?: unknown; source?: unknown };
  return o.bytes instanceof Uint8Array && typeof o.source === 'string' && Object.keys(o).length <= 2;
}

/**
 * A deep copy of `value` with every secret-key field and every SecretKey object replaced by
 * '[redacted]'. Cycles are preserved as references to the copy; class instances other than
 * Error, Map, Set, Date and byte arrays are copied as plain objects of their own enumerable fields.
 */
export function redact<T>(value: T): T {
  return copy(value, new Map()) as T;
}

function copy(v: unknown, seen: Map<object, unknown>): unknown {
  if (typeof v !== 'object' || v === null) return v;
  if (isSecretKey(v)) return REDACTED;
  const prior = seen.get(v);
  if (prior !== undefined) return prior;
  if (ArrayBuffer.isView(v)) {
    const out = (v as Uint8Array).slice();
    seen.set(v, out);
    return out;
  }
  if (v instanceof Date) return new Date(v.getTime());
  if (Array.isArray(v)) {
    const out: unknown[] = [];
    seen.set(v, out);
    for (const item of v) out.push(copy(item, seen));
    return out;
  }
  if (v instanceof Map) {
    const out = new Map();
    seen.set(v, out);
    for (const [k, item] of v)
      out.set(k, typeof k === 'string' && SECRET_FIELD_NAMES.has(k) ? REDACTED : copy(item, seen));
    return out;
  }
  if (v instanceof Set) {
    const out = new Set();
    seen.set(v, out);
    for (const item of v) out.add(copy(item, seen));
    return out;
  }
  const out: Record<string, unknown> = {};
  seen.set(v, out);
  if (v instanceof Error) {
    out.name = v.name;
    out.message = v.message;
  }
  for (const [k, item] of Object.entries(v)) {
    out[k] = SECRET_FIELD_NAMES.has(k) && item !== undefined && item !== null ? REDACTED : copy(item, seen);
  }
  return out;
}

/** util.inspect of the redacted value: for debug output and log lines. */
export function inspectRedacted(value: unknown, depth = 6): string {
  return inspect(redact(value), { depth, breakLength: Infinity });
}
