/**
 * The node's private key per network: generated on the node, kept in the state directory (mode
 * 0600, file keys/<network>.key: the interface carries the network's name), reused across
 * restarts, replaced only on a rotation request. Only its public key ever leaves this object.
 */
import { encodeKey, generatePrivateKey, publicKeyOf } from '../config/keys';
import type { StateDir } from '../state';

export class NodeKeys {
  private readonly keys = new Map<string, Uint8Array>();
  /** Derived once per key: every load asks for it, and deriving costs an X25519 operation. */
  private readonly publicKeys = new Map<string, string>();

  constructor(private readonly stateDir: StateDir) {}

  /** The kept key of `network`, generated and kept on first use. */
  private key(network: string): Uint8Array {
    let key = this.keys.get(network) ?? this.stateDir.readInterfaceKey(network);
    if (!key) {
      key = generatePrivateKey();
      this.stateDir.writeInterfaceKey(network, key);
    }
    this.keys.set(network, key);
    return key;
  }

  /** Base64 private key, for the in-memory desired document only. */
  privateKeyText(network: string): string {
    return encodeKey(this.key(network));
  }

  publicKey(network: string): string {
    let pub = this.publicKeys.get(network);
    if (pub === undefined) {
      pub = encodeKey(publicKeyOf(this.key(network)));
      this.publicKeys.set(network, pub);
    }
    return pub;
  }

  /** A new key for `network`, kept before it is used; returns the new public key. */
  rotate(network: string): string {
    const key = generatePrivateKey();
    this.stateDir.writeInterfaceKey(network, key);
    this.keys.get(network)?.fill(0);
    this.keys.set(network, key);
    this.publicKeys.delete(network);
    return this.publicKey(network);
  }
}
