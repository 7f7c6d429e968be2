/**
 * Where each fleet fact lives in etcd, under one prefix (default /vppwg). The one owner of key
 * names: every reader, writer, the CLI and deploy/etcd's roles derive them from here.
 *
 *   nodes/<node>/desired            operator: the node's own desired-state document
 *   nodes/<node>/public/<net>       node: its public key for a network (durable, no lease)
 *   nodes/<node>/status             node: its status, under a lease
 *   nodes/<node>/claim              node: who runs as <node> now, under a lease
 *   nodes/<node>/rotate/<net>       operator: asks the node for a new key (the node deletes it)
 *   networks/<net>                  operator: the network, described once
 *   networks/<net>/members/<node>   operator: one member
 *   networks/<net>/addresses/<ip>   operator tooling: which member holds an allocated tunnel address
 */

export const DEFAULT_PREFIX = '/vppwg';

/** Node and network names: they become key segments, interface names and file names. */
export const NAME_PATTERN = /^[A-Za-z0-9][A-Za-z0-9_.-]{0,62}$/;

/** Shared between callers (parse keeps its answers): never changed. */
export type FleetKey = Readonly<
  | { kind: 'desired'; node: string }
  | { kind: 'public'; node: string; network: string }
  | { kind: 'status'; node: string }
  | { kind: 'claim'; node: string }
  | { kind: 'rotate'; node: string; network: string }
  | { kind: 'network'; network: string }
  | { kind: 'member'; network: string; node: string }
  | { kind: 'address'; network: string; address: string }
>;

/** Bound of FleetLayout's parse memo (cleared when reached). */
const PARSED_KEYS_KEPT = 100_000;

export class FleetLayout {
  readonly prefix: string;
  private readonly parsed = new Map<string, FleetKey | undefined>();

  constructor(prefix: string = DEFAULT_PREFIX) {
    if (!prefix.startsWith('/') || prefix.length < 2 || prefix.endsWith('/'))
      throw new Error(`etcd prefix ${JSON.stringify(prefix)} must start with '/' and not end with one, e.g. /vppwg`);
    this.prefix = prefix;
  }

  /** Everything the fleet keeps (a node follows only part of it: see followedPrefixes). */
  root(): string {
    return `${this.prefix}/`;
  }
  node(node: string): string {
    return `${this.prefix}/nodes/${checkName(node, 'node')}/`;
  }
  desired(node: string): string {
    return `${this.node(node)}desired`;
  }
  /** A node's public keys, one per network. */
  publicKeys(node: string): string {
    return `${this.node(node)}public/`;
  }
  publicKey(node: string, network: string): string {
    return `${this.publicKeys(node)}${checkName(network, 'network')}`;
  }
  status(node: string): string {
    return `${this.node(node)}status`;
  }
  claim(node: string): string {
    return `${this.node(node)}claim`;
  }
  rotate(node: string, network: string): string {
    return `${this.node(node)}rotate/${checkName(network, 'network')}`;
  }
  /** Every network with its members and addresses. */
  networks(): string {
    return `${this.prefix}/networks/`;
  }
  network(network: string): string {
    return `${this.networks()}${checkName(network, 'network')}`;
  }
  members(network: string): string {
    return `${this.network(network)}/members/`;
  }
  member(network: string, node: string): string {
    return `${this.members(network)}${checkName(node, 'node')}`;
  }
  addresses(network: string): string {
    return `${this.network(network)}/addresses/`;
  }
  address(network: string, address: string): string {
    return `${this.addresses(network)}${address}`;
  }

  /** What a full key names, or undefined for keys the fleet does not define (they are ignored). */
  parse(key: string): FleetKey | undefined {
    // Every load parses every mirrored key again: the answers are kept (a fleet has few distinct keys).
    if (this.parsed.has(key)) return this.parsed.get(key);
    if (this.parsed.size >= PARSED_KEYS_KEPT) this.parsed.clear();
    const k = this.parseKey(key);
    this.parsed.set(key, k);
    return k;
  }

  private parseKey(key: string): FleetKey | undefined {
    if (!key.startsWith(this.root())) return undefined;
    const parts = key.slice(this.root().length).split('/');
    const names = (...xs: (string | undefined)[]) => xs.every((x) => x !== undefined && NAME_PATTERN.test(x));
    const [a, b, c, d] = parts;
    if (a === 'nodes' && parts.length === 3 && names(b)) {
      if (c === 'desired') return { kind: 'desired', node: b! };
      if (c === 'status') return { kind: 'status', node: b! };
      if (c === 'claim') return { kind: 'claim', node: b! };
    }
    if (a === 'nodes' && parts.length === 4 && names(b, d)) {
      if (c === 'public') return { kind: 'public', node: b!, network: d! };
      if (c === 'rotate') return { kind: 'rotate', node: b!, network: d! };
    }
    if (a === 'networks' && parts.length === 2 && names(b)) return { kind: 'network', network: b! };
    if (a === 'networks' && parts.length === 4 && names(b) && c === 'members' && names(d))
      return { kind: 'member', network: b!, node: d! };
    if (a === 'networks' && parts.length === 4 && names(b) && c === 'addresses' && d)
      return { kind: 'address', network: b!, address: d };
    return undefined;
  }
}

export function checkName(name: string, what: 'node' | 'network'): string {
  if (!NAME_PATTERN.test(name))
    throw new Error(
      `${what} name ${JSON.stringify(name)} is not valid: use 1..63 letters, digits, '_', '.', '-', starting with a letter or digit`,
    );
  return name;
}
