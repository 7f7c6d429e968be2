/**
 * Reading WireGuard private keys back from VPP (its interface dump returns them when asked) and
 * writing each to a file of mode 0600: the only way export handles a private key. Never printed.
 */
import { closeSync, mkdirSync, openSync, readFileSync, writeSync } from 'node:fs';
import { join } from 'node:path';
import * as wireguard from 'vpp-api-ts/wireguard';
import type { VppClient } from '../client';
import { decodeKey, encodeKey } from '../config/keys';
import { bytesEqual } from '../reconcile/actual';

/** Each interface's private key, by sw_if_index, as VPP holds it. */
export async function readPrivateKeys(
  client: VppClient,
  swIfIndexes: readonly number[],
): Promise<Map<number, Uint8Array>> {
  const out = new Map<number, Uint8Array>();
  for (const idx of swIfIndexes) {
    const rows = await client.dump(wireguard.wireguard_interface_dump, { show_private_key: true, sw_if_index: idx });
    const row = rows.find((r) => r.interface.sw_if_index === idx);
    if (!row) throw new Error(`VPP no longer has WireGuard interface sw_if_index ${idx}`);
    out.set(idx, new Uint8Array(row.interface.private_key));
  }
  return out;
}

/**
 * Writes `key` to DIR/<name>.key with mode 0600 (the folder made 0700). An existing file holding
 * the same key is kept; one holding another key is an error, never overwritten.
 */
export function writeKeyFile(dir: string, name: string, key: Uint8Array): string {
  mkdirSync(dir, { recursive: true, mode: 0o700 });
  const path = join(dir, `${name}.key`);
  let fd: number;
  try {
    fd = openSync(path, 'wx', 0o600);
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code !== 'EEXIST') throw err;
    const existing = decodeKey(readFileSync(path, 'utf8'));
    if (existing && bytesEqual(existing, key)) return path;
    throw new Error(`${path} exists and holds another key: move it away or choose another --keys-dir`);
  }
  try {
    writeSync(fd, encodeKey(key) + '\n');
  } finally {
    closeSync(fd);
  }
  return path;
}
