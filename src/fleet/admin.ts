/**
 * What operators do to the fleet (the `vppwg fleet` commands): write a network, a member, a node's
 * desired document, ask a node for a new key, read the fleet's status. Every value is validated
 * before it is written, and written in a transaction on the mod revision it was read at, so two
 * operators never overwrite each other silently; tunnel addresses are allocated collision-free.
 */
import type { Etcd3 } from 'etcd3';
import { randomUUID } from 'node:crypto';
import { bigintToText, familyWidth, parseAddress, parsePrefix } from '../config/addr';
import { parseDesiredState, formatDiagnostic } from '../config';
import { checkName, type FleetLayout } from './layout';
import {
  FleetValueError,
  memberFromData,
  parseNetwork,
  parseValue,
  type FleetMember,
  type FleetNetwork,
  type FleetNodeStatus,
} from './model';

export class FleetAdminError extends Error {}

/** The key's value and its mod revision ('0' when absent). */
async function read(client: Etcd3, key: string): Promise<{ value?: string; modRevision: string }> {
  const res = await client.get(key).exec();
  const kv = res.kvs[0];
  return kv ? { value: kv.value.toString(), modRevision: kv.mod_revision } : { modRevision: '0' };
}

function conflict(key: string): FleetAdminError {
  return new FleetAdminError(
    `${key} was changed by someone else since it was read: nothing was written; look at it again and retry`,
  );
}

/**
 * Writes `value` at `key` only if the key is still at `modRevision` ('0': still absent). With
 * `expectRevision` the operator's own reading (`--if-revision`) is what must still hold.
 */
async function writeIfUnchanged(client: Etcd3, key: string, value: string, modRevision: string): Promise<string> {
  const cmp = modRevision === '0' ? client.if(key, 'Version', '==', 0) : client.if(key, 'Mod', '==', modRevision);
  const res = await cmp.then(client.put(key).value(value)).commit();
  if (!res.succeeded) throw conflict(key);
  return res.header.revision;
}

function checkExpected(key: string, found: string, expected: string | undefined): void {
  if (expected !== undefined && expected !== found)
    throw new FleetAdminError(
      `${key} is at revision ${found}, not ${expected} as given with --if-revision: someone changed it; look at it again`,
    );
}

export interface WriteResult {
  key: string;
  revision: string;
}

/** `fleet put-network FILE`: the file names the network (`name:`) unless `name` is given. */
export async function putNetwork(
  client: Etcd3,
  layout: FleetLayout,
  text: string,
  opts: { name?: string; expectRevision?: string } = {},
): Promise<WriteResult> {
  const data = parseValue('the network file', text) as { name?: unknown } | null;
  const name = opts.name ?? (typeof data?.name === 'string' ? data.name : undefined);
  if (!name) throw new FleetAdminError('the network file has no name: add `name: NET` to it');
  checkName(name, 'network');
  const key = layout.network(name);
  parseNetwork(key, name, text);
  const current = await read(client, key);
  checkExpected(key, current.modRevision, opts.expectRevision);
  return { key, revision: await writeIfUnchanged(client, key, text, current.modRevision) };
}

/** `fleet put-desired NODE FILE`: the node's own desired document, checked as the file would be. */
export async function putDesired(
  client: Etcd3,
  layout: FleetLayout,
  node: string,
  text: string,
  opts: { expectRevision?: string } = {},
): Promise<WriteResult> {
  const key = layout.desired(node);
  // Key sources ({file}, {env}) name the node's files and variables: they cannot be checked here.
  const { diagnostics } = parseDesiredState(text, key, { env: new Proxy({}, { get: () => KEY_PLACEHOLDER }) });
  const errors = diagnostics.filter((d) => d.severity === 'error' && !d.path.endsWith('/file'));
  if (errors.length) throw new FleetAdminError(errors.map(formatDiagnostic).join('\n'));
  const current = await read(client, key);
  checkExpected(key, current.modRevision, opts.expectRevision);
  return { key, revision: await writeIfUnchanged(client, key, text, current.modRevision) };
}

/** Stands in for environment key sources while checking a document away from its node. */
const KEY_PLACEHOLDER = 'AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA=';

async function networkOf(client: Etcd3, layout: FleetLayout, net: string): Promise<FleetNetwork> {
  const key = layout.network(net);
  const { value } = await read(client, key);
  if (value === undefined)
    throw new FleetAdminError(
      `network ${net} does not exist (${key}): write it first with \`vppwg fleet put-network\``,
    );
  return parseNetwork(key, net, value);
}

async function membersOf(client: Etcd3, layout: FleetLayout, network: FleetNetwork): Promise<FleetMember[]> {
  const prefix = layout.members(network.name);
  const kvs = await client.getAll().prefix(prefix).strings();
  const out: FleetMember[] = [];
  for (const [key, text] of Object.entries(kvs)) {
    const k = layout.parse(key);
    if (k?.kind !== 'member') continue;
    try {
      out.push(memberFromData(key, network, k.node, parseValue(key, text), true) as FleetMember);
    } catch (err) {
      if (!(err instanceof FleetValueError)) throw err;
    }
  }
  return out;
}

/**
 * `fleet put-member NET NODE FILE`: without `tunnel_address` one is allocated, the lowest free host
 * address of the overlay; the address is claimed (networks/<net>/addresses/<ip>) in the same
 * transaction as the member, so two operators adding members at once never get the same one.
 */
export async function putMember(
  client: Etcd3,
  layout: FleetLayout,
  net: string,
  node: string,
  text: string,
  opts: { expectRevision?: string } = {},
): Promise<WriteResult & { tunnelAddress: string }> {
  checkName(node, 'node');
  const network = await networkOf(client, layout, net);
  const key = layout.member(net, node);
  const data = parseValue(key, text);
  const member = memberFromData(key, network, node, data, false);
  for (let attempt = 0; attempt < 10; attempt++) {
    const current = await read(client, key);
    checkExpected(key, current.modRevision, opts.expectRevision);
    const others = (await membersOf(client, layout, network)).filter((m) => m.node !== node);
    const held = new Set(others.map((m) => m.tunnelAddress));
    // A member written again without an address keeps the one it has.
    const previous = current.value === undefined ? undefined : addressIn(key, current.value);
    let address = 'tunnelAddress' in member ? member.tunnelAddress : previous;
    if (address && held.has(address))
      throw new FleetAdminError(
        `${key}: tunnel address ${address} is already held by ${layout.member(net, others.find((m) => m.tunnelAddress === address)!.node)}: pick another or leave it out to have one allocated`,
      );
    const claims = await client.getAll().prefix(layout.addresses(net)).strings();
    if (!address)
      address = firstFree(
        network,
        held,
        new Set(Object.keys(claims).map((k) => k.slice(layout.addresses(net).length))),
      );
    const claimKey = layout.address(net, address);
    const claimedBy = claims[claimKey];
    if (claimedBy !== undefined && claimedBy !== node) {
      if ('tunnelAddress' in member)
        throw new FleetAdminError(
          `${key}: tunnel address ${address} is claimed by node ${claimedBy} (${claimKey}): pick another`,
        );
      continue;
    }
    const stored = { ...(data as Record<string, unknown>), tunnel_address: address };
    const txn = (
      current.modRevision === '0'
        ? client.if(key, 'Version', '==', 0)
        : client.if(key, 'Mod', '==', current.modRevision)
    ).and(claimKey, 'Version', claimedBy === undefined ? '==' : '>', 0);
    const res = await txn
      .then(
        client.put(claimKey).value(node),
        client.put(key).value(JSON.stringify(stored)),
        ...(previous && previous !== address ? [client.delete().key(layout.address(net, previous))] : []),
      )
      .commit();
    if (res.succeeded) return { key, revision: res.header.revision, tunnelAddress: address };
    if (opts.expectRevision !== undefined || 'tunnelAddress' in member) throw conflict(key);
    // Someone took the address (or changed the member) meanwhile: read again and pick again.
  }
  throw conflict(key);
}

function firstFree(network: FleetNetwork, held: ReadonlySet<string>, claimed: ReadonlySet<string>): string {
  const p = parsePrefix(network.overlay)!;
  const size = 1n << BigInt(familyWidth(p.family) - p.len);
  // Skip the network address, and IPv4's broadcast address.
  const last = p.family === 'ip4' ? size - 2n : size - 1n;
  for (let i = 1n; i <= last && i < 1n << 20n; i++) {
    const text = bigintToText(p.network + i, p.family);
    if (!held.has(text) && !claimed.has(text)) return text;
  }
  throw new FleetAdminError(
    `network ${network.name}: no free tunnel address left in ${network.overlay}: give a larger overlay`,
  );
}

/** The tunnel address a stored member holds, if it holds a readable one. */
function addressIn(key: string, text: string): string | undefined {
  try {
    const data = parseValue(key, text) as { tunnel_address?: unknown } | null;
    return typeof data?.tunnel_address === 'string' ? parseAddress(data.tunnel_address)?.text : undefined;
  } catch {
    return undefined;
  }
}

/** `fleet remove-member NET NODE`: its peer disappears on every other member; its address is freed. */
export async function removeMember(client: Etcd3, layout: FleetLayout, net: string, node: string): Promise<boolean> {
  const key = layout.member(net, node);
  const current = await read(client, key);
  if (current.value === undefined) return false;
  const address = addressIn(key, current.value);
  const ops = [client.delete().key(key)];
  if (address) ops.push(client.delete().key(layout.address(net, address)));
  const res = await client
    .if(key, 'Mod', '==', current.modRevision)
    .then(...ops)
    .commit();
  if (!res.succeeded) throw conflict(key);
  return true;
}

/**
 * `fleet rotate-key --node N --network NET`: asks the node for a new key. With `waitMs`, waits
 * until the node published a different public key, and returns it.
 */
export async function rotateKey(
  client: Etcd3,
  layout: FleetLayout,
  node: string,
  net: string,
  waitMs = 0,
): Promise<{ requested: string; publicKey?: string }> {
  const memberKey = layout.member(net, node);
  if ((await read(client, memberKey)).value === undefined)
    throw new FleetAdminError(`node ${node} is no member of network ${net} (${memberKey}): check the names`);
  const pubKey = layout.publicKey(node, net);
  const before = (await read(client, pubKey)).value;
  const request = layout.rotate(node, net);
  await client.put(request).value(`${new Date().toISOString()} ${randomUUID()}`);
  if (!waitMs) return { requested: request };
  const deadline = Date.now() + waitMs;
  while (Date.now() < deadline) {
    const now = (await read(client, pubKey)).value;
    if (now !== undefined && now !== before) return { requested: request, publicKey: now };
    await new Promise((r) => setTimeout(r, 100));
  }
  throw new FleetAdminError(
    `node ${node} did not publish a new key for ${net} within ${waitMs} ms: is its agent running (see \`vppwg fleet status\`)? The request stays at ${request}`,
  );
}

export interface FleetStatusReport {
  storeReachable: true;
  revision: string;
  networks: { name: string; topology?: string; members: string[]; error?: string }[];
  nodes: {
    name: string;
    /** An agent holds the name (its lease is alive). */
    up: boolean;
    status?: FleetNodeStatus;
    peersUp: number;
    peersTotal: number;
    networks: string[];
    healthy: boolean;
    error?: string;
  }[];
}

/** `fleet status`: every node and network, from one consistent read of the prefix. */
export async function fleetStatus(client: Etcd3, layout: FleetLayout): Promise<FleetStatusReport> {
  const res = await client.getAll().prefix(layout.root()).exec();
  const nodes = new Map<string, FleetStatusReport['nodes'][number]>();
  const networks = new Map<string, FleetStatusReport['networks'][number]>();
  const nodeOf = (name: string) => {
    let n = nodes.get(name);
    if (!n) nodes.set(name, (n = { name, up: false, peersUp: 0, peersTotal: 0, networks: [], healthy: false }));
    return n;
  };
  const netOf = (name: string) => {
    let n = networks.get(name);
    if (!n) networks.set(name, (n = { name, members: [] }));
    return n;
  };
  for (const kv of res.kvs) {
    const key = kv.key.toString();
    const value = kv.value.toString();
    const k = layout.parse(key);
    if (!k) continue;
    if (k.kind === 'claim') nodeOf(k.node).up = true;
    else if (k.kind === 'desired') nodeOf(k.node);
    else if (k.kind === 'member') {
      netOf(k.network).members.push(k.node);
      nodeOf(k.node).networks.push(k.network);
    } else if (k.kind === 'network') {
      const n = netOf(k.network);
      try {
        n.topology = parseNetwork(key, k.network, value).topology;
      } catch (err) {
        n.error = (err as Error).message;
      }
    } else if (k.kind === 'status') {
      const n = nodeOf(k.node);
      try {
        n.status = JSON.parse(value) as FleetNodeStatus;
      } catch {
        n.error = `${key} is not JSON: the node rewrites it within seconds`;
      }
    }
  }
  for (const n of nodes.values()) {
    const peers = n.status?.peers ?? [];
    n.peersTotal = peers.length;
    n.peersUp = peers.filter((p) => p.established).length;
    const s = n.status;
    n.healthy =
      n.up &&
      !!s &&
      s.vppConnected &&
      s.storeReachable &&
      !!s.lastReconcile?.ok &&
      !s.rejected &&
      n.peersUp === n.peersTotal;
  }
  const byName = <T extends { name: string }>(m: Map<string, T>) =>
    [...m.values()].sort((a, b) => a.name.localeCompare(b.name));
  return { storeReachable: true, revision: res.header.revision, networks: byName(networks), nodes: byName(nodes) };
}

export function formatFleetStatus(r: FleetStatusReport): string {
  const rows = r.nodes.map((n) => {
    const s = n.status;
    const last = s?.lastReconcile
      ? `${new Date(s.lastReconcile.atMs).toISOString()} ${s.lastReconcile.ok ? 'ok' : 'FAILED'} (${s.lastReconcile.summary})${s.lastReconcile.error ? `: ${s.lastReconcile.error}` : ''}`
      : '-';
    return [
      n.name,
      n.up ? 'yes' : 'no',
      n.healthy ? 'yes' : 'no',
      `${n.peersUp}/${n.peersTotal}`,
      s ? (s.vppConnected ? 'connected' : 'lost') : '-',
      s ? (s.storeReachable ? 'reachable' : 'unreachable') : '-',
      last + (s?.rejected ? `; rejected: ${s.rejected}` : ''),
    ];
  });
  const table = [['NODE', 'UP', 'HEALTHY', 'PEERS', 'VPP', 'STORE', 'LAST RECONCILE'], ...rows];
  const widths = table[0]!.map((_, i) => Math.max(...table.map((row) => row[i]!.length)));
  const lines: string[] = [];
  for (const row of table) lines.push(row.map((c, i) => (i === row.length - 1 ? c : c.padEnd(widths[i]!))).join('  '));
  lines.push('', 'NETWORK  TOPOLOGY  MEMBERS');
  for (const n of r.networks)
    lines.push(`${n.name}  ${n.topology ?? '?'}  ${n.members.join(', ') || '-'}${n.error ? `  (${n.error})` : ''}`);
  return lines.join('\n') + '\n';
}
