/**
 * The fleet's values in etcd, typed and validated: a network, a member, a node's status. Each value
 * is YAML or JSON; a bad one is refused with a message naming its key and the fix, so a node keeps
 * its last good state instead of applying half a network. Shapes are checked by JSON Schemas
 * compiled once; addresses and cross-references by code that can say precisely what is wrong.
 */
import Ajv, { type ErrorObject, type ValidateFunction } from 'ajv';
import { parse as parseYaml } from 'yaml';
import { parseAddress, parsePrefix, prefixCovers } from '../config/addr';
import { canonicalAddress, canonicalPrefix } from '../config';
import { NAME_PATTERN } from './layout';

export interface FleetNetwork {
  readonly name: string;
  readonly topology: 'mesh' | 'hub-spoke';
  /** hub-spoke only: the members every other member peers with. */
  readonly hubs: readonly string[];
  readonly listenPort: number;
  readonly mtu?: number;
  readonly persistentKeepalive: number;
  /** Canonical prefix the members' tunnel addresses come from, e.g. '10.99.0.0/24'. */
  readonly overlay: string;
  /** Overlay FIB table of the tunnel interfaces (0 = default). */
  readonly table: number;
}

export interface FleetMember {
  readonly network: string;
  readonly node: string;
  /** Underlay address peers send to, and the tunnel's source on the node itself. */
  readonly endpoint: { readonly address: string; readonly port: number };
  /** Canonical host address inside the network's overlay. */
  readonly tunnelAddress: string;
  /** Canonical prefixes reached through this member. */
  readonly sitePrefixes: readonly string[];
}

/** What a node publishes under its lease (nodes/<node>/status). Never holds key material but public keys. */
export interface FleetNodeStatus {
  readonly node: string;
  readonly atMs: number;
  readonly vppConnected: boolean;
  readonly storeReachable: boolean;
  readonly lastReconcile?: {
    readonly atMs: number;
    readonly ok: boolean;
    readonly summary: string;
    readonly error?: string;
  };
  /** Why the fleet's last snapshot was refused, when it was. */
  readonly rejected?: string;
  readonly peers: readonly {
    readonly network: string;
    readonly node: string;
    readonly publicKey: string;
    readonly established: boolean;
    readonly sinceMs: number;
  }[];
}

/** A value the fleet cannot use: `message` names the key and says what to do. */
export class FleetValueError extends Error {
  constructor(
    readonly key: string,
    message: string,
  ) {
    super(`${key}: ${message}`);
  }
}

const NAME = NAME_PATTERN.source;

const networkSchema = {
  type: 'object',
  properties: {
    name: { type: 'string', pattern: NAME },
    topology: { enum: ['mesh', 'hub-spoke'] },
    hubs: { type: 'array', items: { type: 'string', pattern: NAME }, uniqueItems: true },
    listen_port: { type: 'integer', minimum: 1, maximum: 65535 },
    mtu: { type: 'integer', minimum: 68, maximum: 9216 },
    persistent_keepalive: { type: 'integer', minimum: 0, maximum: 65535 },
    overlay: { type: 'string' },
    table: { type: 'integer', minimum: 0, maximum: 4294967294 },
  },
  required: ['topology', 'listen_port', 'overlay'],
  additionalProperties: false,
} as const;

const memberSchema = {
  type: 'object',
  properties: {
    endpoint: {
      type: 'object',
      properties: {
        address: { type: 'string' },
        port: { type: 'integer', minimum: 1, maximum: 65535 },
      },
      required: ['address'],
      additionalProperties: false,
    },
    tunnel_address: { type: 'string' },
    site_prefixes: { type: 'array', items: { type: 'string' }, maxItems: 254 },
  },
  required: ['endpoint'],
  additionalProperties: false,
} as const;

let validators: { network: ValidateFunction; member: ValidateFunction } | undefined;
function compiled(): { network: ValidateFunction; member: ValidateFunction } {
  if (!validators) {
    const ajv = new Ajv({ allErrors: true, strict: true });
    validators = { network: ajv.compile(networkSchema), member: ajv.compile(memberSchema) };
  }
  return validators;
}

/** YAML or JSON text as data; a syntax error names the key. */
export function parseValue(key: string, text: string): unknown {
  // What the CLI writes is JSON: the fast parser first (every node parses every member on each change).
  if (/^\s*\{/.test(text)) {
    try {
      return JSON.parse(text) as unknown;
    } catch {
      // Not plain JSON after all (YAML flow style, or an error the YAML parser describes better).
    }
  }
  try {
    return parseYaml(text, { uniqueKeys: true }) as unknown;
  } catch (err) {
    throw new FleetValueError(key, `not valid YAML or JSON (${firstLine((err as Error).message)}): rewrite the value`);
  }
}

function checkShape(key: string, what: string, validate: ValidateFunction, data: unknown): void {
  if (data === null || typeof data !== 'object' || Array.isArray(data))
    throw new FleetValueError(key, `${what} must be a mapping: see the README section "Fleet mode (etcd)"`);
  if (!validate(data)) throw new FleetValueError(key, (validate.errors ?? []).map(describe).join('; '));
}

function describe(e: ErrorObject): string {
  const at = e.instancePath || '/';
  if (e.keyword === 'additionalProperties')
    return `${at}: unknown key "${(e.params as { additionalProperty: string }).additionalProperty}": remove it`;
  if (e.keyword === 'required')
    return `${at}: "${(e.params as { missingProperty: string }).missingProperty}" is required: add it`;
  if (e.keyword === 'enum')
    return `${at}: must be one of ${(e.params as { allowedValues: unknown[] }).allowedValues.join(', ')}`;
  return `${at}: ${e.message ?? 'invalid'}`;
}

export function parseNetwork(key: string, name: string, text: string): FleetNetwork {
  const data = parseValue(key, text);
  checkShape(key, 'a network', compiled().network, data);
  const d = data as {
    name?: string;
    topology: 'mesh' | 'hub-spoke';
    hubs?: string[];
    listen_port: number;
    mtu?: number;
    persistent_keepalive?: number;
    overlay: string;
    table?: number;
  };
  if (d.name !== undefined && d.name !== name)
    throw new FleetValueError(
      key,
      `/name: "${d.name}" differs from the key's network name "${name}": make them the same`,
    );
  const p = parsePrefix(d.overlay);
  if (!p)
    throw new FleetValueError(key, `/overlay: ${JSON.stringify(d.overlay)} is not a prefix: write e.g. 10.99.0.0/24`);
  const overlay = canonicalPrefix(d.overlay)!;
  if (!p.isNetwork) throw new FleetValueError(key, `/overlay: ${d.overlay} has host bits set: write ${overlay}`);
  if (p.len >= (p.family === 'ip4' ? 31 : 127))
    throw new FleetValueError(key, `/overlay: ${overlay} holds no room for members: give a shorter prefix`);
  const hubs = d.hubs ?? [];
  if (d.topology === 'hub-spoke' && hubs.length === 0)
    throw new FleetValueError(key, '/hubs: a hub-spoke network needs at least one hub: list the hub nodes');
  if (d.topology === 'mesh' && hubs.length > 0)
    throw new FleetValueError(key, '/hubs: a mesh has no hubs: remove hubs or set topology: hub-spoke');
  return {
    name,
    topology: d.topology,
    hubs,
    listenPort: d.listen_port,
    ...(d.mtu !== undefined ? { mtu: d.mtu } : {}),
    persistentKeepalive: d.persistent_keepalive ?? 0,
    overlay,
    table: d.table ?? 0,
  };
}

/**
 * A member as written; `tunnelAddress` is required here because the CLI allocates one before
 * writing (see admin.ts). Checked against its network: the address must lie inside the overlay.
 */
export function parseMember(key: string, network: FleetNetwork, node: string, text: string): FleetMember {
  const data = parseValue(key, text);
  return memberFromData(key, network, node, data, true) as FleetMember;
}

/** Shape and meaning of a member document; with `requireAddress` false the tunnel address may be left for allocation. */
export function memberFromData(
  key: string,
  network: FleetNetwork,
  node: string,
  data: unknown,
  requireAddress: boolean,
): FleetMember | Omit<FleetMember, 'tunnelAddress'> {
  checkShape(key, 'a member', compiled().member, data);
  const d = data as { endpoint: { address: string; port?: number }; tunnel_address?: string; site_prefixes?: string[] };
  const endpoint = canonicalAddress(d.endpoint.address);
  if (!endpoint)
    throw new FleetValueError(
      key,
      `/endpoint/address: ${JSON.stringify(d.endpoint.address)} is not an IP address: names are not resolved`,
    );
  const sitePrefixes = (d.site_prefixes ?? []).map((s, i) => {
    const c = canonicalPrefix(s);
    if (!c)
      throw new FleetValueError(
        key,
        `/site_prefixes/${i}: ${JSON.stringify(s)} is not a prefix: write e.g. 192.168.10.0/24`,
      );
    return c;
  });
  const base = {
    network: network.name,
    node,
    endpoint: { address: endpoint, port: d.endpoint.port ?? network.listenPort },
    sitePrefixes,
  };
  if (d.tunnel_address === undefined) {
    if (requireAddress)
      throw new FleetValueError(
        key,
        '/tunnel_address is missing: write one, or let `vppwg fleet put-member` allocate it',
      );
    return base;
  }
  const tunnelAddress = canonicalAddress(d.tunnel_address);
  const overlay = parsePrefix(network.overlay)!;
  const parsed = tunnelAddress ? parseAddress(tunnelAddress) : undefined;
  if (!tunnelAddress || !parsed)
    throw new FleetValueError(
      key,
      `/tunnel_address: ${JSON.stringify(d.tunnel_address)} is not an IP address (no /len: the overlay gives it)`,
    );
  if (parsed.family !== overlay.family || !prefixCovers(overlay, parsed))
    throw new FleetValueError(
      key,
      `/tunnel_address: ${tunnelAddress} is outside the network's overlay ${network.overlay}: pick one inside it`,
    );
  return { ...base, tunnelAddress };
}

export function firstLine(text: string): string {
  return text.split('\n')[0] ?? text;
}
