/** Reconnector: attempts spaced by util/backoff, given up after maxAttempts, stopped by stop(). */
import { Reconnector, type ReconnectHooks } from '../../src/client/reconnect';
import type { ReconnectingInfo } from '../../src/client';

beforeEach(() => jest.useFakeTimers());
afterEach(() => jest.useRealTimers());

function hooks(outcomes: boolean[]): { log: string[]; hooks: ReconnectHooks } {
  const log: string[] = [];
  return {
    log,
    hooks: {
      attempt: () => {
        log.push('attempt');
        return outcomes.shift() ? Promise.resolve() : Promise.reject(new Error('down'));
      },
      scheduled: (info: ReconnectingInfo) => log.push(`scheduled ${info.attempt} ${info.delayMs}`),
      failed: (e) => log.push(`failed ${(e as Error).message}`),
      gaveUp: (n) => log.push(`gave up ${n}`),
    },
  };
}

const settings = { backoff: { initialMs: 100, maxMs: 300, factor: 2 }, maxAttempts: 3 };

it('waits the backoff delay before each attempt and gives up after maxAttempts failures', async () => {
  const { log, hooks: h } = hooks([false, false, false]);
  new Reconnector(settings, h).schedule();
  expect(log).toEqual(['scheduled 1 100']);
  await jest.advanceTimersByTimeAsync(99);
  expect(log).toEqual(['scheduled 1 100']);
  await jest.advanceTimersByTimeAsync(1);
  expect(log).toEqual(['scheduled 1 100', 'attempt', 'failed down', 'scheduled 2 200']);
  await jest.advanceTimersByTimeAsync(200 + 300);
  expect(log.slice(4)).toEqual(['attempt', 'failed down', 'scheduled 3 300', 'attempt', 'failed down', 'gave up 3']);
});

it('starts again at the initial delay after a success', async () => {
  const { log, hooks: h } = hooks([false, true]);
  const r = new Reconnector(settings, h);
  r.schedule();
  await jest.advanceTimersByTimeAsync(100 + 200);
  expect(log).toEqual(['scheduled 1 100', 'attempt', 'failed down', 'scheduled 2 200', 'attempt']);
  r.succeeded();
  r.schedule();
  expect(log.at(-1)).toBe('scheduled 1 100');
});

it('makes no attempt after stop()', async () => {
  const { log, hooks: h } = hooks([false]);
  const r = new Reconnector(settings, h);
  r.schedule();
  r.stop();
  await jest.advanceTimersByTimeAsync(1000);
  r.schedule();
  expect(log).toEqual(['scheduled 1 100']);
});
