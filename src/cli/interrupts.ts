/**
 * Ctrl-C (SIGINT) or SIGTERM while `apply` changes VPP. Exiting at once would strand what is half
 * done (an interface created but not yet tagged), so the first signal asks the reconciler to stop
 * and roll back what this run applied, and only a second one abandons that rollback.
 */
import { constants } from 'node:os';

const SIGNALS = ['SIGINT', 'SIGTERM'] as const;
type Caught = (typeof SIGNALS)[number];

export interface Interrupts {
  /** Aborted by the first signal: stop sending, roll back the run. */
  readonly signal: AbortSignal;
  /** Aborted by the second signal: abandon the rollback. */
  readonly abandon: AbortSignal;
  /** The exit code for the first signal caught (128 + its number: 130 for SIGINT), or undefined. */
  exitCode(): number | undefined;
  /** Removes the handlers: signals act as usual again. */
  dispose(): void;
}

/**
 * Installs SIGINT and SIGTERM handlers on `target` (the process) until dispose; `onFirst` and
 * `onSecond` tell the operator what happens.
 */
export function catchInterrupts(
  onFirst: () => void,
  onSecond: () => void,
  target: NodeJS.EventEmitter = process,
): Interrupts {
  const first = new AbortController();
  const second = new AbortController();
  let caught: Caught | undefined;
  const handler = (name: Caught) => {
    if (!caught) {
      caught = name;
      onFirst();
      first.abort();
    } else if (!second.signal.aborted) {
      onSecond();
      second.abort();
    }
  };
  const handlers = SIGNALS.map((name) => [name, () => handler(name)] as const);
  for (const [name, h] of handlers) target.on(name, h);
  return {
    signal: first.signal,
    abandon: second.signal,
    exitCode: () => (caught ? 128 + constants.signals[caught] : undefined),
    dispose: () => {
      for (const [name, h] of handlers) target.off(name, h);
    },
  };
}
