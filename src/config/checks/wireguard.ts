/** The WireGuard passes: interface names first (routes may name them), then each interface and its peers. */
import { echo } from '../echo';
import { parseAddress, type ParsedAddress } from '../addr';
import { encodeKey, publicKeyOf } from '../keys';
import type { DataPath } from '../locate';
import { MAX_INSTANCE, MAX_TAG_LENGTH, TAG_PREFIX, ownerTag } from '../tag';
import type { CheckContext } from './context';
import { resolvePrivateKey } from './key-sources';
import { checkPeers } from './peers';
import { checkInterfaceAddress } from './prefixes';
import { checkTableRef } from './tables';
import { asList, int, isObj, str } from './values';

/** Unique names that fit VPP's tag and do not clash with an uplink's. */
export function checkWireguardNames(ctx: CheckContext): void {
  const { f } = ctx;
  asList(ctx.data.wireguard).forEach((w, i) => {
    if (!isObj(w)) return;
    const name = str(w.name);
    if (name === undefined) return;
    const path = ['wireguard', i, 'name'];
    const prior = ctx.wgNames.get(name);
    if (prior)
      f.error(
        path,
        `wireguard interface "${echo(name)}" is declared twice (first at line ${f.lineOf(prior)}): give each a distinct name`,
      );
    else ctx.wgNames.set(name, path);
    if (ctx.uplinkNames.has(name))
      f.error(
        path,
        `"${echo(name)}" names both an uplink and a wireguard interface: rename the wireguard interface so routes are unambiguous`,
      );
    const tag = ownerTag(name);
    if (tag.length > MAX_TAG_LENGTH) {
      f.error(
        path,
        `name "${echo(name)}" is too long: VPP keeps the ownership tag "${TAG_PREFIX}<name>" in ${MAX_TAG_LENGTH} characters, so use at most ${MAX_TAG_LENGTH - TAG_PREFIX.length}`,
      );
    }
  });
}

export function checkWireguardInterfaces(ctx: CheckContext): void {
  const { f } = ctx;
  const instances = new Map<number, DataPath>();
  asList(ctx.data.wireguard).forEach((w, i) => {
    const path: DataPath = ['wireguard', i];
    if (!isObj(w)) return;
    const name = str(w.name) ?? `#${i}`;
    const wgTable = int(w.table) ?? 0;
    checkTableRef(ctx, [...path, 'table'], int(w.table), ['ip4', 'ip6'], `wireguard "${echo(name)}"`);

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

    const privateKey = resolvePrivateKey(f, [...path, 'private_key'], w.private_key, ctx.keys);
    const ownPublic = privateKey && privateKey !== 'generate' ? encodeKey(publicKeyOf(privateKey.bytes)) : undefined;
    const source = checkSource(ctx, path, w.source);

    const addresses: string[] = [];
    asList(w.addresses).forEach((a, j) => {
      const ap = [...path, 'addresses', j];
      const p = checkInterfaceAddress(f, ap, a, `wireguard "${echo(name)}"`, ctx.interfaceAddresses);
      if (!p) return;
      addresses.push(p.text);
      ctx.subnets.push({ prefix: p, owner: `wireguard "${echo(name)}"`, path: ap, table: wgTable });
    });

    const peers = checkPeers(ctx, w.peers, {
      name,
      path,
      table: wgTable,
      ownPublic,
      source,
      // The interface's own addresses (without length): never a next hop towards a peer.
      ownAddresses: new Set(addresses.map((a) => a.split('/')[0]!)),
    });

    const mtu = int(w.mtu);
    if (mtu !== undefined && mtu < 1280 && addresses.some((a) => a.includes(':')) && !ctx.skip([...path, 'mtu'])) {
      f.warn(
        [...path, 'mtu'],
        `mtu ${mtu} is below 1280, the IPv6 minimum, but "${echo(name)}" carries IPv6: raise it to at least 1280`,
      );
    }

    if (str(w.name) !== undefined && privateKey && source && int(w.listen_port) !== undefined) {
      ctx.out.wireguard.push({
        name,
        ...(instance !== undefined ? { instance } : {}),
        privateKey,
        ...(ownPublic !== undefined ? { publicKey: ownPublic } : {}),
        listenPort: int(w.listen_port)!,
        source: source.text,
        addresses,
        ...(mtu !== undefined ? { mtu } : {}),
        table: wgTable,
        adminUp: typeof w.admin_up === 'boolean' ? w.admin_up : true,
        peers,
      });
    }
  });
}

/** The source address: held by an uplink; it fixes the underlay family of every peer. */
function checkSource(ctx: CheckContext, path: DataPath, raw: unknown): ParsedAddress | undefined {
  const srcText = str(raw);
  if (srcText === undefined || ctx.skip([...path, 'source'])) return undefined;
  const source = parseAddress(srcText);
  if (!source) {
    ctx.f.error(
      [...path, 'source'],
      `source "${echo(srcText)}" is not an IP address: give the uplink address WireGuard packets leave from`,
    );
  } else if (!ctx.uplinkAddresses.has(source.text)) {
    ctx.f.error(
      [...path, 'source'],
      `source ${source.text} is not an address of any uplink: add it to the addresses of the uplink that holds it (VPP sends from it and must receive on it)`,
    );
  }
  return source;
}
