/**
 * Private keys of `private_key: generate` interfaces, kept in the state directory: generated once
 * by vppwg and reused, so neither a VPP restart (the interface is recreated) nor a vppwg restart
 * changes an interface's public key. An interface VPP generated the key of (vppwg before it kept
 * keys) keeps VPP's key, so upgrading breaks no peer.
 */
import type { VppClient } from '../client';
import { encodeKey, generatePrivateKey, publicKeyOf } from '../config/keys';
import type { DesiredState } from '../config/model';
import type { StateDir } from '../state';
import { makeSecretKey } from '../util/secrets';
import type { ActualState } from './actual';
import { readInterfacePrivateKey } from './vpp-keys';
import type { SecretKey } from '../config/model';

export interface InterfaceKey {
  readonly key: SecretKey;
  /** base64, as VPP reports it. */
  readonly publicKey: string;
  /** 'kept': read from the state directory; 'vpp': VPP's own, to be kept; 'new': generated now, to be kept. */
  readonly origin: 'kept' | 'vpp' | 'new';
  /** The key file in the state directory. */
  readonly path: string;
}

/** The key each 'generate' interface of `desired` uses, by logical name. Writes nothing. */
export async function resolveInterfaceKeys(
  client: VppClient,
  desired: DesiredState,
  actual: ActualState,
  stateDir: StateDir,
): Promise<Map<string, InterfaceKey>> {
  const out = new Map<string, InterfaceKey>();
  for (const d of desired.wireguard) {
    if (d.privateKey !== 'generate') continue;
    const path = stateDir.interfaceKeyPath(d.name);
    let bytes = stateDir.readInterfaceKey(d.name);
    let origin: InterfaceKey['origin'] = 'kept';
    if (!bytes) {
      const idx = actual.owned.interfaces.get(d.name);
      bytes = idx === undefined ? undefined : await readInterfacePrivateKey(client, idx);
      origin = bytes ? 'vpp' : 'new';
      bytes ??= generatePrivateKey();
    }
    const key = makeSecretKey(bytes, origin === 'kept' ? `file ${path}` : 'generate');
    bytes.fill(0);
    out.set(d.name, { key, publicKey: encodeKey(publicKeyOf(key.bytes)), origin, path });
  }
  return out;
}

/** Keeps the keys not yet kept (mode 0600): before any interface is created with one. */
export function keepInterfaceKeys(stateDir: StateDir, keys: ReadonlyMap<string, InterfaceKey>): void {
  for (const [name, k] of keys) if (k.origin !== 'kept') stateDir.writeInterfaceKey(name, k.key.bytes);
}
