/**
 * Reading a WireGuard interface's private key back from VPP: the one dump that asks for it. Used
 * once per interface, when an interface VPP generated the key of (before vppwg kept keys) gets its
 * key kept, so an upgrade changes no public key.
 */
import * as wireguard from 'vpp-api-ts/wireguard';
import type { VppClient } from '../client';

/** The private key of WireGuard interface `swIfIndex`, or undefined when VPP reports none (all zero). */
export async function readInterfacePrivateKey(client: VppClient, swIfIndex: number): Promise<Uint8Array | undefined> {
  const rows = await client.dump(wireguard.wireguard_interface_dump, {
    show_private_key: true,
    sw_if_index: swIfIndex,
  });
  const row = rows.find((r) => r.interface.sw_if_index === swIfIndex);
  if (!row) return undefined;
  const reported = row.interface.private_key;
  const key = Uint8Array.from(reported);
  // Keep one copy only: the caller's.
  for (const r of rows) r.interface.private_key.fill(0);
  return key.some((b) => b !== 0) ? key : undefined;
}
