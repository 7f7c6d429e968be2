/**
 * The reconciler, and the emulator, against a real VPP (opt-in): VPPWG_TEST_VPP_SOCKET names its
 * API socket. One file, so its tests never run beside each other on the same VPP. The
 * emulator suites prove the same properties on every run; this one checks them where it matters,
 * against VPP's own handlers, FIB and pools. That VPP needs the wireguard plugin and the examples'
 * uplink host-eth0 (for instance `create host-interface name eth0` on a veth called eth0), and must
 * hold nothing tagged by vppwg. The tests leave it as they found it, but for host-eth0's addresses
 * (and admin state).
 * The rollback property refuses one mutating call in the client (as VPP refuses one), so the undo
 * itself runs against VPP's handlers. One property runs the same random files on a fresh emulator
 * beside VPP and compares what `show` reads from both at every step.
 * REAL_VPP_RUNS sets how many random sequences each property tries (default 8). VPPWG_TEST_WG_NETNS
 * adds the tests with a real WireGuard far end (wg-peer.ts; `run-vpp.sh peer` sets it up), the
 * daemon's among them; VPPWG_TEST_VPP_RESTART, a command that restarts VPP, adds a restart to it.
 * Without the variable the suite is skipped, and the skipped test's name says why.
 */
import { readdirSync } from 'node:fs';
import fc from 'fast-check';
import { VppApiError, VppClient, VppErrno } from '../../src/client';
import type { DesiredState } from '../../src/config';
import { MUTATING_MESSAGES, observe, reconcile, reconcileMessages, showState } from '../../src/reconcile';
import { hasPeerV2, messageDef } from '../../src/reconcile/vpp';
import { startSim } from '../../src/sim';
import { compareShowWithDesired, examplesDir, expectRolledBack, loadExample, loadText } from '../reconcile/helpers';
import {
  EMPTY,
  drift,
  driftArb,
  foreignObjects,
  foreignPart,
  removeForeignObjects,
  render,
  stateArb,
} from '../reconcile/random-states';
import { comparable, differentialTest, isNeighbourRoute } from './differential';
import { adoptTest, daemonPeerTest, hubRestartTest, wgPeerTests } from './wg-peer';
import { lcpTests } from './lcp';

const socketPath = process.env.VPPWG_TEST_VPP_SOCKET;
/** The far end's network namespace (`run-vpp.sh peer`) for the tests with a real WireGuard peer. */
const farEndNetns = process.env.VPPWG_TEST_WG_NETNS;
/** A shell command that restarts that VPP (e.g. `run-vpp.sh start`), for the daemon's restart case. */
const restartVpp = process.env.VPPWG_TEST_VPP_RESTART || undefined;
const RUNS = Number(process.env.REAL_VPP_RUNS ?? 8);
const EMPTY_FILE = loadText(render(EMPTY), 'empty.json');
/** Set in beforeAll: a VPP without wireguard_peer_add_v2 (24.10) takes no preshared keys, so the files carry none. */
let withPsk = true;
function renderFor(spec: Parameters<typeof render>[0]): string {
  if (withPsk) return render(spec);
  const doc = JSON.parse(render(spec)) as { wireguard: { peers: Record<string, unknown>[] }[] };
  for (const w of doc.wireguard) for (const p of w.peers) delete p.preshared_key;
  return JSON.stringify(doc);
}

/** Mutating requests the client sent since `mark` (from its trace), by message name. */
function mutatingSince(client: VppClient, mark: number): Record<string, number> {
  const mutating = new Set(MUTATING_MESSAGES);
  const out: Record<string, number> = {};
  for (const e of client.trace().slice(mark)) if (mutating.has(e.message)) out[e.message] = (out[e.message] ?? 0) + 1;
  return out;
}

async function connect(): Promise<VppClient> {
  // A trace big enough never to wrap in this suite: it counts the mutating calls of a run.
  return VppClient.connect({
    socketPath: socketPath!,
    messages: reconcileMessages(),
    reconnect: false,
    traceSize: 1 << 20,
  });
}

/**
 * The client as the reconciler sees it, but the `nth` mutating call of message `msg` is refused
 * as VPP refuses a request (-3 INVALID_VALUE), without being sent: a rejection at a place of the
 * test's choosing, while everything else, the rollback included, runs against the real VPP.
 */
function refusing(client: VppClient, msg: string, nth: number): VppClient {
  let seen = 0;
  const call = (def: { name: string }, v: unknown, o?: unknown): Promise<unknown> => {
    if (def.name === msg && ++seen === nth) return Promise.reject(new VppApiError(msg, VppErrno.INVALID_VALUE));
    return (client.call as (d: unknown, v: unknown, o?: unknown) => Promise<unknown>)(def, v, o);
  };
  return new Proxy(client, {
    get(target, prop) {
      if (prop === 'call') return call;
      const value: unknown = Reflect.get(target, prop, target);
      return typeof value === 'function' ? (value as (...a: unknown[]) => unknown).bind(target) : value;
    },
  });
}

/**
 * A fresh emulator set up as this VPP is now (nothing of vppwg's on it): its profile, host-eth0's
 * addresses, and the underlay routes earlier tests left (vppwg leaves those), so the two can run the
 * same files side by side.
 */
async function emulatorLike(vpp: VppClient): Promise<{ client: VppClient; close(): Promise<void> }> {
  const now = showState(await observe(vpp));
  const uplink = now.interfaces.find((i) => i.name === 'host-eth0')!;
  const sim = await startSim({
    config: {
      // As VPP has it: a DPDK port renamed host-eth0 (run-vpp.sh DPDK_NAME) keeps its type and MAC.
      uplinks: [
        {
          name: 'host-eth0',
          addresses: uplink.addresses,
          up: uplink.adminUp,
          devType: uplink.type,
          ...(uplink.mac ? { mac: uplink.mac } : {}),
        },
      ],
      profile: hasPeerV2(vpp) ? '26.10' : '24.10',
      reachablePeers: false,
    },
  });
  const emu = await VppClient.connect({ socketPath: sim.socketPath, messages: reconcileMessages(), reconnect: false });
  for (const r of now.routes) {
    // Nothing of vppwg's is left at this point: routes via the uplink are underlay routes, or neighbours.
    if (r.paths.some((p) => p.interface !== 'host-eth0') || isNeighbourRoute(r)) continue;
    for (const p of r.paths) await underlayRoute(emu, true, r.table, r.prefix, 1, p.via);
  }
  return {
    client: emu,
    close: async () => {
      await emu.close();
      await sim.stop();
    },
  };
}

/** What both must agree on: `show` without pool indices and without the keys VPP generated. */
async function sameView(c: VppClient): Promise<unknown> {
  const v = comparable(showState(await observe(c))) as { wireguard: { publicKey?: string; owner: string | null }[] };
  return { ...v, wireguard: v.wireguard.map(({ publicKey: _, ...w }) => w) };
}

/** Underlay routes the suite's files made: VPP cannot say who made a route, so vppwg leaves them (see README). */
const underlayRoutes = new Map<string, DesiredState['routes'][number]>();
function remember(desired: DesiredState): DesiredState {
  for (const r of desired.routes) underlayRoutes.set(`${r.table} ${r.prefix} ${r.via} ${r.interface}`, r);
  return desired;
}

async function removeUnderlayRoutes(client: VppClient): Promise<void> {
  const shown = showState(await observe(client));
  for (const r of underlayRoutes.values()) {
    const sw = shown.interfaces.find((i) => i.name === r.interface)?.swIfIndex;
    if (sw === undefined) continue;
    await underlayRoute(client, false, r.table, r.prefix, sw, r.via).catch(() => undefined);
  }
}

/** Adds (as a multipath add: one path more) or deletes a route via `via` on interface `sw`. */
function underlayRoute(c: VppClient, isAdd: boolean, table: number, prefix: string, sw: number, via: string) {
  const v6 = via.includes(':');
  return (c.call as (d: unknown, v: unknown) => Promise<unknown>)(messageDef('ip_route_add_del'), {
    is_add: isAdd,
    is_multipath: isAdd,
    route: {
      table_id: table,
      prefix,
      paths: [{ sw_if_index: sw, weight: 1, proto: v6 ? 1 : 0, nh: { address: v6 ? { ip6: via } : { ip4: via } } }],
    },
  });
}

/** Apply, verify, apply again (nothing sent), and compare `show` with the file. */
async function converge(client: VppClient, text: string, name: string): Promise<void> {
  const desired = remember(loadText(text, name));
  const r = await reconcile(client, desired);
  expect({ file: name, error: r.error?.message }).toEqual({ file: name, error: undefined });
  expect(r.ok && r.verified).toBe(true);
  const mark = client.trace().length;
  const again = await reconcile(client, desired);
  expect({ file: name, operations: again.plan.operations.map((o) => o.id) }).toEqual({ file: name, operations: [] });
  expect(mutatingSince(client, mark)).toEqual({});
  const { actual, expected } = compareShowWithDesired(showState(await observe(client)), desired, {
    anyEndpointWhereUnset: true,
  });
  expect(actual).toEqual(expected);
}

async function nothingOfVppwgLeft(client: VppClient): Promise<void> {
  const shown = showState(await observe(client));
  expect(shown.wireguard.filter((w) => w.owner !== null)).toEqual([]);
  expect(shown.interfaces.filter((i) => i.owner !== null)).toEqual([]);
  expect(shown.tables.filter((t) => t.ownedByVppwg)).toEqual([]);
}

if (!socketPath) {
  test.skip('real VPP: VPPWG_TEST_VPP_SOCKET is not set (no VPP here); set it to a VPP API socket to run', () => {});
} else {
  describe(`real VPP at ${socketPath}`, () => {
    let client: VppClient;
    beforeAll(async () => {
      client = await connect();
      withPsk = hasPeerV2(client);
      const shown = showState(await observe(client));
      if (!shown.interfaces.some((i) => i.name === 'host-eth0'))
        throw new Error(`VPP at ${socketPath} has no host-eth0: create it (the examples' uplink) and run again`);
      if (shown.interfaces.some((i) => i.owner !== null) || shown.tables.some((t) => t.ownedByVppwg))
        throw new Error(`VPP at ${socketPath} holds objects tagged by vppwg: use a VPP these tests may change`);
    });
    afterAll(async () => {
      await reconcile(client, EMPTY_FILE);
      await removeUnderlayRoutes(client);
      await client.close();
    });

    // First, while VPP holds none of the underlay routes the examples leave behind.
    differentialTest(socketPath);

    if (farEndNetns)
      wgPeerTests(
        socketPath,
        farEndNetns,
        () => client,
        remember,
        EMPTY_FILE,
        () => withPsk,
      );
    else test.skip('real WireGuard far end: VPPWG_TEST_WG_NETNS is not set (run-vpp.sh peer makes one)', () => {});

    lcpTests(() => client, remember, EMPTY_FILE);

    const examples = readdirSync(examplesDir).filter((f) => f.endsWith('.yaml') && f !== 'sim-uplinks.yaml');
    test.each(examples)('%s applies, verifies, repeats as a no-op and shows as written', async (file) => {
      const desired = remember(loadExample(file));
      const r = await reconcile(client, desired);
      expect({ file, error: r.error?.message }).toEqual({ file, error: undefined });
      expect(r.ok && r.verified).toBe(true);
      const mark = client.trace().length;
      expect((await reconcile(client, desired)).plan.operations.map((o) => o.id)).toEqual([]);
      expect(mutatingSince(client, mark)).toEqual({});
      const { actual, expected } = compareShowWithDesired(showState(await observe(client)), desired, {
        anyEndpointWhereUnset: true,
      });
      expect(actual).toEqual(expected);
      expect((await reconcile(client, EMPTY_FILE)).ok).toBe(true);
      await nothingOfVppwgLeft(client);
    });

    test(
      'random sequences of files converge at every step beside objects vppwg does not own',
      async () => {
        await fc.assert(
          fc.asyncProperty(fc.array(stateArb, { minLength: 1, maxLength: 4 }), async (steps) => {
            await foreignObjects(client);
            try {
              const foreign = foreignPart(showState(await observe(client)));
              for (const [i, spec] of [...steps, EMPTY].entries()) {
                await converge(client, renderFor(spec), `step-${i}.json`);
                expect(foreignPart(showState(await observe(client)))).toEqual(foreign);
              }
              await nothingOfVppwgLeft(client);
            } finally {
              await reconcile(client, EMPTY_FILE);
              await removeForeignObjects(client);
            }
          }),
          { numRuns: RUNS },
        );
      },
      RUNS * 30_000,
    );

    test(
      'the emulator shows what VPP shows at every step of random sequences of files',
      async () => {
        await fc.assert(
          fc.asyncProperty(fc.array(stateArb, { minLength: 1, maxLength: 4 }), async (steps) => {
            const emulator = await emulatorLike(client);
            try {
              await foreignObjects(client);
              await foreignObjects(emulator.client);
              for (const [i, spec] of [...steps, EMPTY].entries()) {
                const text = renderFor(spec);
                const onVpp = await reconcile(client, remember(loadText(text, `step-${i}.json`)));
                const onEmulator = await reconcile(emulator.client, loadText(text, `step-${i}.json`));
                expect({ step: i, vpp: onVpp.error?.message, emulator: onEmulator.error?.message }).toEqual({
                  step: i,
                  vpp: undefined,
                  emulator: undefined,
                });
                expect({ step: i, shown: await sameView(emulator.client) }).toEqual({
                  step: i,
                  shown: await sameView(client),
                });
              }
            } finally {
              await reconcile(client, EMPTY_FILE);
              await removeForeignObjects(client);
              await emulator.close();
            }
          }),
          { numRuns: RUNS },
        );
      },
      RUNS * 30_000,
    );

    test(
      'changes made behind vppwg’s back are put back by one reconcile',
      async () => {
        await fc.assert(
          fc.asyncProperty(stateArb, driftArb, async (spec, changes) => {
            try {
              const text = renderFor(spec);
              const desired = remember(loadText(text, 'drift.json'));
              expect((await reconcile(client, desired)).error?.message).toBeUndefined();
              for (const [kind, pick] of changes) await drift(client, kind, pick);
              const r = await reconcile(client, desired);
              expect({ changes, error: r.error?.message }).toEqual({ changes, error: undefined });
              expect(r.ok && r.verified).toBe(true);
              await converge(client, text, 'drift.json');
            } finally {
              // Strays added beside vppwg's objects are not its own: they go with the interfaces.
              await reconcile(client, EMPTY_FILE);
            }
          }),
          { numRuns: RUNS },
        );
      },
      RUNS * 30_000,
    );

    test(
      'a VPP rejection at any mutating call of a transition is rolled back to the state before it',
      async () => {
        await fc.assert(
          fc.asyncProperty(stateArb, stateArb, fc.nat(), async (from, to, pick) => {
            const first = remember(loadText(renderFor(from), 'from.json'));
            const second = remember(loadText(renderFor(to), 'to.json'));
            try {
              // The transition's mutating calls, from a clean run of it.
              expect((await reconcile(client, first)).error?.message).toBeUndefined();
              const mark = client.trace().length;
              expect((await reconcile(client, second)).error?.message).toBeUndefined();
              const mutating = new Set(MUTATING_MESSAGES);
              const calls: [string, number][] = [];
              const counts = new Map<string, number>();
              for (const e of client.trace().slice(mark)) {
                if (!mutating.has(e.message)) continue;
                counts.set(e.message, (counts.get(e.message) ?? 0) + 1);
                calls.push([e.message, counts.get(e.message)!]);
              }
              fc.pre(calls.length > 0);
              const [msg, nth] = calls[pick % calls.length]!;

              // From nothing again: `generate` would otherwise keep the key the clean run left.
              expect((await reconcile(client, EMPTY_FILE)).error?.message).toBeUndefined();
              expect((await reconcile(client, first)).error?.message).toBeUndefined();
              const before = comparable(showState(await observe(client)));
              const r = await reconcile(refusing(client, msg, nth), second);
              expectRolledBack(r, msg, nth, before, comparable(showState(await observe(client))));
            } finally {
              await reconcile(client, EMPTY_FILE);
            }
          }),
          { numRuns: RUNS },
        );
      },
      RUNS * 30_000,
    );

    // Last: it may restart VPP (the suite's connection is made again after).
    if (farEndNetns)
      daemonPeerTest(
        socketPath,
        farEndNetns,
        restartVpp,
        async () => {
          client = await connect();
        },
        remember,
      );
    if (farEndNetns && restartVpp)
      hubRestartTest(
        socketPath,
        farEndNetns,
        restartVpp,
        async () => {
          client = await connect();
        },
        remember,
      );
    else test.skip('hub restart (issue 14): needs VPPWG_TEST_WG_NETNS and VPPWG_TEST_VPP_RESTART', () => {});
    if (farEndNetns) adoptTest(socketPath, farEndNetns, remember);
    else test.skip('adopting a live tunnel (issue 21): needs VPPWG_TEST_WG_NETNS', () => {});
  });
}
