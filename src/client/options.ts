/**
 * The client's options: what a caller may give, the checks that refuse a bad value up front
 * (naming the option and the fix), and the settings with every default filled in.
 */
import type { MessageDef } from 'vpp-api-ts';
import type { BackoffOptions } from '../util/backoff';
import { DEFAULT_VPP_SOCKET } from './defaults';
import { VppClientError } from './errors';

export interface ReconnectOptions {
  initialDelayMs?: number;
  maxDelayMs?: number;
  factor?: number;
  /** Give up after this many failed attempts in a row (default: never). */
  maxAttempts?: number;
}

export interface VppClientOptions {
  /** Default DEFAULT_VPP_SOCKET (defaults.ts). */
  socketPath?: string;
  /** Name registered by sockclnt_create (shown by `show api clients`), default 'vppwg'. */
  clientName?: string;
  /** Per-call timeout unless the call gives its own, default 5000 ms, counted from when the request is written. */
  timeoutMs?: number;
  /** Requests in flight at once; more wait in a queue (back-pressure). Default 1024. */
  maxInFlight?: number;
  /** A frame announcing a larger body is a connection error. Default 64 MiB. */
  maxFrameBytes?: number;
  /** Reconnect after VPP goes away: on by default, unlimited attempts. `false` to stay down. */
  reconnect?: false | ReconnectOptions;
  /** Message names that must be usable: connect fails with one error listing every missing or changed one. */
  requireMessages?: readonly string[];
  /** The bindings to check at connect (and to decode events with). Default: every generated message. */
  messages?: readonly MessageDef[];
  /** Size of the ring of recent calls kept for trace(); 0 = off (default). */
  traceSize?: number;
  /** Debug output: one line per request sent, values redacted. Off unless given. */
  debug?: (line: string) => void;
}

export interface CallOptions {
  timeoutMs?: number;
}

export interface ReconnectSettings {
  backoff: BackoffOptions;
  maxAttempts: number;
}

/** The options with their defaults: what the client runs on. */
export interface ClientSettings {
  socketPath: string;
  clientName: string;
  timeoutMs: number;
  maxInFlight: number;
  maxFrameBytes: number;
  reconnect: ReconnectSettings | false;
  requireMessages: readonly string[];
  /** Undefined: every generated message. */
  messages: readonly MessageDef[] | undefined;
  traceSize: number;
  debug: ((line: string) => void) | undefined;
}

/** Checks `o` (throwing VppClientError naming the option and the fix) and fills in the defaults. */
export function resolveOptions(o: VppClientOptions): ClientSettings {
  checkOptions(o);
  return {
    socketPath: o.socketPath ?? DEFAULT_VPP_SOCKET,
    clientName: o.clientName ?? 'vppwg',
    timeoutMs: o.timeoutMs ?? 5000,
    maxInFlight: Math.max(1, o.maxInFlight ?? 1024),
    maxFrameBytes: o.maxFrameBytes ?? 64 * 1024 * 1024,
    reconnect:
      o.reconnect === false
        ? false
        : {
            backoff: {
              initialMs: o.reconnect?.initialDelayMs ?? 100,
              maxMs: o.reconnect?.maxDelayMs ?? 10_000,
              factor: o.reconnect?.factor ?? 2,
            },
            maxAttempts: o.reconnect?.maxAttempts ?? Infinity,
          },
    requireMessages: o.requireMessages ?? [],
    messages: o.messages,
    traceSize: Math.max(0, o.traceSize ?? 0),
    debug: o.debug,
  };
}

/** Options that would make the client misbehave are refused up front, naming the option and the fix. */
function checkOptions(o: VppClientOptions): void {
  const bad = (name: string, want: string, got: unknown): never => {
    throw new VppClientError(`VppClient option ${name} must be ${want}, got ${String(got)}`);
  };
  const positive = (name: string, v: number | undefined): void => {
    if (v !== undefined && !(typeof v === 'number' && v > 0 && Number.isFinite(v))) bad(name, 'a positive number', v);
  };
  positive('timeoutMs', o.timeoutMs);
  positive('maxFrameBytes', o.maxFrameBytes);
  if (o.maxInFlight !== undefined && !(Number.isInteger(o.maxInFlight) && o.maxInFlight >= 1)) {
    bad('maxInFlight', 'an integer >= 1', o.maxInFlight);
  }
  if (o.traceSize !== undefined && !(Number.isInteger(o.traceSize) && o.traceSize >= 0)) {
    bad('traceSize', 'an integer >= 0 (0 = off)', o.traceSize);
  }
  if (o.clientName !== undefined && Buffer.byteLength(o.clientName) > 63) {
    bad('clientName', 'at most 63 bytes (VPP keeps 64 with the NUL)', JSON.stringify(o.clientName));
  }
  if (o.reconnect) {
    positive('reconnect.initialDelayMs', o.reconnect.initialDelayMs);
    positive('reconnect.maxDelayMs', o.reconnect.maxDelayMs);
    if (o.reconnect.factor !== undefined && !(o.reconnect.factor >= 1))
      bad('reconnect.factor', 'a number >= 1', o.reconnect.factor);
    if (o.reconnect.maxAttempts !== undefined && !(o.reconnect.maxAttempts >= 1)) {
      bad('reconnect.maxAttempts', 'a number >= 1 (or leave it out for unlimited)', o.reconnect.maxAttempts);
    }
  }
}
