/**
 * One node's DesiredState from the mirrored fleet keys: parse every value, keep the errors that
 * concern this node, derive its interfaces, merge them into its own document and validate the
 * whole with the file's loader. Any error means no state: the caller keeps its last good one.
 */
import { parseDesiredState } from '../config';
import type { DesiredState, Diagnostic } from '../config';
import { addressCollisions, composeDocument, deriveInterfaces } from './derive';
import type { FleetLayout } from './layout';
import { FleetValueError } from './model';
import { desiredData, errorsFor, parseFleet, type ParsedFleet } from './view';

export interface AssembledState {
  readonly state?: DesiredState;
  readonly diagnostics: Diagnostic[];
  /** The networks the node is a member of (keys it must hold and publish). */
  readonly networks: string[];
  /** Peers not configured yet, with why. */
  readonly waiting: string[];
  readonly parsed: ParsedFleet;
}

export function keyDiagnostic(message: string, file = 'etcd'): Diagnostic {
  return { severity: 'error', file, line: 0, column: 0, path: '', message };
}

export function assembleDesired(
  node: string,
  layout: FleetLayout,
  kvs: ReadonlyMap<string, string>,
  privateKeyOf: (network: string) => string,
): AssembledState {
  const parsed = parseFleet(layout, kvs);
  const fail = (diagnostics: Diagnostic[], networks: string[] = []): AssembledState => ({
    diagnostics,
    networks,
    waiting: [],
    parsed,
  });
  const errors = errorsFor(node, kvs, layout, parsed);
  const derived = deriveInterfaces(node, parsed.view, privateKeyOf);
  const mine = new Set(derived.networks);
  errors.push(
    ...addressCollisions(parsed.view, (n, m) => layout.member(n, m)).filter((e) =>
      [...mine].some((n) => e.startsWith(layout.members(n))),
    ),
  );
  if (errors.length)
    return fail(
      errors.map((m) => keyDiagnostic(m)),
      derived.networks,
    );

  const ownEntry = parsed.desired.get(node);
  let own: Record<string, unknown> | undefined;
  try {
    own = desiredData(ownEntry);
  } catch (err) {
    if (!(err instanceof FleetValueError)) throw err;
    return fail([keyDiagnostic(err.message, ownEntry!.key)], derived.networks);
  }
  if (ownEntry && own) {
    // The node's own document alone first, so its findings carry its key and its own lines.
    const aloneErrors = ownDocumentErrors(ownEntry);
    if (aloneErrors) return fail(aloneErrors, derived.networks);
  }
  const ownKey = ownEntry?.key ?? layout.desired(node);
  const { document, conflicts } = composeDocument(own, ownKey, derived.interfaces, (n) => layout.network(n));
  if (conflicts.length)
    return fail(
      conflicts.map((m) => keyDiagnostic(m, ownKey)),
      derived.networks,
    );
  const label = `${ownKey} with networks ${derived.networks.join(', ') || '(none)'}`;
  const result = parseDesiredState(JSON.stringify(document), `${label}.json`, { env: derived.keyEnv });
  return { ...result, networks: derived.networks, waiting: derived.waiting, parsed };
}

/** The last verdict on each node's own document: it is checked on every load and rarely changes. */
const ownVerdicts = new Map<string, { text: string; diagnostics?: Diagnostic[] }>();
const OWN_VERDICTS_KEPT = 1024;

/** The diagnostics of the node's own document read alone, when it has errors. */
function ownDocumentErrors(entry: { key: string; text: string }): Diagnostic[] | undefined {
  const hit = ownVerdicts.get(entry.key);
  if (hit?.text === entry.text) return hit.diagnostics;
  const alone = parseDesiredState(entry.text, entry.key, { env: {} });
  const diagnostics = alone.diagnostics.some((d) => d.severity === 'error') ? alone.diagnostics : undefined;
  if (ownVerdicts.size >= OWN_VERDICTS_KEPT) ownVerdicts.clear();
  ownVerdicts.set(entry.key, { text: entry.text, ...(diagnostics ? { diagnostics } : {}) });
  return diagnostics;
}
