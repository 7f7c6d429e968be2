/** Shared set-up for reconciler tests: an in-process emulator with the examples' uplinks, a client, loaded files. */
import { join } from 'node:path';
import { readFileSync } from 'node:fs';
import { parse } from 'yaml';
import { VppClient, VppErrno } from '../../src/client';
import { loadDesiredState, parseDesiredState, type DesiredState } from '../../src/config';
import { startSim, type Sim, type SimConfig, type SimUplink } from '../../src/sim';
import { MUTATING_MESSAGES, reconcileMessages, type ReconcileResult } from '../../src/reconcile';
import { pairedAddressOf31 } from '../../src/reconcile/ip';
import { projectRoot } from '../../src/util/paths';

export const examplesDir = join(projectRoot(), 'deploy', 'examples');

export function exampleUplinks(): SimUplink[] {
  const doc = parse(readFileSync(join(examplesDir, 'sim-uplinks.yaml'), 'utf8')) as { uplinks: SimUplink[] };
  return doc.uplinks;
}

export interface Rig {
  sim: Sim;
  client: VppClient;
  close(): Promise<void>;
}

export async function startRig(config: Partial<SimConfig> = {}): Promise<Rig> {
  const sim = await startSim({ config: { uplinks: exampleUplinks(), ...config } });
  const client = await VppClient.connect({
    socketPath: sim.socketPath,
    messages: reconcileMessages(),
    reconnect: false,
  });
  return {
    sim,
    client,
    async close() {
      await client.close();
      await sim.stop();
    },
  };
}

export function loadExample(name: string): DesiredState {
  const { state, diagnostics } = loadDesiredState(join(examplesDir, name), { env: {} });
  const errors = diagnostics.filter((d) => d.severity === 'error');
  if (!state || errors.length) throw new Error(`${name}: ${errors.map((d) => d.message).join('; ')}`);
  return state;
}

export function loadText(yamlText: string, name = 'inline.yaml'): DesiredState {
  const { state, diagnostics } = parseDesiredState(yamlText, name, { env: {} });
  const errors = diagnostics.filter((d) => d.severity === 'error');
  if (!state || errors.length)
    throw new Error(`${name}: ${errors.map((d) => `${d.line}:${d.column} ${d.message}`).join('; ')}`);
  return state;
}

/** Mutating requests counted by the emulator since the last reset, by message name (zero entries left out). */
export function mutatingCalls(sim: Sim): Record<string, number> {
  const c = sim.counters();
  const out: Record<string, number> = {};
  for (const name of MUTATING_MESSAGES) if (c[name]) out[name] = c[name];
  return out;
}

/**
 * A reconcile refused at the `nth` call of `msg` (with INVALID_VALUE) failed with that error, was
 * rolled back, and left the state (`after`) as it was (`before`); the plan is shown when not.
 */
export function expectRolledBack(r: ReconcileResult, msg: string, nth: number, before: unknown, after: unknown): void {
  expect({ msg, nth, ok: r.ok, rolledBack: r.rolledBack, retval: r.error?.retval }).toEqual({
    msg,
    nth,
    ok: false,
    rolledBack: true,
    retval: VppErrno.INVALID_VALUE,
  });
  const ops = r.plan.operations.map((o) => o.id);
  expect({ msg, nth, ops, state: after }).toEqual({ msg, nth, ops, state: before });
}

export function totalOf(calls: Record<string, number>): number {
  return Object.values(calls).reduce((a, b) => a + b, 0);
}

import type { ShownState } from '../../src/reconcile';

const sortStr = (a: readonly string[]): string[] => [...a].sort();

/**
 * What `show` reports, restricted to what the file says, next to the file itself: equal when VPP
 * holds exactly the desired interfaces, peers, addresses, routes and next hops.
 * `anyEndpointWhereUnset`: a peer without an endpoint in the file may show one (learned from a
 * handshake, or left from when the file gave one): by design that is never drift.
 */
export function compareShowWithDesired(
  shown: ShownState,
  desired: DesiredState,
  opts: { anyEndpointWhereUnset?: boolean } = {},
): { actual: unknown; expected: unknown } {
  const expected = {
    tables: sortStr(desired.tables.flatMap((t) => t.families.map((f) => `${f} ${t.id} vppwg:${t.name}`))),
    uplinks: desired.uplinks.map((u) => ({
      name: u.name,
      ...(u.adminUp !== undefined ? { adminUp: u.adminUp } : {}),
      ...(u.mtu !== undefined ? { mtu: u.mtu } : {}),
      ...(u.addresses !== undefined ? { addresses: sortStr(u.addresses) } : {}),
    })),
    wireguard: desired.wireguard.map((w) => ({
      owner: w.name,
      listenPort: w.listenPort,
      source: w.source,
      ...(w.instance !== undefined ? { instance: w.instance } : {}),
      ...(w.publicKey !== undefined ? { publicKey: w.publicKey } : {}),
      adminUp: w.adminUp,
      ...(w.mtu !== undefined ? { mtu: w.mtu } : {}),
      table: { ip4: w.table, ip6: w.table },
      addresses: sortStr(w.addresses),
      peers: [...w.peers]
        .sort((a, b) => a.publicKey.localeCompare(b.publicKey))
        .map((p) => ({
          publicKey: p.publicKey,
          endpoint: p.endpoint
            ? p.endpoint.address.includes(':')
              ? `[${p.endpoint.address}]:${p.endpoint.port}`
              : `${p.endpoint.address}:${p.endpoint.port}`
            : null,
          allowedIps: sortStr(p.allowedIps),
          persistentKeepalive: p.persistentKeepalive,
          underlayTable: p.underlayTable,
        })),
    })),
    routes: sortStr([
      ...desired.routes.map((r) => `${r.table} ${r.prefix} via ${r.via} ${r.interface}`),
      ...desired.wireguard.flatMap((w) =>
        w.peers.flatMap((p) => [
          ...p.tunnelNextHops
            .filter((nh) => !w.addresses.some((a) => pairedAddressOf31(a) === nh))
            .map((nh) => `${w.table} ${nh}/${nh.includes(':') ? 128 : 32} via ${nh} ${w.name}`),
          ...p.routes.map((r) => `${w.table} ${r.prefix} via ${r.via} ${w.name}`),
        ]),
      ),
    ]),
  };
  // The host routes VPP adds itself for the other address of a /31: the address's, not the file's.
  const pairedHosts = new Set(
    shown.interfaces.flatMap((i) =>
      i.addresses.flatMap((a) => {
        const other = pairedAddressOf31(a);
        return other === undefined ? [] : [`${i.name} ${other}/32 ${other}`];
      }),
    ),
  );
  const ownerOf = new Map(shown.interfaces.map((i) => [i.name, i.owner]));
  const logical = (name: string): string => ownerOf.get(name) ?? name;
  const ownedNames = new Set(desired.wireguard.map((w) => w.name));
  const routeIfs = new Set([...ownedNames, ...desired.routes.map((r) => r.interface)]);
  const actual = {
    tables: sortStr(shown.tables.filter((t) => t.ownedByVppwg).map((t) => `${t.family} ${t.id} ${t.name}`)),
    uplinks: desired.uplinks.map((u) => {
      const i = shown.interfaces.find((x) => x.name === u.name);
      return {
        name: i?.name,
        ...(u.adminUp !== undefined ? { adminUp: i?.adminUp } : {}),
        ...(u.mtu !== undefined ? { mtu: i?.mtu } : {}),
        ...(u.addresses !== undefined ? { addresses: sortStr(i?.addresses ?? []) } : {}),
      };
    }),
    wireguard: desired.wireguard.map((w) => {
      const wg = shown.wireguard.find((x) => x.owner === w.name);
      const i = shown.interfaces.find((x) => x.owner === w.name);
      return {
        owner: wg?.owner,
        listenPort: wg?.listenPort,
        source: wg?.source,
        ...(w.instance !== undefined ? { instance: wg?.instance } : {}),
        ...(w.publicKey !== undefined ? { publicKey: wg?.publicKey } : {}),
        adminUp: i?.adminUp,
        ...(w.mtu !== undefined ? { mtu: i?.mtu } : {}),
        table: i?.table,
        addresses: sortStr(i?.addresses ?? []),
        peers: [...(wg?.peers ?? [])]
          .sort((a, b) => a.publicKey.localeCompare(b.publicKey))
          .map((p) => ({
            publicKey: p.publicKey,
            endpoint:
              opts.anyEndpointWhereUnset && !w.peers.find((d) => d.publicKey === p.publicKey)?.endpoint
                ? null
                : p.endpoint,
            allowedIps: sortStr(p.allowedIps),
            persistentKeepalive: p.persistentKeepalive,
            underlayTable: p.underlayTable,
          })),
      };
    }),
    routes: sortStr(
      shown.routes.flatMap((r) =>
        r.paths
          .filter(
            (p) =>
              !pairedHosts.has(`${p.interface} ${r.prefix} ${p.via}`) &&
              routeIfs.has(logical(p.interface)) &&
              (ownedNames.has(logical(p.interface)) ||
                desired.routes.some((d) => d.table === r.table && d.prefix === r.prefix)),
          )
          .map((p) => `${r.table} ${r.prefix} via ${p.via} ${logical(p.interface)}`),
      ),
    ),
  };
  return { actual, expected };
}
