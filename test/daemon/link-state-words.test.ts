/**
 * How the link-state part reads VPP's interface events: each event's flags are the up events of
 * one run of VPP's link_state_process (OR-ed), not the interface's state, and the interface's
 * flags are read after it, possibly after later changes. Driven here by a scripted connection so
 * that every interleaving of runs and reads can be set up exactly; the emulator tests in
 * link-state.test.ts cover the same path end to end.
 */
import winston from 'winston';
import { Writable } from 'node:stream';
import type { VppClient } from '../../src/client';
import type { DesiredState } from '../../src/config';
import type { ActualState, ReconcileResult } from '../../src/reconcile';
import { DaemonBus } from '../../src/daemon/bus';
import { DaemonMetrics } from '../../src/daemon/metrics';
import { LinkState } from '../../src/daemon/parts/link-state';
import type { EventMsg } from '../../src/daemon/api/proto';

const ADMIN_UP = 1;
const LINK_UP = 2;
const SW = 3;

/** A VPP connection whose interface flags the test sets and whose events it sends. */
class ScriptedVpp {
  flags = ADMIN_UP | LINK_UP;
  private onEvent?: (e: { sw_if_index: number; flags: number; deleted: boolean }) => void;
  /** Reads held until the test releases them: a read answered after later changes. */
  private readonly held: (() => void)[] = [];
  hold = false;
  /** sw_interface_dump requests, by the sw_if_index asked for. */
  readonly reads: number[] = [];

  readonly client = {
    subscribe: (_def: unknown, fn: (e: { sw_if_index: number; flags: number; deleted: boolean }) => void) => {
      this.onEvent = fn;
      return () => (this.onEvent = undefined);
    },
    call: () => Promise.resolve({ retval: 0 }),
    dump: (_def: unknown, req: { sw_if_index: number }) =>
      new Promise((resolve) => {
        this.reads.push(req.sw_if_index);
        const answer = () => resolve([{ sw_if_index: SW, flags: this.flags }]);
        if (this.hold) this.held.push(answer);
        else answer();
      }),
  } as unknown as VppClient;

  event(word: number, swIfIndex = SW): void {
    this.onEvent!({ sw_if_index: swIfIndex, flags: word, deleted: false });
  }

  release(): void {
    for (const a of this.held.splice(0)) a();
  }
}

function setup() {
  const vpp = new ScriptedVpp();
  const bus = new DaemonBus((_e, err) => {
    throw err;
  });
  const log = winston.createLogger({
    transports: [new winston.transports.Stream({ stream: new Writable({ write: (_c, _e, cb) => cb() }) })],
  });
  const desired = { uplinks: [{ name: 'wan' }] } as unknown as DesiredState;
  const part = new LinkState(() => desired, bus, new DaemonMetrics({ defaultMetrics: false }), log);
  const published: string[] = [];
  bus.on('publish', (e: EventMsg) => void published.push(e.message));
  part.start();
  bus.emit('vpp-connected', { client: vpp.client, first: true });
  const reconciled = (linkUp: boolean) => {
    const actual = {
      interfacesByName: new Map([['wan', { name: 'wan', swIfIndex: SW, adminUp: true, linkUp }]]),
    } as unknown as ActualState;
    bus.emit('reconciled', { trigger: 'start', summary: {} as never, result: { actual } as ReconcileResult });
  };
  const settle = () => new Promise((r) => setTimeout(r, 10));
  const wan = () => part.list()[0];
  return { vpp, part, published, reconciled, settle, wan };
}

const DOWN = 'uplink wan link down (carrier lost)';
const UP = 'uplink wan link up';

describe('link state from VPP event words', () => {
  it('a carrier lost (0) then back (LINK_UP) in separate runs, each read in time: down, up', async () => {
    const t = setup();
    t.reconciled(true);
    t.vpp.flags = ADMIN_UP;
    t.vpp.event(0);
    await t.settle();
    expect(t.published).toEqual([DOWN]);
    t.vpp.flags = ADMIN_UP | LINK_UP;
    t.vpp.event(ADMIN_UP | LINK_UP);
    await t.settle();
    expect(t.published).toEqual([DOWN, UP]);
    expect(t.wan()).toMatchObject({ linkUp: true, linkChanges: 2 });
  });

  it('a down and up in one run (LINK_UP for a link known up) is a flap: down, up', async () => {
    const t = setup();
    t.reconciled(true);
    t.vpp.event(LINK_UP);
    await t.settle();
    expect(t.published).toEqual([DOWN, UP]);
    expect(t.wan()).toMatchObject({ linkUp: true, linkChanges: 2 });
  });

  it('a down event read only after the link came back: the following up event tells the flap once', async () => {
    const t = setup();
    t.reconciled(true);
    t.vpp.hold = true;
    t.vpp.flags = ADMIN_UP;
    t.vpp.event(0);
    t.vpp.flags = ADMIN_UP | LINK_UP;
    t.vpp.event(LINK_UP);
    t.vpp.hold = false;
    t.vpp.release();
    await t.settle();
    expect(t.published).toEqual([DOWN, UP]);
    expect(t.wan()).toMatchObject({ linkUp: true, linkChanges: 2 });
  });

  it('an up event read after the link went down again: up, down, and the later down event adds nothing', async () => {
    const t = setup();
    t.reconciled(false);
    t.vpp.hold = true;
    t.vpp.flags = ADMIN_UP | LINK_UP;
    t.vpp.event(LINK_UP);
    t.vpp.flags = ADMIN_UP;
    t.vpp.event(0);
    t.vpp.hold = false;
    t.vpp.release();
    await t.settle();
    expect(t.published).toEqual([UP, DOWN]);
    expect(t.wan()).toMatchObject({ linkUp: false, linkChanges: 2 });
  });

  it('an admin down and up with the link kept up is no link change', async () => {
    const t = setup();
    t.reconciled(true);
    t.vpp.hold = true;
    t.vpp.flags = LINK_UP;
    t.vpp.event(0);
    t.vpp.flags = ADMIN_UP | LINK_UP;
    t.vpp.event(ADMIN_UP);
    t.vpp.hold = false;
    t.vpp.release();
    await t.settle();
    expect(t.published).toEqual([]);
    expect(t.wan()).toMatchObject({ linkUp: true, linkChanges: 0 });
  });

  it('an admin down that takes the link with it is told as an admin down', async () => {
    const t = setup();
    t.reconciled(true);
    t.vpp.flags = 0;
    t.vpp.event(0);
    await t.settle();
    expect(t.published).toEqual(['uplink wan link down (admin down)']);
  });

  it('before the first reconcile of a connection, an up event is not taken for a flap', async () => {
    const t = setup();
    t.vpp.event(LINK_UP);
    await t.settle();
    t.reconciled(true);
    expect(t.published).toEqual([]);
    expect(t.wan()).toMatchObject({ linkUp: true, linkChanges: 0 });
  });

  it("once the uplinks are known, a tunnel's events are not read (a large apply sends thousands)", async () => {
    const t = setup();
    // Before the first reconcile any interface may be an uplink.
    t.vpp.event(ADMIN_UP | LINK_UP, 7);
    await t.settle();
    expect(t.vpp.reads).toEqual([7]);
    t.reconciled(true);
    t.vpp.event(0, 8);
    t.vpp.event(ADMIN_UP | LINK_UP, 8);
    t.vpp.event(0, SW);
    await t.settle();
    expect(t.vpp.reads).toEqual([7, SW]);
    expect(t.published).toEqual([]);
  });
});
