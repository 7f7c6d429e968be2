/**
 * The meaning of a desired-state file, after its shape passed (or failed) the schema: addresses,
 * prefixes, keys, tables, overlaps, next-hop coverage and VPP's rules, then the normalised
 * DesiredState. Values the schema already rejected are skipped, so each problem is told once.
 */
import { readFileSync, statSync } from 'node:fs';
import { isAbsolute, resolve } from 'node:path';
import { makeSecretKey } from '../util/secrets';
import {
  familyLabel,
  familyWidth,
  maskTo,
  parseAddress,
  parsePrefix,
  prefixCovers,
  prefixEnd,
  type ParsedAddress,
  type ParsedPrefix,
} from './addr';
import type { Findings } from './findings';
import { decodeKey, encodeKey, publicKeyOf } from './keys';
import type { DataPath } from './locate';
import type {
  AddressFamily,
  DesiredPeer,
  DesiredRoute,
  DesiredState,
  DesiredTable,
  DesiredUplink,
  DesiredWireguardInterface,
  SecretKey,
} from './model';
import { MAX_INSTANCE, MAX_TAG_LENGTH, TAG_PREFIX, ownerTag } from './tag';

/** Where each peer came from, so checks run after loading (capabilities) can still name a line. */
export const peerPlaces = new WeakMap<
  object,
  { readonly file: string; readonly path: DataPath; readonly line: number; readonly column: number }
>();

const KEY_FORMAT_HINT =
  "expected 32 bytes in base64 (44 characters ending in '='), as `vppwg genkey` or `wg genkey` prints";

type Obj = Record<string, unknown>;
const isObj = (v: unknown): v is Obj => typeof v === 'object' && v !== null && !Array.isArray(v);
const asList = (v: unknown): unknown[] => (Array.isArray(v) ? v : []);
const str = (v: unknown): string | undefined => (typeof v === 'string' ? v : undefined);
const int = (v: unknown): number | undefined => (typeof v === 'number' && Number.isInteger(v) ? v : undefined);

export interface Context {
  env: NodeJS.ProcessEnv;
  baseDir: string;
}

interface TableInfo {
  families: Set<AddressFamily>;
  path: DataPath;
}

/** A route in some FIB table, for duplicate and longest-match checks. */
interface FibEntry {
  table: number;
  prefix: ParsedPrefix;
  /** The wireguard interface it goes through, if any. */
  viaWireguard?: string;
  what: string;
  path: DataPath;
}

export function analyse(data: unknown, f: Findings, ctx: Context): DesiredState | undefined {
  if (!isObj(data)) return undefined;
  const skip = (path: DataPath) => f.isBad(path);

  // Tables ------------------------------------------------------------------------------------
  const tables = new Map<number, TableInfo>();
  const tableNames = new Map<string, DataPath>();
  const outTables: DesiredTable[] = [];
  asList(data.tables).forEach((t, i) => {
    const path = ['tables', i];
    if (!isObj(t)) return;
    const id = int(t.id);
    const name = str(t.name);
    const fams = new Set<AddressFamily>(
      Array.isArray(t.families)
        ? t.families.filter((x) => x === 'ipv4' || x === 'ipv6').map((x) => (x === 'ipv4' ? 'ip4' : 'ip6'))
        : ['ip4', 'ip6'],
    );
    if (id !== undefined && id > 0) {
      const prior = tables.get(id);
      if (prior)
        f.error(
          [...path, 'id'],
          `table ${id} is declared twice (first at line ${f.lineOf(prior.path)}): give each table one entry`,
        );
      else tables.set(id, { families: fams, path });
    }
    if (name !== undefined) {
      const prior = tableNames.get(name);
      if (prior)
        f.error(
          [...path, 'name'],
          `table name "${name}" is used twice (first at line ${f.lineOf(prior)}): give each table its own name`,
        );
      else tableNames.set(name, path);
    }
    if (id !== undefined && name !== undefined) outTables.push({ id, name, families: [...fams].sort() });
  });

  /** An undeclared table, or one without a family the object needs. */
  const checkTable = (path: DataPath, table: number | undefined, families: AddressFamily[], what: string) => {
    if (table === undefined || table === 0 || skip(path)) return;
    const t = tables.get(table);
    if (!t) {
      f.error(
        path,
        `table ${table} (${what}) is not declared: add {id: ${table}, name: ...} under tables, or use table 0`,
      );
      return;
    }
    for (const fam of families) {
      if (!t.families.has(fam)) {
        f.error(
          path,
          `table ${table} (${what}) has no ${fam === 'ip4' ? 'ipv4' : 'ipv6'} family: add ${fam === 'ip4' ? 'ipv4' : 'ipv6'} to its families`,
        );
      }
    }
  };

  // Uplinks -----------------------------------------------------------------------------------
  const uplinkNames = new Map<string, DataPath>();
  /** Host addresses held by uplinks and the uplink holding each (for WireGuard source checks). */
  const uplinkAddresses = new Map<string, { uplink: string; table: number }>();
  /** Every interface address (uplinks and WireGuard), for duplicates. */
  const interfaceAddresses = new Map<string, { owner: string; path: DataPath }>();
  const connected: FibEntry[] = [];
  /** Interface subnets per table (an uplink without `table` is taken to be in table 0). */
  const subnets: (Owned & { table: number })[] = [];
  const outUplinks: DesiredUplink[] = [];
  asList(data.uplinks).forEach((u, i) => {
    const path = ['uplinks', i];
    if (!isObj(u)) return;
    const name = str(u.name);
    if (name !== undefined) {
      const prior = uplinkNames.get(name);
      if (prior)
        f.error(
          [...path, 'name'],
          `uplink "${name}" is listed twice (first at line ${f.lineOf(prior)}): merge the two entries`,
        );
      else uplinkNames.set(name, path);
    }
    const table = int(u.table);
    checkTable([...path, 'table'], table, ['ip4', 'ip6'], `uplink "${name ?? i}"`);
    let addresses: string[] | undefined;
    if (Array.isArray(u.addresses)) {
      addresses = [];
      u.addresses.forEach((a, j) => {
        const ap = [...path, 'addresses', j];
        const p = checkInterfaceAddress(f, ap, a, `uplink "${name ?? i}"`, interfaceAddresses);
        if (!p) return;
        addresses!.push(p.text);
        subnets.push({ prefix: p, owner: `uplink "${name ?? i}"`, path: ap, table: table ?? 0 });
        uplinkAddresses.set(parseAddress(p.text.split('/')[0]!)!.text, {
          uplink: name ?? String(i),
          table: table ?? 0,
        });
        connected.push({ table: table ?? 0, prefix: p, what: `the connected subnet of uplink "${name}"`, path: ap });
      });
    }
    if (name !== undefined) {
      const up: { -readonly [K in keyof DesiredUplink]: DesiredUplink[K] } = { name };
      if (typeof u.admin_up === 'boolean') up.adminUp = u.admin_up;
      if (int(u.mtu) !== undefined) up.mtu = int(u.mtu);
      if (table !== undefined) up.table = table;
      if (addresses) up.addresses = addresses;
      if (u.remove_unlisted_addresses === true) up.removeUnlistedAddresses = true;
      if (u.allow_admin_down === true) up.allowAdminDown = true;
      outUplinks.push(up);
    }
  });

  // WireGuard interface names first: top-level routes may name them.
  const wgList = asList(data.wireguard);
  const wgNames = new Map<string, DataPath>();
  wgList.forEach((w, i) => {
    if (!isObj(w)) return;
    const name = str(w.name);
    if (name === undefined) return;
    const path = ['wireguard', i, 'name'];
    const prior = wgNames.get(name);
    if (prior)
      f.error(
        path,
        `wireguard interface "${name}" is declared twice (first at line ${f.lineOf(prior)}): give each a distinct name`,
      );
    else wgNames.set(name, path);
    if (uplinkNames.has(name))
      f.error(
        path,
        `"${name}" names both an uplink and a wireguard interface: rename the wireguard interface so routes are unambiguous`,
      );
    const tag = ownerTag(name);
    if (tag.length > MAX_TAG_LENGTH) {
      f.error(
        path,
        `name "${name}" is too long: VPP keeps the ownership tag "${TAG_PREFIX}<name>" in ${MAX_TAG_LENGTH} characters, so use at most ${MAX_TAG_LENGTH - TAG_PREFIX.length}`,
      );
    }
  });

  // WireGuard interfaces ----------------------------------------------------------------------
  const fib: FibEntry[] = [];
  const publicKeys = new Map<string, { what: string; path: DataPath }>();
  const instances = new Map<number, DataPath>();
  const outWg: DesiredWireguardInterface[] = [];
  /** Peers with endpoints, for the recursion check once all routes are known. */
  const endpoints: { wg: string; peer: string; address: ParsedAddress; table: number; path: DataPath }[] = [];

  wgList.forEach((w, i) => {
    const path = ['wireguard', i];
    if (!isObj(w)) return;
    const name = str(w.name) ?? `#${i}`;
    const wgTable = int(w.table) ?? 0;
    checkTable([...path, 'table'], int(w.table), ['ip4', 'ip6'], `wireguard "${name}"`);

    const instance = int(w.instance);
    if (instance !== undefined) {
      if (instance > MAX_INSTANCE) {
        f.error(
          [...path, 'instance'],
          `instance ${instance} is too large: use 0..${MAX_INSTANCE}, or omit it to let VPP choose`,
        );
      } else {
        const prior = instances.get(instance);
        if (prior)
          f.error(
            [...path, 'instance'],
            `instance ${instance} is already used by the interface at line ${f.lineOf(prior)}: pick another or omit it`,
          );
        else instances.set(instance, path);
      }
    }

    const privateKey = resolvePrivateKey(f, [...path, 'private_key'], w.private_key, ctx);
    const ownPublic = privateKey && privateKey !== 'generate' ? encodeKey(publicKeyOf(privateKey.bytes)) : undefined;

    // Source address: fixes the underlay family of every peer.
    let source: ParsedAddress | undefined;
    const srcText = str(w.source);
    if (srcText !== undefined && !skip([...path, 'source'])) {
      source = parseAddress(srcText);
      if (!source) {
        f.error(
          [...path, 'source'],
          `source "${srcText}" is not an IP address: give the uplink address WireGuard packets leave from`,
        );
      } else if (!uplinkAddresses.has(source.text)) {
        f.error(
          [...path, 'source'],
          `source ${source.text} is not an address of any uplink: add it to the addresses of the uplink that holds it (VPP sends from it and must receive on it)`,
        );
      }
    }

    const addresses: string[] = [];
    asList(w.addresses).forEach((a, j) => {
      const ap = [...path, 'addresses', j];
      const p = checkInterfaceAddress(f, ap, a, `wireguard "${name}"`, interfaceAddresses);
      if (!p) return;
      addresses.push(p.text);
      subnets.push({ prefix: p, owner: `wireguard "${name}"`, path: ap, table: wgTable });
    });

    // The interface's own addresses (without length): never a next hop towards a peer.
    const ownAddresses = new Set(addresses.map((a) => a.split('/')[0]!));

    // Peers
    const peerNames = new Map<string, DataPath>();
    const allowedOwners: Owned[] = [];
    const outPeers: DesiredPeer[] = [];
    asList(w.peers).forEach((pRaw, k) => {
      const pp = [...path, 'peers', k];
      if (!isObj(pRaw)) return;
      const peerName = str(pRaw.name) ?? `#${k}`;
      if (str(pRaw.name) !== undefined) {
        const prior = peerNames.get(peerName);
        if (prior)
          f.error(
            [...pp, 'name'],
            `peer "${peerName}" appears twice in "${name}" (first at line ${f.lineOf(prior)}): give each peer its own name`,
          );
        else peerNames.set(peerName, pp);
      }
      const who = `peer "${peerName}" of "${name}"`;

      // Public key: unique across all interfaces (VPP refuses a duplicate anywhere).
      let publicKey: string | undefined;
      const pkText = str(pRaw.public_key);
      if (pkText !== undefined && !skip([...pp, 'public_key'])) {
        const bytes = decodeKey(pkText);
        if (!bytes) {
          f.error([...pp, 'public_key'], `public_key of ${who} is not a WireGuard key: ${KEY_FORMAT_HINT}`);
        } else {
          publicKey = encodeKey(bytes);
          const prior = publicKeys.get(publicKey);
          if (prior) {
            f.error(
              [...pp, 'public_key'],
              `public key ${publicKey} is already used by ${prior.what} (line ${f.lineOf(prior.path)}): VPP allows each public key once across all interfaces; remove one`,
            );
          } else {
            publicKeys.set(publicKey, { what: who, path: [...pp, 'public_key'] });
          }
          if (ownPublic !== undefined && ownPublic === publicKey) {
            f.error(
              [...pp, 'public_key'],
              `public_key of ${who} is the interface's own public key: give the remote side's public key`,
            );
          }
        }
      }

      const presharedKey =
        pRaw.preshared_key === undefined
          ? undefined
          : resolveKey(f, [...pp, 'preshared_key'], pRaw.preshared_key, ctx, 'preshared key');

      // Endpoint: absent = remote-access server peer (VPP learns it from the handshake).
      let endpoint: { address: string; port: number } | undefined;
      if (isObj(pRaw.endpoint)) {
        const ep = pRaw.endpoint;
        const at = str(ep.address);
        const port = int(ep.port);
        if (at !== undefined && !skip([...pp, 'endpoint', 'address'])) {
          const a = parseAddress(at);
          if (!a) {
            f.error(
              [...pp, 'endpoint', 'address'],
              `endpoint address "${at}" is not an IP address: write the peer's public address (names are not resolved)`,
            );
          } else if (a.value === 0n) {
            f.error(
              [...pp, 'endpoint', 'address'],
              `endpoint address ${a.text} is unspecified: omit endpoint for a peer whose address VPP should learn`,
            );
          } else {
            if (source && a.family !== source.family) {
              f.error(
                [...pp, 'endpoint', 'address'],
                `endpoint ${a.text} is ${familyLabel(a.family)} but the source of "${name}" is ${familyLabel(source.family)}: VPP uses one underlay family per interface; put this peer on a wireguard interface with an ${familyLabel(a.family)} source`,
              );
            }
            if (port !== undefined) endpoint = { address: a.text, port };
            endpoints.push({
              wg: name,
              peer: peerName,
              address: a,
              table: int(pRaw.underlay_table) ?? 0,
              path: [...pp, 'endpoint', 'address'],
            });
          }
        }
      } else if (int(pRaw.persistent_keepalive) && !skip([...pp, 'persistent_keepalive'])) {
        f.warn(
          [...pp, 'persistent_keepalive'],
          `${who} has no endpoint, so VPP cannot send keepalives to it: persistent_keepalive has no effect (set it on the client side)`,
        );
      }

      const underlayTable = int(pRaw.underlay_table);
      checkTable([...pp, 'underlay_table'], underlayTable, source ? [source.family] : [], `underlay of ${who}`);
      if (underlayTable && !skip([...pp, 'underlay_table'])) {
        f.warn(
          [...pp, 'underlay_table'],
          `VPP sends handshakes and keepalives through table 0 whatever underlay_table says: make sure ${who}'s endpoint is reachable in table 0 too, or keep the underlay in table 0`,
        );
      }

      // Allowed IPs
      const allowed: ParsedPrefix[] = [];
      const allowedSeen = new Map<string, number>();
      asList(pRaw.allowed_ips).forEach((a, j) => {
        const ap = [...pp, 'allowed_ips', j];
        const p = checkNetworkPrefix(f, ap, a, 'allowed IP');
        if (!p) return;
        const prior = allowedSeen.get(p.networkText);
        if (prior !== undefined) {
          f.error(ap, `allowed IP ${p.networkText} is listed twice for ${who}: remove the duplicate`);
          return;
        }
        allowedSeen.set(p.networkText, j);
        allowed.push(p);
        allowedOwners.push({ prefix: p, owner: peerName, path: ap });
      });
      const covered = (addr: ParsedAddress) => allowed.some((p) => prefixCovers(p, addr));
      const allowedSummary = () =>
        allowed
          .slice(0, 4)
          .map((p) => p.networkText)
          .join(', ') + (allowed.length > 4 ? ', …' : '');

      // Tunnel next hops: each becomes a host route via itself on the interface.
      const nextHops: ParsedAddress[] = [];
      asList(pRaw.tunnel_next_hops).forEach((n, j) => {
        const np = [...pp, 'tunnel_next_hops', j];
        if (typeof n !== 'string' || skip(np)) return;
        const a = parseAddress(n);
        if (!a) {
          f.error(np, `tunnel next hop "${n}" is not an IP address: give the peer's tunnel address, e.g. 10.2.111.2`);
          return;
        }
        if (nextHops.some((x) => x.text === a.text)) {
          f.error(np, `tunnel next hop ${a.text} is listed twice for ${who}: remove the duplicate`);
          return;
        }
        if (ownAddresses.has(a.text)) {
          f.error(
            np,
            `tunnel next hop ${a.text} is an address of "${name}" itself: VPP keeps a local route for it, so no host route to the peer can take its place; give the peer's own tunnel address`,
          );
          return;
        }
        if (allowed.length > 0 && !covered(a)) {
          f.error(
            np,
            `tunnel next hop ${a.text} is not inside the allowed IPs of ${who} (${allowedSummary()}): VPP picks the peer by next hop, so add ${a.text}/${a.family === 'ip4' ? 32 : 128} (or a covering prefix) to allowed_ips`,
          );
        }
        nextHops.push(a);
        const host = parsePrefix(`${a.text}/${a.family === 'ip4' ? 32 : 128}`)!;
        fib.push({ table: wgTable, prefix: host, viaWireguard: name, what: `the tunnel next hop of ${who}`, path: np });
      });

      // Routes through the peer: each needs a next hop inside the peer's allowed IPs.
      const routes: { prefix: string; via: string }[] = [];
      asList(pRaw.routes).forEach((r, j) => {
        const rp = [...pp, 'routes', j];
        if (!isObj(r)) return;
        const prefix = checkNetworkPrefix(f, [...rp, 'prefix'], r.prefix, 'route prefix');
        if (!prefix) return;
        // VPP forwards a received packet only if its source is inside the sender's allowed IPs.
        if (allowed.length > 0 && !prefixCoveredByUnion(prefix, allowed)) {
          f.error(
            [...rp, 'prefix'],
            `route ${prefix.networkText} is not inside the allowed IPs of ${who} (${allowedSummary()}): VPP would send to it but drop what comes back from it; add ${prefix.networkText} to allowed_ips`,
          );
        }
        let via: ParsedAddress | undefined;
        const viaText = str(r.via);
        if (viaText !== undefined) {
          if (skip([...rp, 'via'])) return;
          via = parseAddress(viaText);
          if (!via) {
            f.error(
              [...rp, 'via'],
              `via "${viaText}" is not an IP address: give a next hop inside the peer's allowed IPs, e.g. its tunnel address`,
            );
            return;
          }
          if (via.family !== prefix.family) {
            f.error(
              [...rp, 'via'],
              `via ${via.text} is ${familyLabel(via.family)} but ${prefix.networkText} is ${familyLabel(prefix.family)}: use a next hop of the same family`,
            );
            return;
          }
          if (ownAddresses.has(via.text)) {
            f.error(
              [...rp, 'via'],
              `via ${via.text} is an address of "${name}" itself: VPP delivers to itself what is routed there; use the peer's tunnel address`,
            );
            return;
          }
          if (allowed.length > 0 && !covered(via)) {
            f.error(
              [...rp, 'via'],
              `via ${via.text} is not inside the allowed IPs of ${who} (${allowedSummary()}): VPP picks the peer by next hop and would drop this route; use the peer's tunnel address or add a prefix covering ${via.text} to allowed_ips`,
            );
            return;
          }
        } else {
          const sameFamily = nextHops.filter((n) => n.family === prefix.family);
          via = sameFamily.find((n) => prefixCovers(prefix, n)) ?? sameFamily[0];
          if (!via && prefix.len === (prefix.family === 'ip4' ? 32 : 128)) {
            const host = parseAddress(prefix.networkText.split('/')[0]!)!;
            if (covered(host)) via = host;
          }
          if (!via) {
            if (allowed.length > 0) {
              f.error(
                rp,
                `route ${prefix.networkText} of ${who} has no via and the peer has no ${familyLabel(prefix.family)} tunnel next hop: add via (an address inside the peer's allowed IPs) or a tunnel_next_hops entry; a route via a WireGuard interface without a next hop is dropped by VPP`,
                'value',
              );
            }
            return;
          }
        }
        routes.push({ prefix: prefix.networkText, via: via.text });
        fib.push({
          table: wgTable,
          prefix,
          viaWireguard: name,
          what: `route ${prefix.networkText} of ${who}`,
          path: [...rp, 'prefix'],
        });
      });

      if (publicKey !== undefined && allowed.length > 0) {
        const peer: DesiredPeer = {
          name: peerName,
          publicKey,
          ...(presharedKey ? { presharedKey } : {}),
          ...(endpoint ? { endpoint } : {}),
          allowedIps: allowed.map((p) => p.networkText),
          persistentKeepalive: int(pRaw.persistent_keepalive) ?? 0,
          underlayTable: underlayTable ?? 0,
          tunnelNextHops: nextHops.map((n) => n.text),
          routes,
        };
        if (presharedKey) {
          // Placed on first use: a place needs the position-keeping parse, which a valid file never otherwise runs.
          let place: { line: number; column: number } | undefined;
          const placeOnce = () => (place ??= f.locator.place([...pp, 'preshared_key']));
          peerPlaces.set(peer, {
            file: f.file,
            path: pp,
            get line() {
              return placeOnce().line;
            },
            get column() {
              return placeOnce().column;
            },
          });
        }
        outPeers.push(peer);
      }
    });

    checkAllowedOverlap(f, name, allowedOwners);

    const mtu = int(w.mtu);
    if (mtu !== undefined && mtu < 1280 && addresses.some((a) => a.includes(':')) && !skip([...path, 'mtu'])) {
      f.warn(
        [...path, 'mtu'],
        `mtu ${mtu} is below 1280, the IPv6 minimum, but "${name}" carries IPv6: raise it to at least 1280`,
      );
    }

    if (str(w.name) !== undefined && privateKey && source && int(w.listen_port) !== undefined) {
      outWg.push({
        name,
        ...(instance !== undefined ? { instance } : {}),
        privateKey,
        ...(ownPublic !== undefined ? { publicKey: ownPublic } : {}),
        listenPort: int(w.listen_port)!,
        source: source.text,
        addresses,
        ...(int(w.mtu) !== undefined ? { mtu: int(w.mtu) } : {}),
        table: wgTable,
        adminUp: typeof w.admin_up === 'boolean' ? w.admin_up : true,
        peers: outPeers,
      });
    }
  });

  // VPP refuses an interface address whose subnet overlaps one on another interface of the same table.
  const subnetsByTable = new Map<number, (Owned & { table: number })[]>();
  for (const sn of subnets) {
    const list = subnetsByTable.get(sn.table);
    if (list) list.push(sn);
    else subnetsByTable.set(sn.table, [sn]);
  }
  for (const [table, list] of subnetsByTable) {
    for (const [later, earlier] of findOverlaps(f, list)) {
      f.error(
        later.path,
        `address ${later.prefix.text} of ${later.owner} overlaps ${earlier.prefix.text} of ${earlier.owner} (line ${f.lineOf(earlier.path)}) in table ${table}: VPP refuses overlapping subnets on two interfaces of one table; pick another subnet or put one interface in another table`,
      );
    }
  }

  // Static underlay routes -------------------------------------------------------------------
  const outRoutes: DesiredRoute[] = [];
  asList(data.routes).forEach((r, i) => {
    const path = ['routes', i];
    if (!isObj(r)) return;
    const prefix = checkNetworkPrefix(f, [...path, 'prefix'], r.prefix, 'route prefix');
    const table = int(r.table) ?? 0;
    if (prefix) checkTable([...path, 'table'], int(r.table), [prefix.family], `route ${prefix.networkText}`);
    const ifName = str(r.interface);
    const isWg = ifName !== undefined && wgNames.has(ifName);
    if (ifName !== undefined && !isWg && !uplinkNames.has(ifName) && !skip([...path, 'interface'])) {
      f.error(
        [...path, 'interface'],
        `interface "${ifName}" is neither an uplink nor a wireguard interface of this file: add {name: ${ifName}} under uplinks (only what you list is managed)`,
      );
    }
    const viaText = str(r.via);
    let via: ParsedAddress | undefined;
    if (viaText !== undefined && !skip([...path, 'via'])) {
      via = parseAddress(viaText);
      if (!via) f.error([...path, 'via'], `via "${viaText}" is not an IP address: give the gateway's address`);
      else if (prefix && via.family !== prefix.family) {
        f.error(
          [...path, 'via'],
          `via ${via.text} is ${familyLabel(via.family)} but ${prefix.networkText} is ${familyLabel(prefix.family)}: use a gateway of the same family`,
        );
        via = undefined;
      } else if (isWg) {
        const wgIndex = wgList.findIndex((w) => isObj(w) && w.name === ifName);
        const peers = asList((wgList[wgIndex] as Obj).peers);
        const coveredBy = peers.some(
          (p) =>
            isObj(p) &&
            asList(p.allowed_ips).some(
              (a) => typeof a === 'string' && parsePrefix(a) && prefixCovers(parsePrefix(a)!, via!),
            ),
        );
        if (!coveredBy) {
          f.error(
            [...path, 'via'],
            `via ${via.text} is not inside the allowed IPs of any peer of "${ifName}": VPP picks the peer by next hop and would drop this route; list it under that peer's routes instead`,
          );
        }
      }
    }
    if (prefix && via && ifName !== undefined) {
      outRoutes.push({ prefix: prefix.networkText, table, via: via.text, interface: ifName });
      fib.push({
        table,
        prefix,
        ...(isWg ? { viaWireguard: ifName } : {}),
        what: `route ${prefix.networkText} (routes)`,
        path: [...path, 'prefix'],
      });
    }
  });

  // One route per (table, prefix): several entries would fight over the same FIB entry.
  const routeKeys = new Map<string, FibEntry>();
  for (const e of fib) {
    const key = `${e.table} ${e.prefix.networkText}`;
    const prior = routeKeys.get(key);
    if (prior) {
      f.error(
        e.path,
        `${e.prefix.networkText} in table ${e.table} is already ${prior.what} (line ${f.lineOf(prior.path)}): keep one route per prefix and table`,
      );
    } else routeKeys.set(key, e);
  }

  // A peer's endpoint must not be reached through its own tunnel (full tunnel without a pinned route).
  const routeIndex = new RouteIndex([...fib, ...connected]);
  for (const ep of endpoints) {
    const best = routeIndex.longestMatch(ep.table, ep.address);
    if (best?.viaWireguard === ep.wg) {
      const gatewayHint = asList(data.routes).find(
        (r) => isObj(r) && r.prefix === (ep.address.family === 'ip4' ? '0.0.0.0/0' : '::/0'),
      ) as Obj | undefined;
      const pin = `{prefix: ${ep.address.text}/${ep.address.family === 'ip4' ? 32 : 128}, via: ${gatewayHint ? String(gatewayHint.via) : '<underlay gateway>'}, interface: ${gatewayHint ? String(gatewayHint.interface) : '<uplink>'}${ep.table ? `, table: ${ep.table}` : ''}}`;
      f.error(
        ep.path,
        `endpoint ${ep.address.text} of peer "${ep.peer}" would be reached through "${ep.wg}" itself (${best.what}, line ${f.lineOf(best.path)}): VPP drops such a recursive path; pin the endpoint with ${pin} under routes`,
      );
    }
  }

  if (f.hasErrors()) return undefined;
  return { tables: outTables, uplinks: outUplinks, routes: outRoutes, wireguard: outWg };
}

/** True when the union of `set` covers every address of `prefix` (one covering prefix, or several that tile it). */
function prefixCoveredByUnion(prefix: ParsedPrefix, set: readonly ParsedPrefix[]): boolean {
  const start = prefix.network;
  const end = prefixEnd(prefix);
  const inside: [bigint, bigint][] = [];
  for (const p of set) {
    if (p.family !== prefix.family) continue;
    if (p.len <= prefix.len && maskTo(start, p.len, familyWidth(p.family)) === p.network) return true;
    if (p.len > prefix.len && p.network >= start && p.network <= end) inside.push([p.network, prefixEnd(p)]);
  }
  inside.sort((a, b) => (a[0] < b[0] ? -1 : a[0] > b[0] ? 1 : 0));
  let next = start;
  for (const [lo, hi] of inside) {
    if (lo > next) return false;
    if (hi + 1n > next) next = hi + 1n;
    if (next > end) return true;
  }
  return false;
}

/** Longest-prefix match over the file's routes and connected subnets, indexed once per (table, family, length). */
class RouteIndex {
  private readonly byKey = new Map<string, FibEntry>();
  private readonly lengths = new Map<string, number[]>();

  constructor(entries: FibEntry[]) {
    for (const e of entries) {
      const key = `${e.table}/${e.prefix.family}/${e.prefix.len}/${e.prefix.network}`;
      // The first entry wins, as the duplicate check reports later ones.
      if (!this.byKey.has(key)) this.byKey.set(key, e);
      const lk = `${e.table}/${e.prefix.family}`;
      const list = this.lengths.get(lk) ?? [];
      if (!list.includes(e.prefix.len)) list.push(e.prefix.len);
      this.lengths.set(lk, list);
    }
    for (const list of this.lengths.values()) list.sort((a, b) => b - a);
  }

  longestMatch(table: number, addr: ParsedAddress): FibEntry | undefined {
    const width = familyWidth(addr.family);
    for (const len of this.lengths.get(`${table}/${addr.family}`) ?? []) {
      const hit = this.byKey.get(`${table}/${addr.family}/${len}/${maskTo(addr.value, len, width)}`);
      if (hit) return hit;
    }
    return undefined;
  }
}

/** Allowed IPs of different peers on one interface must be disjoint (VPP gives an adjacency to the first matching peer). */
interface Owned {
  prefix: ParsedPrefix;
  owner: string;
  path: DataPath;
}

/**
 * Pairs of overlapping prefixes with different owners, each pair once (ordered: later in the file,
 * earlier). Prefixes are either nested or disjoint: sort by start, widest first, and keep a stack
 * of the open ones, so this is O(n log n) for thousands of peers.
 */
function findOverlaps<T extends Owned>(f: Findings, items: T[]): [T, T][] {
  const order = [...items].sort((a, b) =>
    a.prefix.family !== b.prefix.family
      ? a.prefix.family < b.prefix.family
        ? -1
        : 1
      : a.prefix.network < b.prefix.network
        ? -1
        : a.prefix.network > b.prefix.network
          ? 1
          : a.prefix.len - b.prefix.len,
  );
  const out: [T, T][] = [];
  const stack: T[] = [];
  for (const cur of order) {
    while (stack.length > 0) {
      const top = stack[stack.length - 1]!;
      if (top.prefix.family === cur.prefix.family && cur.prefix.network <= prefixEnd(top.prefix)) break;
      stack.pop();
    }
    for (let i = stack.length - 1; i >= 0; i--) {
      const other = stack[i]!;
      if (other.owner === cur.owner) continue;
      out.push(f.lineOf(cur.path) >= f.lineOf(other.path) ? [cur, other] : [other, cur]);
      break;
    }
    stack.push(cur);
  }
  return out;
}

/** Allowed IPs of different peers on one interface must be disjoint (VPP gives an adjacency to the first matching peer). */
function checkAllowedOverlap(f: Findings, wgName: string, owners: Owned[]): void {
  for (const [later, earlier] of findOverlaps(f, owners)) {
    f.error(
      later.path,
      `allowed IP ${later.prefix.networkText} of peer "${later.owner}" overlaps ${earlier.prefix.networkText} of peer "${earlier.owner}" (line ${f.lineOf(earlier.path)}) on "${wgName}": allowed IPs of peers on one interface must not overlap; split the range or use one interface per peer`,
    );
  }
}

function checkInterfaceAddress(
  f: Findings,
  path: DataPath,
  raw: unknown,
  owner: string,
  seen: Map<string, { owner: string; path: DataPath }>,
): ParsedPrefix | undefined {
  if (typeof raw !== 'string' || f.isBad(path)) return undefined;
  const p = parsePrefix(raw);
  if (!p) {
    f.error(path, `address "${raw}" is not 'address/length': write e.g. 192.0.2.1/24 or 2001:db8::1/64`);
    return undefined;
  }
  if (/^fe[89ab][0-9a-f]:/i.test(p.text)) {
    // VPP keeps one link-local address per interface outside its address list (ip_address_dump
    // never shows it), so it could never be seen as applied.
    f.error(
      path,
      `address ${raw} is IPv6 link-local (fe80::/10): VPP makes one per IPv6-enabled interface itself and does not list it among the interface's addresses; remove it (vppwg does not manage link-local addresses)`,
    );
    return undefined;
  }
  const prior = seen.get(p.text.split('/')[0]!);
  if (prior) {
    f.error(
      path,
      `address ${p.text.split('/')[0]} is already on ${prior.owner} (line ${f.lineOf(prior.path)}): an address can be on one interface only`,
    );
    return undefined;
  }
  seen.set(p.text.split('/')[0]!, { owner, path });
  return p;
}

function checkNetworkPrefix(f: Findings, path: DataPath, raw: unknown, what: string): ParsedPrefix | undefined {
  if (typeof raw !== 'string' || f.isBad(path)) return undefined;
  const p = parsePrefix(raw);
  if (!p) {
    f.error(path, `${what} "${raw}" is not a prefix: write 'address/length', e.g. 10.0.0.0/24 or 2001:db8::/64`);
    return undefined;
  }
  if (!p.isNetwork) {
    f.error(path, `${what} ${raw} has host bits set: write ${p.networkText}`);
    return undefined;
  }
  return p;
}

// ---------------------------------------------------------------------------------------------
// Keys

function resolvePrivateKey(
  f: Findings,
  path: DataPath,
  raw: unknown,
  ctx: Context,
): SecretKey | 'generate' | undefined {
  if (raw === 'generate') return 'generate';
  if (!isObj(raw)) return undefined;
  return resolveKey(f, path, raw, ctx, 'private key');
}

/** A key from {file}, {env} or {inline}; never echoes key material in a message. */
function resolveKey(f: Findings, path: DataPath, raw: unknown, ctx: Context, what: string): SecretKey | undefined {
  if (!isObj(raw) || f.badWithin(path) || Object.keys(raw).length !== 1) return undefined;
  if (typeof raw.inline === 'string') {
    const p = [...path, 'inline'];
    f.warn(
      p,
      `${what} is written inline: anyone who can read this file has it; use {file: PATH} (mode 600) or {env: VARIABLE}`,
    );
    const bytes = decodeKey(raw.inline);
    if (!bytes) {
      f.error(p, `inline ${what} is not a WireGuard key: ${KEY_FORMAT_HINT}`);
      return undefined;
    }
    return makeSecretKey(bytes, 'inline');
  }
  if (typeof raw.env === 'string') {
    const p = [...path, 'env'];
    const value = ctx.env[raw.env];
    if (value === undefined || value === '') {
      f.error(
        p,
        `environment variable ${raw.env} (${what}) is not set: export it with the base64 key before running vppwg`,
      );
      return undefined;
    }
    const bytes = decodeKey(value);
    if (!bytes) {
      f.error(p, `environment variable ${raw.env} does not hold a WireGuard ${what}: ${KEY_FORMAT_HINT}`);
      return undefined;
    }
    return makeSecretKey(bytes, `env ${raw.env}`);
  }
  if (typeof raw.file === 'string') {
    const p = [...path, 'file'];
    const full = isAbsolute(raw.file) ? raw.file : resolve(ctx.baseDir, raw.file);
    let text: string;
    try {
      const st = statSync(full);
      // As `wg` does: a key others can read is no longer private.
      if (st.isFile() && (st.mode & 0o077) !== 0) {
        const mode = (st.mode & 0o777).toString(8).padStart(4, '0');
        const scope = st.mode & 0o007 ? 'world' : 'group';
        f.warn(
          p,
          `\`${full}' is ${scope} accessible (mode ${mode}): run chmod 600 ${full} so only its owner can read the ${what}`,
        );
      }
      text = readFileSync(full, 'utf8');
    } catch (err) {
      const code = (err as NodeJS.ErrnoException).code ?? 'error';
      const why =
        code === 'ENOENT'
          ? 'no such file'
          : code === 'EACCES'
            ? 'permission denied'
            : code === 'EISDIR'
              ? 'it is a directory'
              : code;
      f.error(
        p,
        `cannot read ${what} file \`${full}' (${why}): create it with \`(umask 077; vppwg ${what === 'preshared key' ? 'genpsk' : 'genkey'} > ${full})\` or fix the path`,
      );
      return undefined;
    }
    const bytes = decodeKey(text);
    if (!bytes) {
      f.error(p, `${what} file \`${full}' does not hold a WireGuard key: ${KEY_FORMAT_HINT}`);
      return undefined;
    }
    return makeSecretKey(bytes, `file ${full}`);
  }
  return undefined;
}
