/**
 * The VPP client with the latency of every call and dump recorded per message
 * (vppwg_vpp_api_call_duration_seconds): what the reconciler and the parts get.
 */
import type { MessageDef } from 'vpp-api-ts';
import type { VppClient } from '../client';
import type { DaemonMetrics } from './metrics';

/** The client with call/dump latency recorded per message. */
export function timedClient(client: VppClient, metrics: DaemonMetrics): VppClient {
  const hist = metrics.apiCallDuration;
  const wrap =
    <F extends (def: MessageDef, ...rest: unknown[]) => Promise<unknown>>(fn: F) =>
    (def: MessageDef, ...rest: unknown[]): Promise<unknown> => {
      const end = hist.startTimer({ message: def.name });
      return fn.call(client, def, ...rest).then(
        (v) => {
          end({ result: 'ok' });
          return v;
        },
        (e: unknown) => {
          end({ result: 'error' });
          throw e;
        },
      );
    };
  // The iterating forms (the reconciler's route dumps) are timed until the last detail is read.
  const wrapIter =
    <F extends (def: MessageDef, ...rest: unknown[]) => AsyncIterableIterator<unknown>>(fn: F) =>
    (def: MessageDef, ...rest: unknown[]): AsyncIterableIterator<unknown> => {
      const end = hist.startTimer({ message: def.name });
      const inner = fn.call(client, def, ...rest);
      let ended = false;
      const finish = (result: 'ok' | 'error'): void => {
        if (ended) return;
        ended = true;
        end({ result });
      };
      const it: AsyncIterableIterator<unknown> = {
        [Symbol.asyncIterator]: () => it,
        next: async () => {
          try {
            const r = await inner.next();
            if (r.done) finish('ok');
            return r;
          } catch (e) {
            finish('error');
            throw e;
          }
        },
        return: async (v?: unknown) => {
          finish('ok');
          return inner.return ? inner.return(v) : { done: true, value: v };
        },
      };
      return it;
    };
  const wrapped = new Map<PropertyKey, unknown>([
    ['call', wrap(client.call as never)],
    // A batch counts as one call of its message (its latency is the whole batch's).
    ['callMany', wrap(client.callMany as never)],
    ['dump', wrap(client.dump as never)],
    ['stream', wrap(client.stream as never)],
    ['dumpIter', wrapIter(client.dumpIter as never)],
    ['streamIter', wrapIter(client.streamIter as never)],
  ]);
  return new Proxy(client, {
    get(target, prop) {
      if (wrapped.has(prop)) return wrapped.get(prop);
      const v = Reflect.get(target, prop, target) as unknown;
      return typeof v === 'function' ? (v as (...a: unknown[]) => unknown).bind(target) : v;
    },
  });
}
