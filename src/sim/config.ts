/** The sim config file (YAML or JSON with the SimConfig shape), checked field by field. */
import { readFileSync } from 'node:fs';
import { parse as parseYaml } from 'yaml';
import type { FaultSpec, SimConfig } from './index';
import { parsePrefix } from './net';

export class SimConfigError extends Error {
  override readonly name = 'SimConfigError';
}

const FAULT_OPS = ['closeAfter', 'closeNow', 'delayReplies', 'failNth', 'dropReply', 'pauseReading', 'restart'];

export function loadSimConfig(file: string): SimConfig {
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch (e) {
    throw new SimConfigError(`sim config ${file}: cannot read it (${(e as Error).message}); check the --config path`);
  }
  let data: unknown;
  try {
    data = parseYaml(text);
  } catch (e) {
    throw new SimConfigError(`sim config ${file}: not valid YAML/JSON: ${(e as Error).message}`);
  }
  return checkSimConfig(data ?? {}, file);
}

/** Validates a parsed config; errors name the file and the field and say what is expected. */
export function checkSimConfig(data: unknown, where = 'sim config'): SimConfig {
  const fail = (path: string, want: string): never => {
    throw new SimConfigError(`${where}: ${path}: ${want}`);
  };
  if (typeof data !== 'object' || data === null || Array.isArray(data))
    fail('(top level)', 'expected a mapping of SimConfig fields');
  const d = data as Record<string, unknown>;
  const known = [
    'uplinks',
    'reachablePeers',
    'shuffleModules',
    'profile',
    'omitMessages',
    'crcOverrides',
    'faults',
    'version',
  ];
  for (const k of Object.keys(d)) if (!known.includes(k)) fail(k, `unknown field; expected one of ${known.join(', ')}`);
  const out: SimConfig = {};
  if (d.uplinks !== undefined) {
    if (!Array.isArray(d.uplinks)) fail('uplinks', 'expected a list of {name, addresses?, up?, mtu?, mac?}');
    out.uplinks = (d.uplinks as unknown[]).map((u, i) => {
      const at = `uplinks[${i}]`;
      if (typeof u !== 'object' || u === null) fail(at, 'expected a mapping with at least `name`');
      const x = u as Record<string, unknown>;
      for (const k of Object.keys(x))
        if (!['name', 'addresses', 'up', 'mtu', 'mac'].includes(k))
          fail(`${at}.${k}`, 'unknown field; expected name, addresses, up, mtu, mac');
      if (typeof x.name !== 'string' || x.name === '' || x.name.length > 63)
        fail(`${at}.name`, 'expected an interface name of 1-63 characters, e.g. host-eth0');
      if (x.addresses !== undefined) {
        if (!Array.isArray(x.addresses)) fail(`${at}.addresses`, "expected a list like ['192.0.2.1/24']");
        (x.addresses as unknown[]).forEach((a, j) => {
          if (typeof a !== 'string' || !parsePrefix(a) || !a.includes('/'))
            fail(`${at}.addresses[${j}]`, "expected an address with prefix length, e.g. '192.0.2.1/24'");
        });
      }
      if (x.up !== undefined && typeof x.up !== 'boolean') fail(`${at}.up`, 'expected true or false');
      if (x.mtu !== undefined && (!Number.isInteger(x.mtu) || (x.mtu as number) < 68 || (x.mtu as number) > 65535))
        fail(`${at}.mtu`, 'expected an integer 68-65535');
      if (x.mac !== undefined && (typeof x.mac !== 'string' || !/^([0-9a-f]{2}:){5}[0-9a-f]{2}$/i.test(x.mac)))
        fail(`${at}.mac`, "expected 'aa:bb:cc:dd:ee:ff'");
      return x as unknown as NonNullable<SimConfig['uplinks']>[number];
    });
    const seen = new Set<string>();
    out.uplinks.forEach((u, i) => {
      // VPP's own names (local0, loopN, wgN) would make two interfaces answer to one name.
      if (seen.has(u.name)) fail(`uplinks[${i}].name`, `${u.name} is declared twice; give each uplink its own name`);
      if (/^(local0|loop\d+|wg\d+)$/.test(u.name))
        fail(`uplinks[${i}].name`, `${u.name} is a name VPP gives its own interfaces; use e.g. host-eth0`);
      seen.add(u.name);
    });
  }
  if (d.reachablePeers !== undefined) {
    const r = d.reachablePeers;
    if (typeof r === 'boolean') out.reachablePeers = r;
    else if (typeof r === 'object' && r !== null && !Array.isArray(r)) {
      const delay = (r as Record<string, unknown>).delayMs;
      if (delay !== undefined && (!Number.isInteger(delay) || (delay as number) < 0))
        fail('reachablePeers.delayMs', 'expected a non-negative integer (milliseconds)');
      out.reachablePeers = { delayMs: delay as number | undefined };
    } else fail('reachablePeers', 'expected true/false or {delayMs: N}');
  }
  if (d.shuffleModules !== undefined) {
    if (typeof d.shuffleModules !== 'boolean') fail('shuffleModules', 'expected true or false');
    out.shuffleModules = d.shuffleModules as boolean;
  }
  if (d.profile !== undefined) {
    if (d.profile !== '26.10' && d.profile !== '24.10')
      fail('profile', "expected '26.10' or '24.10' (quote it in YAML)");
    out.profile = d.profile as '26.10' | '24.10';
  }
  if (d.omitMessages !== undefined) {
    if (!Array.isArray(d.omitMessages) || !d.omitMessages.every((x) => typeof x === 'string'))
      fail('omitMessages', 'expected a list of message names');
    out.omitMessages = d.omitMessages as string[];
  }
  if (d.crcOverrides !== undefined) {
    const c = d.crcOverrides;
    if (typeof c !== 'object' || c === null || Array.isArray(c))
      fail('crcOverrides', "expected a mapping of message name to crc, e.g. {wireguard_peer_add: 'deadbeef'}");
    for (const [k, v] of Object.entries(c as object)) {
      if (typeof v !== 'string' || !/^(0x)?[0-9a-f]{1,8}$/i.test(v))
        fail(`crcOverrides.${k}`, "expected up to 8 hex digits, e.g. 'deadbeef'");
    }
    out.crcOverrides = c as Record<string, string>;
  }
  if (d.version !== undefined) {
    if (typeof d.version !== 'string' || d.version.length > 31)
      fail('version', 'expected a string of at most 31 characters');
    out.version = d.version as string;
  }
  if (d.faults !== undefined) {
    if (!Array.isArray(d.faults)) fail('faults', `expected a list of {op: ...} with op one of ${FAULT_OPS.join(', ')}`);
    out.faults = (d.faults as unknown[]).map((f, i) => checkFault(f, `faults[${i}]`, fail));
  }
  return out;
}

export function checkFault(f: unknown, at: string, fail: (path: string, want: string) => never): FaultSpec {
  if (typeof f !== 'object' || f === null) return fail(at, `expected {op: ...} with op one of ${FAULT_OPS.join(', ')}`);
  const x = f as Record<string, unknown>;
  const int = (k: string, min: number) => {
    const v = x[k];
    if (!Number.isInteger(v) || (v as number) < min) fail(`${at}.${k}`, `expected an integer >= ${min}`);
    return v as number;
  };
  const str = (k: string) => {
    if (typeof x[k] !== 'string' || x[k] === '') fail(`${at}.${k}`, 'expected a message name, e.g. wireguard_peer_add');
    return x[k] as string;
  };
  switch (x.op) {
    case 'closeAfter':
      return { op: 'closeAfter', n: int('n', 1) };
    case 'closeNow':
      return { op: 'closeNow' };
    case 'delayReplies':
      return { op: 'delayReplies', ms: int('ms', 0) };
    case 'failNth': {
      const msg = str('msg');
      const n = int('n', 1);
      if (!Number.isInteger(x.retval)) fail(`${at}.retval`, 'expected an integer retval, e.g. -2');
      return { op: 'failNth', msg, n, retval: x.retval as number };
    }
    case 'dropReply':
      return { op: 'dropReply', msg: str('msg'), n: x.n === undefined ? 1 : int('n', 1) };
    case 'pauseReading':
      return { op: 'pauseReading', ms: int('ms', 0) };
    case 'restart':
      return { op: 'restart', downMs: x.downMs === undefined ? 0 : int('downMs', 0) };
    default:
      return fail(`${at}.op`, `expected one of ${FAULT_OPS.join(', ')}`);
  }
}
