/**
 * From the raw keys a node mirrors (key -> text) to the typed FleetView, value by value. A bad value
 * becomes an error naming its key; it is relevant to a node only when it touches that node (its own
 * keys, or a network it is a member of), so one operator's typo in another network stops no one else.
 */
import { decodeKey } from '../config/keys';
import { publicKeyId, type FleetView } from './derive';
import type { FleetLayout } from './layout';
import { FleetValueError, parseMember, parseNetwork, parseValue, type FleetMember, type FleetNetwork } from './model';

export interface ViewError {
  readonly message: string;
  readonly network?: string;
  readonly node?: string;
}

export interface ParsedFleet {
  readonly view: FleetView;
  readonly errors: readonly ViewError[];
  /** node -> raw desired text with its key */
  readonly desired: ReadonlyMap<string, { key: string; text: string }>;
  /** `${node}/${network}` -> the rotation request's value */
  readonly rotations: ReadonlyMap<string, string>;
}

/**
 * Parsed networks and members by key and text: every node parses every value on each change, and
 * most values did not change (a network's members are parsed against its parsed value, whose
 * object stays the same while its text does). Values are never changed once parsed.
 */
const parsedValues = new Map<string, { text: string; network?: FleetNetwork; value: FleetNetwork | FleetMember }>();
const PARSED_VALUES_KEPT = 100_000;

function memo<T extends FleetNetwork | FleetMember>(
  key: string,
  text: string,
  network: FleetNetwork | undefined,
  parse: () => T,
): T {
  const hit = parsedValues.get(key);
  if (hit && hit.text === text && hit.network === network) return hit.value as T;
  const value = parse();
  if (parsedValues.size >= PARSED_VALUES_KEPT) parsedValues.clear();
  parsedValues.set(key, { text, ...(network ? { network } : {}), value });
  return value;
}

export function parseFleet(layout: FleetLayout, kvs: ReadonlyMap<string, string>): ParsedFleet {
  const errors: ViewError[] = [];
  const networks = new Map<string, FleetNetwork>();
  const members = new Map<string, Map<string, FleetMember>>();
  const publicKeys = new Map<string, string>();
  const desired = new Map<string, { key: string; text: string }>();
  const rotations = new Map<string, string>();
  const memberKeys: { key: string; network: string; node: string; text: string }[] = [];
  const attempt = (where: Omit<ViewError, 'message'>, f: () => void) => {
    try {
      f();
    } catch (err) {
      if (!(err instanceof FleetValueError)) throw err;
      errors.push({ ...where, message: err.message });
    }
  };
  for (const [key, text] of kvs) {
    const k = layout.parse(key);
    if (!k) continue;
    switch (k.kind) {
      case 'network':
        attempt({ network: k.network }, () =>
          networks.set(
            k.network,
            memo(key, text, undefined, () => parseNetwork(key, k.network, text)),
          ),
        );
        break;
      case 'member':
        memberKeys.push({ key, network: k.network, node: k.node, text });
        break;
      case 'public':
        if (decodeKey(text)) publicKeys.set(publicKeyId(k.node, k.network), text.trim());
        else
          errors.push({
            network: k.network,
            node: k.node,
            message: `${key}: not a base64 WireGuard public key: delete it; node ${k.node} publishes its key again`,
          });
        break;
      case 'desired':
        desired.set(k.node, { key, text });
        break;
      case 'rotate':
        rotations.set(publicKeyId(k.node, k.network), text);
        break;
      default:
        break;
    }
  }
  for (const m of memberKeys) {
    const network = networks.get(m.network);
    // A member of a network not (or not validly) described yet waits for it.
    if (!network) continue;
    attempt({ network: m.network, node: m.node }, () => {
      let byNode = members.get(m.network);
      if (!byNode) members.set(m.network, (byNode = new Map()));
      byNode.set(
        m.node,
        memo(m.key, m.text, network, () => parseMember(m.key, network, m.node, m.text)),
      );
    });
  }
  return { view: { networks, members, publicKeys }, errors, desired, rotations };
}

/** The errors that concern `node`: its own keys and every network it is (or is written as) a member of. */
export function errorsFor(
  node: string,
  kvs: ReadonlyMap<string, string>,
  layout: FleetLayout,
  parsed: ParsedFleet,
): string[] {
  const mine = new Set<string>();
  for (const key of kvs.keys()) {
    const k = layout.parse(key);
    if (k?.kind === 'member' && k.node === node) mine.add(k.network);
  }
  return parsed.errors
    .filter((e) => (e.node === node && e.network === undefined) || (e.network !== undefined && mine.has(e.network)))
    .map((e) => e.message);
}

/** The last parse of each desired document, by key: every load reads the node's own again. Never changed. */
const parsedDesired = new Map<string, { text: string; data: unknown }>();

/** The node's own desired document as data (YAML or JSON), or undefined when none is written. */
export function desiredData(entry: { key: string; text: string } | undefined): Record<string, unknown> | undefined {
  if (!entry) return undefined;
  let hit = parsedDesired.get(entry.key);
  if (hit?.text !== entry.text) {
    hit = { text: entry.text, data: parseValue(entry.key, entry.text) };
    if (parsedDesired.size >= PARSED_VALUES_KEPT) parsedDesired.clear();
    parsedDesired.set(entry.key, hit);
  }
  const data = hit.data;
  if (data === null || data === undefined) return undefined;
  if (typeof data !== 'object' || Array.isArray(data))
    throw new FleetValueError(entry.key, 'a desired state must be a mapping (the --config file format)');
  return data as Record<string, unknown>;
}
