/** Client options: the defaults filled in, and the reconnect options as the project's backoff schedule. */
import { DEFAULT_VPP_SOCKET, VppClientError } from '../../src/client';
import { resolveOptions } from '../../src/client/options';

describe('resolveOptions', () => {
  it('fills in the defaults, the socket path from DEFAULT_VPP_SOCKET', () => {
    const s = resolveOptions({});
    expect(s.socketPath).toBe(DEFAULT_VPP_SOCKET);
    expect(s).toMatchObject({
      clientName: 'vppwg',
      timeoutMs: 5000,
      maxInFlight: 1024,
      maxFrameBytes: 64 * 1024 * 1024,
      requireMessages: [],
      traceSize: 0,
      reconnect: { backoff: { initialMs: 100, maxMs: 10_000, factor: 2 }, maxAttempts: Infinity },
    });
  });

  it('keeps what was given, and reconnect: false stays off', () => {
    const s = resolveOptions({
      socketPath: '/tmp/x.sock',
      timeoutMs: 7,
      reconnect: { initialDelayMs: 3, maxDelayMs: 9, factor: 1.5, maxAttempts: 4 },
    });
    expect(s.socketPath).toBe('/tmp/x.sock');
    expect(s.timeoutMs).toBe(7);
    expect(s.reconnect).toEqual({ backoff: { initialMs: 3, maxMs: 9, factor: 1.5 }, maxAttempts: 4 });
    expect(resolveOptions({ reconnect: false }).reconnect).toBe(false);
  });

  it('refuses a bad option naming it and what it must be', () => {
    expect(() => resolveOptions({ traceSize: -1 })).toThrow(VppClientError);
    expect(() => resolveOptions({ traceSize: 1.5 })).toThrow(
      /option traceSize must be an integer >= 0 \(0 = off\), got 1.5/,
    );
    expect(() => resolveOptions({ maxFrameBytes: Infinity })).toThrow(/option maxFrameBytes must be a positive number/);
    expect(() => resolveOptions({ reconnect: { maxAttempts: 0 } })).toThrow(
      /option reconnect.maxAttempts must be a number >= 1 \(or leave it out for unlimited\), got 0/,
    );
    expect(() => resolveOptions({ reconnect: { initialDelayMs: -5 } })).toThrow(
      /option reconnect.initialDelayMs must be a positive number, got -5/,
    );
  });
});
