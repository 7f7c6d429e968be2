/**
 * The emulator's message table, built from the generated bindings the way VPP builds its own:
 * memclnt takes ids 1..28, then each module gets one contiguous block in its JSON message order,
 * starting at 29. Only the order of the module blocks varies (load order in VPP; shuffled or
 * rotated here so that clients cannot get away with fixed ids).
 */
import type { MessageDef, ModuleInfo } from 'vpp-api-ts';

/** Module block order of the recorded VPP 26.10-rc0 (core, af_packet, tapv2, then wireguard). */
export const RECORDED_MODULE_ORDER = [
  'tm',
  'arp',
  'ip6_dad',
  'ip6_nd',
  'rd_cp',
  'ping',
  'vlib',
  'dev',
  'flow',
  'interface',
  'p2p_ethernet',
  'l2',
  'bond',
  'classify',
  'ip',
  'punt',
  'ip_neighbor',
  'bfd',
  'crypto',
  'ipsec',
  'tcp',
  'udp',
  'mpls',
  'sr',
  'sr_pt',
  'ipfix_export',
  'gso',
  'span',
  'pg',
  'virtio',
  'pipe',
  'session',
  'feature',
  'fib',
  'qos',
  'bier',
  'syslog',
  'teib',
  'sfdp',
  'vpe',
  'af_packet',
  'tapv2',
  'wireguard',
];

/**
 * Messages VPP 24.10 lacks among those the bindings (26.10) know, by comparing the two API sets.
 * (24.10 also has ip_punt_police, which 26.06 removed; the bindings cannot serve it.)
 */
export const MISSING_IN_24_10 = [
  'wireguard_peer_add_v2',
  'wireguard_peer_add_v2_reply',
  'wireguard_peers_v2_dump',
  'wireguard_peers_v2_details',
  'sw_interface_set_default_rx_mode',
  'sw_interface_set_default_rx_mode_reply',
  'sw_interface_get_default_rx_mode',
  'sw_interface_get_default_rx_mode_reply',
  'sw_interface_set_link_speed',
  'sw_interface_set_link_speed_reply',
  'sw_interface_get_speed_capa',
  'sw_interface_get_speed_capa_reply',
  'sw_interface_ip4_enable_disable',
  'sw_interface_ip4_enable_disable_reply',
];

export interface TableOptions {
  shuffle?: boolean;
  /** Rotates the module order so each restart of a non-shuffled emulator hands out new ids. */
  generation?: number;
  omit?: readonly string[];
  crcOverrides?: Readonly<Record<string, string>>;
  /** Injected for tests; Math.random by default. */
  random?: () => number;
}

export interface TableEntry {
  id: number;
  def: MessageDef;
  /** As announced in sockclnt_create_reply (crc possibly overridden). */
  nameCrc: string;
}

export class MessageTable {
  readonly byId: (TableEntry | undefined)[] = [];
  readonly byName = new Map<string, TableEntry>();
  readonly idByDef = new Map<MessageDef, number>();
  /** Module names in block order, memclnt first. */
  readonly moduleOrder: string[];

  constructor(modules: readonly ModuleInfo[], opts: TableOptions = {}) {
    const memclnt = modules.find((m) => m.name === 'memclnt');
    if (!memclnt) throw new Error('sim: the bindings have no memclnt module; regenerate vpp-api-ts');
    const omit = new Set(opts.omit ?? []);
    const rest = modules.filter((m) => m.name !== 'memclnt' && m.messages.length > 0);
    const rank = (name: string) => {
      const i = RECORDED_MODULE_ORDER.indexOf(name);
      return i < 0 ? RECORDED_MODULE_ORDER.length : i;
    };
    rest.sort((a, b) => rank(a.name) - rank(b.name) || (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
    if (opts.shuffle) {
      const random = opts.random ?? Math.random;
      for (let i = rest.length - 1; i > 0; i--) {
        const j = Math.floor(random() * (i + 1));
        [rest[i], rest[j]] = [rest[j]!, rest[i]!];
      }
    }
    const gen = opts.generation ?? 0;
    if (gen > 0 && rest.length > 1) {
      const k = gen % rest.length;
      rest.push(...rest.splice(0, k));
    }
    this.moduleOrder = ['memclnt', ...rest.map((m) => m.name)];
    let id = 1;
    for (const m of [memclnt, ...rest]) {
      for (const def of m.messages) {
        if (omit.has(def.name)) {
          // memclnt ids are compile-time constants in VPP: an omitted one leaves a hole.
          if (m === memclnt) id++;
          continue;
        }
        const crc = opts.crcOverrides?.[def.name];
        const nameCrc = crc ? `${def.name}_${crc.replace(/^0x/i, '').toLowerCase().padStart(8, '0')}` : def.nameCrc;
        const e: TableEntry = { id, def, nameCrc };
        this.byId[id] = e;
        this.byName.set(def.name, e);
        this.idByDef.set(def, id);
        id++;
      }
      // memclnt's block is fixed at 1..28 even when a message of it is omitted.
      if (m === memclnt) id = Math.max(id, 29);
    }
  }

  get count(): number {
    return this.byName.size;
  }

  id(name: string): number | undefined {
    return this.byName.get(name)?.id;
  }
}
