/**
 * An interrupted apply (Ctrl-C) stops sending, rolls back what it applied (even with rollback
 * off), and reports 'interrupted'; abandoning the rollback lists what stays applied. An interface
 * created and left untagged (the run stopped between create and tag) is vppwg's on the next run.
 */
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { VppErrno, type VppClient } from '../../src/client';
import { formatPlan, reconcile } from '../../src/reconcile';
import { StateDir } from '../../src/state';
import { CreateJournal } from '../../src/state/create-journal';
import { loadText, startRig, type Rig } from './helpers';

const PEER = Buffer.alloc(32, 3).toString('base64');
const FILE = `
uplinks:
  - { name: host-eth0, addresses: [192.0.2.1/24, '2001:db8:0:1::1/64'] }
wireguard:
  - name: wg-int
    instance: 4
    private_key: generate
    listen_port: 51844
    source: 192.0.2.1
    addresses: [10.4.0.1/24]
    peers:
      - { name: site, public_key: "${PEER}", endpoint: { address: 198.51.100.4, port: 51820 }, allowed_ips: [10.4.0.2/32, 10.44.0.0/16], tunnel_next_hops: [10.4.0.2], routes: [{ prefix: 10.44.0.0/16 }] }
`;

/** Aborts `ac` once VPP has answered a `msgName` call (a Ctrl-C arriving right then). */
function abortAfter(client: VppClient, msgName: string, ac: AbortController): void {
  const call = client.call.bind(client);
  client.call = ((def: { name: string }, v: unknown, o?: unknown) => {
    const p = (call as (d: unknown, v: unknown, o?: unknown) => Promise<unknown>)(def, v, o);
    if (def.name === msgName) void p.then(() => ac.abort());
    return p;
  }) as VppClient['call'];
}

describe('an interrupted apply', () => {
  let rig: Rig;
  beforeEach(async () => {
    rig = await startRig();
  });
  afterEach(async () => {
    await rig.close();
  });

  test('stops, rolls back what it applied even with rollback off, and says interrupted', async () => {
    const before = rig.sim.snapshot();
    const ac = new AbortController();
    abortAfter(rig.client, 'wireguard_peer_add', ac);
    const r = await reconcile(rig.client, loadText(FILE), { rollback: false, signal: ac.signal });
    expect({ ok: r.ok, operation: r.error?.operation, rolledBack: r.rolledBack }).toEqual({
      ok: false,
      operation: 'interrupted',
      rolledBack: true,
    });
    expect(r.applied).toBeLessThan(r.plan.operations.length);
    expect(r.left).toBeUndefined();
    expect(rig.sim.snapshot()).toEqual(before);
  });

  test('an abandoned rollback leaves what it applied and lists it', async () => {
    const ac = new AbortController();
    const abandon = new AbortController();
    abortAfter(rig.client, 'wireguard_interface_create', ac);
    ac.signal.addEventListener('abort', () => abandon.abort());
    const r = await reconcile(rig.client, loadText(FILE), { signal: ac.signal, abandon: abandon.signal });
    expect({ ok: r.ok, operation: r.error?.operation, rolledBack: r.rolledBack }).toEqual({
      ok: false,
      operation: 'interrupted',
      rolledBack: false,
    });
    expect(r.left).toEqual(['+wireguard-interface:wg-int (new: wg4, port 51844, source 192.0.2.1)']);
    expect(r.actual!.owned.interfaces.has('wg-int')).toBe(true);
  });

  test('an interface created and left untagged is tagged on the next run, not taken for someone else’s', async () => {
    const dir = new StateDir(join(mkdtempSync(join(tmpdir(), 'vppwg-int-')), 'state'));
    // The run stops between create and tag: the tag fails, and so does the clean-up delete.
    rig.sim.control.failNth('sw_interface_tag_add_del', 1, VppErrno.INVALID_VALUE);
    rig.sim.control.failNth('wireguard_interface_delete', 1, VppErrno.INVALID_VALUE);
    const broken = await reconcile(rig.client, loadText(FILE), { stateDir: dir, rollback: false });
    rig.sim.control.clearFaults();
    expect(broken.ok).toBe(false);
    const left = [...broken.actual!.interfaces.values()].find((i) => i.name === 'wg4')!;
    expect({ tag: left.tag, owner: left.owner }).toEqual({ tag: '', owner: undefined });
    expect(new CreateJournal(dir).read()).toEqual([
      { name: 'wg-int', instance: 4, listenPort: 51844, source: '192.0.2.1' },
    ]);
    // Without the record the interface is someone else's: taken only when the operator adopts it.
    const stranger = await reconcile(rig.client, loadText(FILE), {});
    expect(stranger.error?.message).toContain(`made outside vppwg: "wg-int" (VPP's wg4)`);
    expect(stranger.applied).toBe(0);
    const next = await reconcile(rig.client, loadText(FILE), { stateDir: dir });
    expect(next.ok).toBe(true);
    expect(formatPlan(next.plan)).toContain('  ~ tag wg-int (wg4): created by an interrupted vppwg run');
    expect(next.plan.operations.some((o) => o.kind === 'wireguard-interface')).toBe(false);
    expect(next.actual!.owned.interfaces.get('wg-int')).toBe(left.swIfIndex);
    expect(new CreateJournal(dir).read()).toEqual([]);
    expect((await reconcile(rig.client, loadText(FILE), { stateDir: dir })).plan.isEmpty).toBe(true);
  });
});
