/**
 * Model-based: any sequence of valid desired states, applied one after the other to one emulated
 * VPP, converges at every step. Each apply succeeds and verifies, a second apply of the same file
 * sends no mutating call, `show` reports exactly what the file says, and an empty file takes away
 * everything vppwg made. The states move peers between interfaces, change keys, ports, instances,
 * families, tables, addresses, MTUs and admin state, the transitions a hand-written test misses.
 * Steps plan either from a fresh observe or from the previous result's state (as the daemon does).
 * A second property changes vppwg's objects behind its back (as vppctl would) and expects one
 * reconcile to put the file's state back; a third makes VPP reject any one mutating call of any
 * transition and expects the rollback to leave VPP's full snapshot as it was.
 */
import fc from 'fast-check';
import { VppErrno } from '../../src/client';
import { observe, reconcile, showState, type ActualState } from '../../src/reconcile';
import { compareShowWithDesired, expectRolledBack, loadText, mutatingCalls, startRig } from './helpers';
import { EMPTY, drift, driftArb, foreignObjects, foreignPart, render, stateArb } from './random-states';

/** CONVERGENCE_RUNS=5000 explores further (minutes); CI runs the default. */
const RUNS = Number(process.env.CONVERGENCE_RUNS ?? 40);

describe('convergence over random sequences of desired states', () => {
  test(
    'every step applies, verifies, is a no-op when repeated and shows as the file says; an empty file undoes it all',
    async () => {
      await fc.assert(
        // Each step with a flag: plan from the previous result's state instead of observing (as the daemon does).
        fc.asyncProperty(fc.array(fc.tuple(stateArb, fc.boolean()), { minLength: 1, maxLength: 4 }), async (steps) => {
          const rig = await startRig();
          try {
            await foreignObjects(rig.client);
            const foreign = foreignPart(showState(await observe(rig.client)));
            expect(foreign.wireguard[0]?.peers).toHaveLength(1);
            expect(foreign.routes).toHaveLength(2);
            let previous: ActualState | undefined;
            for (const [spec, fromPrevious] of [...steps, [EMPTY, false] as const]) {
              const text = render(spec);
              const desired = loadText(text, 'random.json');
              const r = await reconcile(rig.client, desired, fromPrevious && previous ? { actual: previous } : {});
              expect({ file: text, error: r.error }).toEqual({ file: text, error: undefined });
              // A no-op planned from the previous state read nothing, so it verified nothing.
              expect(r.ok && (r.verified || (fromPrevious && previous !== undefined && r.plan.isEmpty))).toBe(true);

              rig.sim.resetCounters();
              const again = await reconcile(rig.client, desired, fromPrevious ? { actual: r.actual! } : {});
              expect({ file: text, operations: again.plan.operations.map((o) => o.id) }).toEqual({
                file: text,
                operations: [],
              });
              expect(mutatingCalls(rig.sim)).toEqual({});
              previous = again.actual ?? r.actual;

              const shown = showState(await observe(rig.client));
              const { actual, expected } = compareShowWithDesired(shown, desired, { anyEndpointWhereUnset: true });
              expect(actual).toEqual(expected);
              expect(foreignPart(shown)).toEqual(foreign);
              if (spec === EMPTY) {
                expect(shown.wireguard.filter((w) => w.owner !== null)).toEqual([]);
                expect(shown.tables.filter((t) => t.ownedByVppwg)).toEqual([]);
              }
            }
          } finally {
            await rig.close();
          }
        }),
        { numRuns: RUNS },
      );
    },
    Math.max(30_000, RUNS * 200),
  );
});

describe('drift', () => {
  test(
    'whatever is changed on vppwg’s objects behind its back, one reconcile puts the file’s state back',
    async () => {
      await fc.assert(
        fc.asyncProperty(stateArb, driftArb, async (spec, changes) => {
          const rig = await startRig();
          try {
            const text = render(spec);
            const desired = loadText(text, 'random.json');
            expect((await reconcile(rig.client, desired)).error).toBeUndefined();
            for (const [kind, pick] of changes) await drift(rig.client, kind, pick);
            const r = await reconcile(rig.client, desired);
            expect({ file: text, changes, error: r.error }).toEqual({ file: text, changes, error: undefined });
            expect(r.ok && r.verified).toBe(true);
            const { actual, expected } = compareShowWithDesired(showState(await observe(rig.client)), desired, {
              anyEndpointWhereUnset: true,
            });
            expect(actual).toEqual(expected);
            rig.sim.resetCounters();
            expect((await reconcile(rig.client, desired)).plan.operations.map((o) => o.id)).toEqual([]);
            expect(mutatingCalls(rig.sim)).toEqual({});
          } finally {
            await rig.close();
          }
        }),
        { numRuns: RUNS },
      );
    },
    Math.max(30_000, RUNS * 200),
  );
});

describe('rollback', () => {
  test(
    'a VPP rejection at any mutating call of any transition leaves VPP exactly as it was',
    async () => {
      await fc.assert(
        fc.asyncProperty(stateArb, stateArb, fc.nat(), async (from, to, pick) => {
          const [first, second] = [loadText(render(from), 'from.json'), loadText(render(to), 'to.json')];
          // The calls of the transition, learned on a second emulator taken through the same steps.
          const probe = await startRig();
          let calls: [string, number][];
          try {
            await foreignObjects(probe.client);
            expect((await reconcile(probe.client, first)).ok).toBe(true);
            probe.sim.resetCounters();
            expect((await reconcile(probe.client, second)).ok).toBe(true);
            calls = Object.entries(mutatingCalls(probe.sim)).flatMap(([msg, n]) =>
              Array.from({ length: n }, (_, i): [string, number] => [msg, i + 1]),
            );
          } finally {
            await probe.close();
          }
          fc.pre(calls.length > 0);
          const [msg, nth] = calls[pick % calls.length]!;
          const rig = await startRig();
          try {
            await foreignObjects(rig.client);
            expect((await reconcile(rig.client, first)).ok).toBe(true);
            const before = rig.sim.snapshot();
            rig.sim.control.failNth(msg, nth, VppErrno.INVALID_VALUE);
            const r = await reconcile(rig.client, second);
            rig.sim.control.clearFaults();
            expectRolledBack(r, msg, nth, before, rig.sim.snapshot());
          } finally {
            await rig.close();
          }
        }),
        { numRuns: RUNS },
      );
    },
    Math.max(30_000, RUNS * 400),
  );
});
