/**
 * The daemon's logger (winston). Redaction is a format inside the logger, ahead of every
 * transport, so no caller can leak a private or preshared key by logging the wrong object:
 * - fields whose name says key material (privateKey, presharedKey, psk, ...) are replaced;
 * - SecretKey-like values ({bytes, source}) and 32-byte buffers are replaced;
 * - any 44-character base64 string equal to a secret the daemon registered is scrubbed, wherever
 *   it appears (message text, nested fields, error stacks).
 */
import winston from 'winston';
import { Writable } from 'node:stream';
import { isSecretKey, REDACTED } from '../util/secrets';
import { parseLogLevel } from './log-levels';
export { LOG_LEVELS, parseLogLevel, type LogLevel } from './log-levels';

export { REDACTED };

const SECRET_FIELD = /^(private_?key|preshared_?key|psk|secret|token|authorization)$/i;
const BASE64_KEY = /[A-Za-z0-9+/]{43}=/g;

/** Secrets known to this process (base64), scrubbed from every log line. */
export class SecretRegistry {
  private readonly secrets = new Set<string>();

  add(base64: string): void {
    if (base64) this.secrets.add(base64);
  }

  addBytes(bytes: Uint8Array): void {
    this.add(Buffer.from(bytes).toString('base64'));
  }

  /** Replace registered secrets in free text. */
  scrub(text: string): string {
    if (this.secrets.size === 0 || text.length < 44) return text;
    return text.replace(BASE64_KEY, (m) => (this.secrets.has(m) ? REDACTED : m));
  }

  /** Deep copy with key material removed. */
  redact(value: unknown, depth = 0, seen = new WeakSet<object>()): unknown {
    if (typeof value === 'string') return this.scrub(value);
    if (value === null || typeof value !== 'object') return value;
    if (depth > 12) return '[depth limit]';
    if (seen.has(value)) return '[circular]';
    seen.add(value);
    if (value instanceof Uint8Array) return value.length === 32 ? REDACTED : `<${value.length} bytes>`;
    if (isSecretKey(value)) return REDACTED;
    if (value instanceof Error) {
      const out: Record<string, unknown> = { name: value.name, message: this.scrub(value.message) };
      if (value.stack) out.stack = this.scrub(value.stack);
      for (const [k, v] of Object.entries(value))
        out[k] = SECRET_FIELD.test(k) ? REDACTED : this.redact(v, depth + 1, seen);
      return out;
    }
    if (Array.isArray(value)) return value.map((v) => this.redact(v, depth + 1, seen));
    if (value instanceof Map) return this.redact(Object.fromEntries(value), depth + 1, seen);
    if (value instanceof Set) return this.redact([...value], depth + 1, seen);
    const out: Record<string, unknown> = {};
    for (const [k, v] of Object.entries(value)) {
      out[k] =
        SECRET_FIELD.test(k) && v !== undefined && v !== null && v !== false
          ? REDACTED
          : this.redact(v, depth + 1, seen);
    }
    return out;
  }
}

/** winston format that redacts every enumerable field of the log record in place. */
export function redactFormat(registry: SecretRegistry): winston.Logform.Format {
  return winston.format((info) => {
    for (const key of Object.keys(info)) {
      const v = (info as Record<string, unknown>)[key];
      (info as Record<string, unknown>)[key] =
        SECRET_FIELD.test(key) && v !== undefined ? REDACTED : registry.redact(v);
    }
    return info;
  })();
}

export interface LoggerOptions {
  level?: string;
  /** 'json' (default when stdout is not a terminal) or 'text'. */
  format?: 'json' | 'text';
  /** Write here instead of stdout (tests capture lines). */
  stream?: Writable;
  registry?: SecretRegistry;
}

export interface DaemonLogger {
  logger: winston.Logger;
  secrets: SecretRegistry;
}

export function createLogger(opts: LoggerOptions = {}): DaemonLogger {
  const secrets = opts.registry ?? new SecretRegistry();
  const useText = (opts.format ?? (process.stdout.isTTY ? 'text' : 'json')) === 'text';
  const base = [winston.format.errors({ stack: false }), redactFormat(secrets), winston.format.timestamp()];
  const format = useText
    ? winston.format.combine(
        ...base,
        winston.format.printf((info) => {
          const { timestamp, level, message, ...rest } = info as Record<string, unknown>;
          const extra = Object.keys(rest).length ? ' ' + JSON.stringify(rest) : '';
          return `${String(timestamp)} ${String(level).padEnd(5)} ${String(message)}${extra}`;
        }),
      )
    : winston.format.combine(...base, winston.format.json());
  const transport = opts.stream
    ? new winston.transports.Stream({ stream: opts.stream })
    : new winston.transports.Console({ stderrLevels: [] });
  const logger = winston.createLogger({
    level:
      opts.level !== undefined
        ? parseLogLevel(opts.level, 'log level')
        : parseLogLevel(process.env.VPPWG_LOG_LEVEL ?? 'info', 'VPPWG_LOG_LEVEL'),
    format,
    transports: [transport],
  });
  return { logger, secrets };
}
