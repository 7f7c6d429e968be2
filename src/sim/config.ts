/**
 * The emulator's config file (YAML or JSON with the SimConfig shape): its types, and its check by
 * the JSON Schema in ./config-schema.ts (compiled once) plus the few rules a schema cannot say.
 * Every finding names the field, and from a file its line and column, as the desired state's do.
 */
import Ajv, { type ErrorObject, type ValidateFunction } from 'ajv';
import { readFileSync } from 'node:fs';
import { LineCounter, parseDocument } from 'yaml';
import { parsePrefix } from '../config/addr';
import { Locator, fromPointer, type DataPath } from '../config/locate';
import { pciOfInterface } from '../reconcile/uplink-match';
import { FAULT_OP_NAMES, faultSchema, simConfigSchema } from './config-schema';

export interface SimUplink {
  name: string;
  addresses?: string[];
  up?: boolean;
  mtu?: number;
  mac?: string;
  /** A DPDK NIC's PCI address 'dddd:bb:dd.f'; `name` must then be VPP's name for it (e.g. GigabitEthernet3/0/0). */
  pci?: string;
  /**
   * The device type VPP reports (interface_dev_type: 'af-packet', 'dpdk', ...). Default: 'af-packet'
   * for a host-* name, else 'dpdk'; a DPDK port VPP renamed host-eth0 needs it said.
   */
  devType?: string;
}

export type FaultSpec =
  | { op: 'closeAfter'; n: number }
  | { op: 'closeNow' }
  | { op: 'delayReplies'; ms: number }
  | { op: 'failNth'; msg: string; n: number; retval: number }
  | { op: 'dropReply'; msg: string; n?: number }
  | { op: 'pauseReading'; ms: number }
  | { op: 'restart'; downMs?: number };

export interface SimConfig {
  /** Stand-ins for host NICs (dpdk/af_packet), sw_if_index assigned in order after local0. */
  uplinks?: SimUplink[];
  /** Peers with an endpoint on an up interface become ESTABLISHED shortly after add (event emitted). */
  reachablePeers?: boolean | { delayMs?: number };
  /** Message ids differ per start. */
  shuffleModules?: boolean;
  /** 24.10: no wireguard_peer_add_v2 / wireguard_peers_v2_dump/_details in the table. */
  profile?: '26.10' | '24.10';
  omitMessages?: string[];
  /** Message name -> crc hex announced in the table, to test client compatibility checks. */
  crcOverrides?: Record<string, string>;
  faults?: FaultSpec[];
  /** show_version text. */
  version?: string;
  /** Load linux-cp (pairs, default netns, lcp-rt-dynamic routes) and the FIB source list (./lcp.ts). */
  linuxCp?: boolean;
}

export class SimConfigError extends Error {
  override readonly name = 'SimConfigError';
}

/** A problem with one field: where (a data path) and what is expected there. */
interface SimFinding {
  readonly path: DataPath;
  readonly want: string;
  /** An unknown field is placed at its key. */
  readonly at?: 'key';
}

let validators: { config: ValidateFunction; fault: ValidateFunction } | undefined;
function compiled(): { config: ValidateFunction; fault: ValidateFunction } {
  if (!validators) {
    const ajv = new Ajv({ allErrors: true, strict: true, allowUnionTypes: true, discriminator: true, verbose: true });
    ajv.addKeyword({ keyword: 'x-what', schemaType: 'string' });
    validators = { config: ajv.compile(simConfigSchema), fault: ajv.compile(faultSchema) };
  }
  return validators;
}

export function loadSimConfig(file: string): SimConfig {
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch (e) {
    throw new SimConfigError(`sim config ${file}: cannot read it (${(e as Error).message}); check the --config path`);
  }
  const lines = new LineCounter();
  const doc = parseDocument(text, { lineCounter: lines, prettyErrors: false, uniqueKeys: true });
  const locator = new Locator(() => ({ doc, lines }));
  if (doc.errors.length > 0) {
    const err = doc.errors[0]!;
    const { line, column } = locator.offsetPlace(err.pos[0]);
    throw new SimConfigError(`${file}:${line}:${column}: not valid YAML/JSON: ${err.message.split('\n')[0]}`);
  }
  const data: unknown = doc.toJS({ maxAliasCount: 100 }) ?? {};
  const findings = findingsOf(data);
  if (findings.length > 0) {
    throw new SimConfigError(
      findings
        .map((x) => {
          const { line, column } = locator.place(x.path, x.at);
          return `${file}:${line}:${column}: ${fieldName(x.path)}: ${x.want}`;
        })
        .join('\n'),
    );
  }
  return normalised(data as SimConfig);
}

/** Validates a parsed config; errors name `where` and the field and say what is expected. */
export function checkSimConfig(data: unknown, where = 'sim config'): SimConfig {
  const findings = findingsOf(data);
  if (findings.length > 0) {
    throw new SimConfigError(findings.map((x) => `${where}: ${fieldName(x.path)}: ${x.want}`).join('\n'));
  }
  return normalised(data as SimConfig);
}

/** One fault (as the control socket takes them); `fail` is called with the field and what it should be. */
export function checkFault(f: unknown, at: string, fail: (path: string, want: string) => never): FaultSpec {
  const validate = compiled().fault;
  if (!validate(f)) {
    const first = schemaFindings(validate.errors ?? [])[0];
    if (first) return fail(first.path.length > 0 ? `${at}.${fieldName(first.path)}` : at, first.want);
  }
  return normalisedFault(f as FaultSpec);
}

function findingsOf(data: unknown): SimFinding[] {
  const validate = compiled().config;
  if (!validate(data)) return schemaFindings(validate.errors ?? []);
  return ruleFindings(data as SimConfig);
}

/** Schema errors in words, one per field. */
function schemaFindings(errors: ErrorObject[]): SimFinding[] {
  const out = new Map<string, SimFinding>();
  const add = (path: DataPath, want: string, at?: 'key') => {
    const key = JSON.stringify(path);
    if (!out.has(key)) out.set(key, { path, want, ...(at ? { at } : {}) });
  };
  for (const e of errors) {
    const path = fromPointer(e.instancePath);
    const schema = e.parentSchema as { 'x-what'?: string; properties?: Record<string, { 'x-what'?: string }> };
    switch (e.keyword) {
      case 'oneOf':
      case 'if':
        break; // the failing branch reports itself
      case 'discriminator':
        add([...path, 'op'], `expected one of ${FAULT_OP_NAMES.join(', ')}`);
        break;
      case 'required': {
        const missing = (e.params as { missingProperty: string }).missingProperty;
        const what = schema.properties?.[missing]?.['x-what'];
        add([...path, missing], what ? `missing; expected ${what}` : 'missing');
        break;
      }
      case 'additionalProperties': {
        const extra = (e.params as { additionalProperty: string }).additionalProperty;
        add(
          [...path, extra],
          `unknown field; expected one of ${Object.keys(schema.properties ?? {}).join(', ')}`,
          'key',
        );
        break;
      }
      default:
        add(path, `expected ${schema['x-what'] ?? e.message ?? 'a valid value'}`);
    }
  }
  return [...out.values()];
}

/** What the schema cannot say: addresses that parse, unique uplink names, names VPP keeps for itself. */
function ruleFindings(config: SimConfig): SimFinding[] {
  const out: SimFinding[] = [];
  const seen = new Set<string>();
  (config.uplinks ?? []).forEach((u, i) => {
    (u.addresses ?? []).forEach((a, j) => {
      if (!parsePrefix(a))
        out.push({
          path: ['uplinks', i, 'addresses', j],
          want: "expected an address with prefix length, e.g. '192.0.2.1/24'",
        });
    });
    // VPP's own names (local0, loopN, wgN) would make two interfaces answer to one name.
    if (seen.has(u.name))
      out.push({ path: ['uplinks', i, 'name'], want: `${u.name} is declared twice; give each uplink its own name` });
    else if (/^(local0|loop\d+|wg\d+)$/.test(u.name))
      out.push({
        path: ['uplinks', i, 'name'],
        want: `${u.name} is a name VPP gives its own interfaces; use e.g. host-eth0`,
      });
    seen.add(u.name);
    // VPP names a DPDK NIC after its PCI address: a name that says otherwise would be no VPP's.
    if (u.pci !== undefined) {
      const pci = u.pci.toLowerCase();
      const named = pciOfInterface({ name: u.name, devType: 'dpdk' });
      if (named !== (pci.length === 7 ? `0000:${pci}` : pci))
        out.push({
          path: ['uplinks', i, 'name'],
          want: `${u.name} is not VPP's name for the NIC at PCI ${u.pci}${named ? ` (it names ${named})` : ''}: VPP names a DPDK NIC <speed>Ethernet<bus>/<device>/<function> in hex, e.g. 0000:03:00.0 is TenGigabitEthernet3/0/0`,
        });
    }
  });
  return out;
}

function normalised(config: SimConfig): SimConfig {
  const out: SimConfig = { ...config };
  if (config.faults) out.faults = config.faults.map(normalisedFault);
  return out;
}

/** Defaults the emulator's control applies: dropReply the next call, restart without downtime. */
function normalisedFault(f: FaultSpec): FaultSpec {
  if (f.op === 'dropReply') return { ...f, n: f.n ?? 1 };
  if (f.op === 'restart') return { ...f, downMs: f.downMs ?? 0 };
  return { ...f };
}

/** 'uplinks[0].name' for ['uplinks', 0, 'name']; '(top level)' for the document. */
function fieldName(path: DataPath): string {
  if (path.length === 0) return '(top level)';
  return path.map((s, i) => (typeof s === 'number' ? `[${s}]` : i === 0 ? s : `.${s}`)).join('');
}
