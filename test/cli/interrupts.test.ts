/** The signal handling apply installs (issue 14.6): first signal rolls back, second abandons, then gone. */
import { EventEmitter } from 'node:events';
import { catchInterrupts } from '../../src/cli/interrupts';

test('first signal aborts `signal`, a second aborts `abandon`, further ones change nothing; dispose removes the handlers', () => {
  const target = new EventEmitter();
  const said: string[] = [];
  const i = catchInterrupts(
    () => said.push('first'),
    () => said.push('second'),
    target,
  );
  expect([i.signal.aborted, i.abandon.aborted, i.exitCode()]).toEqual([false, false, undefined]);
  target.emit('SIGTERM');
  expect([i.signal.aborted, i.abandon.aborted, i.exitCode()]).toEqual([true, false, 143]);
  target.emit('SIGINT');
  target.emit('SIGINT');
  expect([i.signal.aborted, i.abandon.aborted, i.exitCode()]).toEqual([true, true, 143]);
  expect(said).toEqual(['first', 'second']);
  i.dispose();
  expect([target.listenerCount('SIGINT'), target.listenerCount('SIGTERM')]).toEqual([0, 0]);
});

test('Ctrl-C first: exit code 130', () => {
  const target = new EventEmitter();
  const i = catchInterrupts(
    () => undefined,
    () => undefined,
    target,
  );
  target.emit('SIGINT');
  expect(i.exitCode()).toBe(130);
  i.dispose();
});
