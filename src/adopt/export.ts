/**
 * `vppwg export`: what VPP holds now, as a desired-state document (vppcfg's `dump`, `wg showconf`):
 * the WireGuard interfaces and their peers, the tunnel next hops and routes through them, the
 * uplinks they depend on (only the attributes they use) and the static routes reaching their
 * endpoints. Pure: it reads an observed ActualState; private keys come in only when the caller
 * read them from VPP to write them to files, and the document only ever names those files.
 */
import { Document, isMap, isNode, isScalar, isSeq, visit, type YAMLMap } from 'yaml';
import type { ActualInterface, ActualPeer, ActualRoute, ActualState } from '../reconcile/actual';
import { addressFamily, prefixContains, prefixLength, stripLength } from './prefixes';

export interface ExportOptions {
  /** VPP interface names (wg0, ...) to export; all WireGuard interfaces when absent. */
  interfaces?: readonly string[];
  /** Where each interface's private key was (or is to be) written: interface name → file path. */
  keyFiles?: ReadonlyMap<string, string>;
  /** Folder named in the document for keys not exported (default /etc/vppwg). */
  keyFolderHint?: string;
}

export interface ExportedInterface {
  /** VPP's name, also the logical name in the document. */
  readonly name: string;
  readonly swIfIndex: number;
  readonly peers: readonly { readonly name: string; readonly publicKey: string; readonly presharedKey: boolean }[];
}

export interface ExportResult {
  /** The document as plain data (the desired-state file's schema). */
  readonly document: Record<string, unknown>;
  readonly interfaces: readonly ExportedInterface[];
  /** Peers that have a preshared key in VPP, which VPP cannot give back: the operator adds each. */
  readonly presharedKeyPeers: readonly string[];
  /** Things the operator should know (a key not exported, a route left out and why). */
  readonly notes: readonly string[];
}

/** A peer name from its endpoint (file name rules: letters, digits, _ . -), else from its position. */
function peerName(p: ActualPeer, position: number, taken: Set<string>): string {
  let base = p.endpoint ? `peer-${p.endpoint.address.replace(/[^A-Za-z0-9.]+/g, '-')}` : `peer-${position}`;
  base = base.replace(/-+$/, '');
  let name = base;
  for (let n = 2; taken.has(name); n++) name = `${base}-${n}`;
  taken.add(name);
  return name;
}

function hostLength(address: string): number {
  return addressFamily(address) === 'ip6' ? 128 : 32;
}

/** The longest-prefix static route in `table` that covers `address` and does not go through a WireGuard interface. */
function underlayRouteFor(
  actual: ActualState,
  table: number,
  address: string,
  wireguardIndexes: ReadonlySet<number>,
): ActualRoute | undefined {
  let best: ActualRoute | undefined;
  const family = addressFamily(address);
  for (const r of actual.routes.values()) {
    if (r.table !== table || r.family !== family || r.heldBy !== undefined) continue;
    if (!r.paths.length || r.paths.some((p) => wireguardIndexes.has(p.swIfIndex))) continue;
    if (!prefixContains(r.prefix, address)) continue;
    if (!best || prefixLength(r.prefix) > prefixLength(best.prefix)) best = r;
  }
  return best;
}

export function exportDesiredState(actual: ActualState, opts: ExportOptions = {}): ExportResult {
  const notes: string[] = [];
  const wanted = opts.interfaces ? new Set(opts.interfaces) : undefined;
  const wireguardIndexes = new Set(actual.wireguard.keys());
  const selected = [...actual.wireguard.values()]
    .map((w) => ({ wg: w, itf: actual.interfaces.get(w.swIfIndex) }))
    .filter((x): x is { wg: typeof x.wg; itf: ActualInterface } => x.itf !== undefined)
    .filter((x) => !wanted || wanted.has(x.itf.name))
    .sort((a, b) => a.wg.instance - b.wg.instance);
  if (wanted) {
    const found = new Set(selected.map((x) => x.itf.name));
    const missing = [...wanted].filter((n) => !found.has(n));
    if (missing.length)
      throw new Error(
        `VPP has no WireGuard interface ${missing.join(', ')} (it has: ${
          [...actual.wireguard.values()].map((w) => actual.interfaces.get(w.swIfIndex)?.name ?? '?').join(', ') ||
          'none'
        })`,
      );
  }
  const peersByInterface = new Map<number, ActualPeer[]>();
  for (const p of actual.peers.values()) {
    const list = peersByInterface.get(p.swIfIndex) ?? [];
    list.push(p);
    peersByInterface.set(p.swIfIndex, list);
  }

  const uplinkAddresses = new Map<string, Set<string>>();
  const staticRoutes = new Map<string, ActualRoute>();
  const tables = new Map<number, Set<'ipv4' | 'ipv6'>>();
  const presharedKeyPeers: string[] = [];
  const exported: ExportedInterface[] = [];
  const wireguard: Record<string, unknown>[] = [];

  for (const { wg, itf } of selected) {
    // The uplink holding the source address, with every address it has: the file's `addresses`
    // must list them all, or vppwg would refuse to leave the others (they may be the way in).
    const holder = [...actual.interfaces.values()].find(
      (i) => !wireguardIndexes.has(i.swIfIndex) && i.addresses.some((a) => stripLength(a) === wg.source),
    );
    if (holder) {
      const set = uplinkAddresses.get(holder.name) ?? new Set<string>();
      for (const a of holder.addresses) set.add(a);
      uplinkAddresses.set(holder.name, set);
    } else notes.push(`${itf.name}: no interface holds its source ${wg.source}; add the uplink that should`);

    const table = itf.table.ip4 || itf.table.ip6;
    if (itf.table.ip4 !== itf.table.ip6)
      notes.push(
        `${itf.name}: bound to IPv4 table ${itf.table.ip4} and IPv6 table ${itf.table.ip6}; vppwg binds one table for both, exported ${table}`,
      );
    if (table) {
      const fams = tables.get(table) ?? new Set();
      for (const a of itf.addresses) fams.add(addressFamily(stripLength(a)) === 'ip6' ? 'ipv6' : 'ipv4');
      if (!fams.size) fams.add('ipv4');
      tables.set(table, fams);
    }

    const peers = (peersByInterface.get(wg.swIfIndex) ?? []).sort((a, b) => a.peerIndex - b.peerIndex);
    // Routes through this interface, given to the peer whose allowed IPs hold their next hop.
    const routesHere = [...actual.routes.values()].filter(
      (r) => r.heldBy === undefined && r.paths.some((p) => p.swIfIndex === wg.swIfIndex),
    );
    const taken = new Set<string>();
    const peerDocs: Record<string, unknown>[] = [];
    const peerInfo: { name: string; publicKey: string; presharedKey: boolean }[] = [];
    peers.forEach((p, i) => {
      const name = peerName(p, i + 1, taken);
      const nextHops: string[] = [];
      const routes: { prefix: string; via: string }[] = [];
      for (const r of routesHere) {
        for (const path of r.paths) {
          if (path.swIfIndex !== wg.swIfIndex || !p.allowedIps.some((a) => prefixContains(a, path.nh))) continue;
          const host = `${path.nh}/${hostLength(path.nh)}`;
          if (r.prefix === host) nextHops.push(path.nh);
          else routes.push({ prefix: r.prefix, via: path.nh });
        }
      }
      const doc: Record<string, unknown> = { name, public_key: p.publicKey };
      if (p.endpoint) doc.endpoint = { address: p.endpoint.address, port: p.endpoint.port };
      doc.allowed_ips = [...p.allowedIps];
      if (p.persistentKeepalive) doc.persistent_keepalive = p.persistentKeepalive;
      if (p.underlayTable) doc.underlay_table = p.underlayTable;
      if (nextHops.length) doc.tunnel_next_hops = nextHops;
      if (routes.length) doc.routes = routes;
      peerDocs.push(doc);
      const psk = p.presharedKeySet === true;
      if (psk) presharedKeyPeers.push(`${itf.name}/${name}`);
      peerInfo.push({ name, publicKey: p.publicKey, presharedKey: psk });
      if (p.endpoint) {
        const route = underlayRouteFor(actual, p.underlayTable, p.endpoint.address, wireguardIndexes);
        if (route) staticRoutes.set(`${route.table}|${route.prefix}`, route);
      }
    });

    const keyFile = opts.keyFiles?.get(itf.name) ?? `${opts.keyFolderHint ?? '/etc/vppwg'}/${itf.name}.key`;
    if (!opts.keyFiles?.has(itf.name))
      notes.push(`${itf.name}: its private key was not exported: write it to ${keyFile} (vppwg export --keys-dir DIR)`);
    const doc: Record<string, unknown> = {
      name: itf.name,
      instance: wg.instance,
      private_key: { file: keyFile },
      listen_port: wg.listenPort,
      source: wg.source,
    };
    if (itf.addresses.length) doc.addresses = [...itf.addresses];
    if (itf.mtu[0]) doc.mtu = itf.mtu[0];
    if (table) doc.table = table;
    doc.admin_up = itf.adminUp;
    doc.peers = peerDocs;
    wireguard.push(doc);
    exported.push({ name: itf.name, swIfIndex: wg.swIfIndex, peers: peerInfo });
  }

  const interfaceNameOf = (swIfIndex: number): string | undefined => actual.interfaces.get(swIfIndex)?.name;
  const routes: Record<string, unknown>[] = [];
  for (const r of staticRoutes.values()) {
    const path = r.paths[0]!;
    const via = path.nh;
    const itf = interfaceNameOf(path.swIfIndex);
    if (!itf || via === '0.0.0.0' || via === '::') {
      notes.push(`route ${r.prefix} (table ${r.table}) reaching an endpoint has no next hop vppwg can state; left out`);
      continue;
    }
    routes.push({ prefix: r.prefix, via, interface: itf, ...(r.table ? { table: r.table } : {}) });
    if (!uplinkAddresses.has(itf)) uplinkAddresses.set(itf, new Set());
  }

  const document: Record<string, unknown> = { version: 1 };
  if (uplinkAddresses.size)
    document.uplinks = [...uplinkAddresses].map(([name, addrs]) => ({
      name,
      ...(addrs.size ? { addresses: [...addrs] } : {}),
    }));
  if (routes.length) document.routes = routes;
  if (tables.size)
    document.tables = [...tables].map(([id, fams]) => {
      const vppName = actual.tables.find((t) => t.id === id)?.name;
      const name = vppName && !vppName.startsWith('vppwg:') && vppName.length <= 63 ? vppName : `table-${id}`;
      return { id, name, families: [...fams].sort() };
    });
  document.wireguard = wireguard;
  return { document, interfaces: exported, presharedKeyPeers, notes };
}

/** The document as YAML with comments saying what export could not know (keys, learned endpoints). */
export function exportToYaml(result: ExportResult, source: string): string {
  const doc = new Document(result.document);
  doc.commentBefore =
    ` Exported by vppwg from ${source}.` +
    `\n Review it, then \`vppwg adopt\` it to take the tunnels over without touching them.` +
    `\n Endpoints are as VPP shows them now: for a road-warrior peer whose endpoint VPP` +
    `\n learned from its handshake, delete the endpoint.`;
  // Lists of plain values on one line, as the examples write them.
  visit(doc, {
    Seq(_, seq) {
      if (seq.items.every((i) => isScalar(i))) seq.flow = true;
    },
  });
  const wg = doc.get('wireguard');
  if (isSeq(wg)) {
    wg.items.forEach((item, i) => {
      const exported = result.interfaces[i];
      if (!isMap(item) || !exported) return;
      const key = (item as YAMLMap).get('private_key', true);
      if (isNode(key)) key.comment = ' never printed: vppwg export --keys-dir DIR writes it (mode 0600)';
      const peers = (item as YAMLMap).get('peers');
      if (!isSeq(peers)) return;
      peers.items.forEach((peer, j) => {
        if (exported.peers[j]?.presharedKey && isMap(peer))
          (peer as YAMLMap).commentBefore =
            ' VPP holds a preshared key for this peer and cannot give it back: add preshared_key: { file: PATH }';
      });
    });
  }
  for (const n of result.notes) doc.comment = (doc.comment ? `${doc.comment}\n` : '') + ` note: ${n}`;
  return doc.toString({ lineWidth: 0 });
}
