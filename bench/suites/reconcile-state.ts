/**
 * The desired state every reconcile figure applies (one WireGuard interface, n peers, a tunnel next
 * hop and a route each) and how the bench connects: shared by the reconcile suite and its scale curve.
 */
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { VppClient } from '../../src/client';
import type { DesiredPeer, DesiredState } from '../../src/config/model';
import { reconcileMessages } from '../../src/reconcile';
import { messageDef } from '../../src/reconcile/vpp';
import { projectRoot } from '../../src/util/paths';

/** The WireGuard source address: on the emulator's uplink, or on the loopback standing in for one on a real VPP. */
export const SOURCE = '192.0.2.1';

export function key(i: number, salt: number): string {
  const b = Buffer.alloc(32, salt);
  b.writeUInt32BE(i + 1, 0);
  return b.toString('base64');
}

/** One interface, `n` peers: peer i owns 10.x.y.z/32 (its tunnel address, a next hop) and a /32 routed via it. */
export function benchState(
  n: number,
  changed?: { index: number; keepalive: number },
  uplink = 'host-eth0',
): DesiredState {
  const peers: DesiredPeer[] = [];
  for (let i = 0; i < n; i++) {
    const j = i + 2; // 10.64.0.1 is the interface's own address
    const tunnel = `10.${64 + (j >> 16)}.${(j >> 8) & 255}.${j & 255}`;
    peers.push({
      name: `peer${i}`,
      publicKey: key(i, 7),
      endpoint: { address: `198.18.${(i >> 8) & 255}.${i & 255}`, port: 51820 },
      allowedIps: [`${tunnel}/32`, `100.${64 + (i >> 16)}.${(i >> 8) & 255}.${i & 255}/32`],
      persistentKeepalive: changed && changed.index === i ? changed.keepalive : 25,
      underlayTable: 0,
      tunnelNextHops: [tunnel],
      routes: [{ prefix: `100.${64 + (i >> 16)}.${(i >> 8) & 255}.${i & 255}/32`, via: tunnel }],
    });
  }
  return {
    tables: [],
    uplinks: [{ name: uplink }],
    routes: [],
    wireguard: [
      {
        name: 'wg-bench',
        privateKey: 'generate',
        listenPort: 51820,
        source: SOURCE,
        addresses: ['10.64.0.1/10'],
        mtu: 1420,
        table: 0,
        adminUp: true,
        peers,
      },
    ],
  };
}

export async function connect(path: string, timeoutMs = 60_000): Promise<VppClient> {
  return VppClient.connect({ socketPath: path, messages: reconcileMessages(), reconnect: false, timeoutMs });
}

/** A desired state with nothing in it: applying it deletes everything vppwg owns, and nothing else. */
export const EMPTY_STATE: DesiredState = { tables: [], uplinks: [], routes: [], wireguard: [] };

/**
 * The compiled form of the bench file `name` (children run it), or undefined under ts-jest when
 * dist/ has not been built. `self` is the caller's __filename: compiled, it is that file.
 */
export function compiledScript(self: string, name: string): string | undefined {
  const script = self.endsWith('.js') ? self : join(projectRoot(), 'dist', 'bench', 'suites', `${name}.js`);
  return existsSync(script) ? script : undefined;
}

/** A message value as the floors send it: by VPP name, untyped (the floor is the same calls, raw). */
export type Row = Record<string, unknown>;

export const rawCall = (c: VppClient, name: string, v: Row): Promise<Row> =>
  (c.call as (d: unknown, v: unknown) => Promise<Row>)(messageDef(name), v);
