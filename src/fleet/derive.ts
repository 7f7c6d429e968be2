/**
 * A node's desired-state document from the fleet: its own `nodes/<node>/desired` plus one WireGuard
 * interface per network it is a member of, with a peer per other member it should reach (everyone
 * in a mesh; in hub-spoke, hubs reach everyone and spokes reach the hubs only). The result is a
 * document in the file's own schema, so the file's validation and the reconciler are unchanged.
 * Pure: no etcd, no disk; keys come in as arguments.
 */
import { parsePrefix } from '../config/addr';
import type { FleetMember, FleetNetwork } from './model';
import { compareText } from '../util/compare';

/** What a node sees of the fleet, already parsed and validated value by value. */
export interface FleetView {
  readonly networks: ReadonlyMap<string, FleetNetwork>;
  /** network -> node -> member */
  readonly members: ReadonlyMap<string, ReadonlyMap<string, FleetMember>>;
  /** `${node}/${network}` -> base64 public key the node published */
  readonly publicKeys: ReadonlyMap<string, string>;
}

/** A wireguard entry of the file's schema (snake_case, as YAML/JSON holds it). */
export type WireguardDocument = Record<string, unknown> & { name: string };

export interface DerivedInterfaces {
  readonly interfaces: WireguardDocument[];
  /** Peers left out for now, with why (a member that has not published its key yet). */
  readonly waiting: string[];
  /** The networks `node` is a member of. */
  readonly networks: string[];
  /**
   * The private keys, by the variable names the interfaces' `private_key: {env: ...}` give: passed
   * to the loader as its environment, so the document itself holds no secret.
   */
  readonly keyEnv: Record<string, string>;
}

export function publicKeyId(node: string, network: string): string {
  return `${node}/${network}`;
}

/** Who `node` peers with in `network`: mesh = all others; hub-spoke = all others for a hub, the hubs for a spoke. */
export function peersOf(network: FleetNetwork, members: ReadonlyMap<string, FleetMember>, node: string): FleetMember[] {
  const others = [...members.values()].filter((m) => m.node !== node).sort((a, b) => compareText(a.node, b.node));
  if (network.topology === 'mesh' || network.hubs.includes(node)) return others;
  return others.filter((m) => network.hubs.includes(m.node));
}

/**
 * The interfaces of `node`. `privateKeyOf(net)` gives the node's own base64 private key for a network
 * (held only in memory and in the state dir; it goes to the loader as an environment variable).
 */
export function deriveInterfaces(
  node: string,
  view: FleetView,
  privateKeyOf: (network: string) => string,
): DerivedInterfaces {
  const interfaces: WireguardDocument[] = [];
  const waiting: string[] = [];
  const networks: string[] = [];
  const keyEnv: Record<string, string> = {};
  for (const name of [...view.networks.keys()].sort()) {
    const network = view.networks.get(name)!;
    const members = view.members.get(name) ?? new Map<string, FleetMember>();
    const self = members.get(node);
    if (!self) continue;
    networks.push(name);
    const overlayLen = parsePrefix(network.overlay)!.len;
    const hostLen = parsePrefix(network.overlay)!.family === 'ip4' ? 32 : 128;
    const peers: Record<string, unknown>[] = [];
    for (const m of peersOf(network, members, node)) {
      const publicKey = view.publicKeys.get(publicKeyId(m.node, name));
      if (!publicKey) {
        waiting.push(`${name}/${m.node}: no public key published yet`);
        continue;
      }
      peers.push({
        name: m.node,
        public_key: publicKey,
        endpoint: { address: m.endpoint.address, port: m.endpoint.port },
        allowed_ips: [`${m.tunnelAddress}/${hostLen}`, ...m.sitePrefixes],
        persistent_keepalive: network.persistentKeepalive,
        tunnel_next_hops: [m.tunnelAddress],
        ...(m.sitePrefixes.length
          ? { routes: m.sitePrefixes.map((prefix) => ({ prefix, via: m.tunnelAddress })) }
          : {}),
      });
    }
    const keyVariable = `VPPWG_FLEET_KEY_${networks.length}`;
    keyEnv[keyVariable] = privateKeyOf(name);
    interfaces.push({
      name,
      private_key: { env: keyVariable },
      listen_port: self.endpoint.port,
      source: self.endpoint.address,
      addresses: [`${self.tunnelAddress}/${overlayLen}`],
      ...(network.mtu !== undefined ? { mtu: network.mtu } : {}),
      ...(network.table ? { table: network.table } : {}),
      peers,
    });
  }
  return { interfaces, waiting, networks, keyEnv };
}

/** Two members of one network holding the same tunnel address: each message names both keys. */
export function addressCollisions(view: FleetView, keyOf: (network: string, node: string) => string): string[] {
  const out: string[] = [];
  for (const [net, members] of view.members) {
    const seen = new Map<string, string>();
    for (const m of [...members.values()].sort((a, b) => compareText(a.node, b.node))) {
      const first = seen.get(m.tunnelAddress);
      if (first)
        out.push(
          `${keyOf(net, m.node)}: tunnel address ${m.tunnelAddress} is already held by ${keyOf(net, first)}: give one of them another address`,
        );
      else seen.set(m.tunnelAddress, m.node);
    }
  }
  return out;
}

/**
 * The node's document with the fleet's interfaces added. A hand-written interface with a network's
 * name is a conflict: the message names both places.
 */
export function composeDocument(
  own: Record<string, unknown> | undefined,
  ownKey: string,
  derived: readonly WireguardDocument[],
  networkKey: (network: string) => string,
): { document: Record<string, unknown>; conflicts: string[] } {
  const base = own ?? {};
  const handWritten = Array.isArray(base.wireguard) ? (base.wireguard as Record<string, unknown>[]) : [];
  const conflicts: string[] = [];
  for (const d of derived) {
    if (handWritten.some((w) => w.name === d.name))
      conflicts.push(
        `${ownKey} defines a wireguard interface "${d.name}" and so does the network ${networkKey(d.name)}: rename the hand-written one`,
      );
  }
  return { document: { ...base, wireguard: [...handWritten, ...derived] }, conflicts };
}
