/** The uplinks pass: unique names, hardware matches, addresses (recorded for sources, overlaps and endpoint routes), opt-ins. */
import { echo } from '../echo';
import { parseAddress } from '../addr';
import type { DataPath } from '../locate';
import type { DesiredUplink, UplinkMatch } from '../model';
import type { CheckContext } from './context';
import { checkInterfaceAddress } from './prefixes';
import { checkTableRef } from './tables';
import { asList, int, isObj, str, type Obj } from './values';

/** 'dddd:bb:dd.f' in lower case; the domain defaults to 0000 as `lspci` leaves it out. */
function canonicalPci(text: string): string {
  const lower = text.toLowerCase();
  return lower.length === 7 ? `0000:${lower}` : lower;
}

/** The uplink's `match`, normalised (the schema checked its shape), or undefined when absent or malformed. */
function uplinkMatch(u: Obj): UplinkMatch | undefined {
  if (!isObj(u.match)) return undefined;
  const mac = str(u.match.mac);
  const pci = str(u.match.pci);
  if (mac === undefined && pci === undefined) return undefined;
  return {
    ...(mac !== undefined ? { mac: mac.toLowerCase() } : {}),
    ...(pci !== undefined ? { pci: canonicalPci(pci) } : {}),
  };
}

export function checkUplinks(ctx: CheckContext): void {
  const { f } = ctx;
  /** Hardware already claimed, 'mac:..' / 'pci:..' → the uplink's path: one NIC cannot be two uplinks. */
  const claimed = new Map<string, DataPath>();
  asList(ctx.data.uplinks).forEach((u, i) => {
    const path: DataPath = ['uplinks', i];
    if (!isObj(u)) return;
    const name = str(u.name);
    if (name !== undefined) {
      const prior = ctx.uplinkNames.get(name);
      if (prior)
        f.error(
          [...path, 'name'],
          `uplink "${echo(name)}" is listed twice (first at line ${f.lineOf(prior)}): merge the two entries`,
        );
      else ctx.uplinkNames.set(name, path);
    }
    const match = ctx.skip([...path, 'match']) ? undefined : uplinkMatch(u);
    if (match) {
      for (const k of Object.entries(match).map(([key, value]) => `${key} ${value}`)) {
        const prior = claimed.get(k);
        if (prior)
          f.error(
            [...path, 'match'],
            `uplink "${echo(name ?? i)}" matches ${k}, as the uplink at line ${f.lineOf(prior)} does: one NIC is one uplink; merge the two entries or fix the match`,
          );
        else claimed.set(k, path);
      }
    }
    const table = int(u.table);
    checkTableRef(ctx, [...path, 'table'], table, ['ip4', 'ip6'], `uplink "${echo(name ?? i)}"`);
    let addresses: string[] | undefined;
    if (Array.isArray(u.addresses)) {
      addresses = [];
      u.addresses.forEach((a, j) => {
        const ap = [...path, 'addresses', j];
        const p = checkInterfaceAddress(f, ap, a, `uplink "${echo(name ?? i)}"`, ctx.interfaceAddresses);
        if (!p) return;
        addresses!.push(p.text);
        ctx.subnets.push({ prefix: p, owner: `uplink "${echo(name ?? i)}"`, path: ap, table: table ?? 0 });
        ctx.uplinkAddresses.set(parseAddress(p.text.split('/')[0]!)!.text, {
          uplink: name ?? String(i),
          table: table ?? 0,
        });
        ctx.connected.push({
          table: table ?? 0,
          prefix: p,
          what: `the connected subnet of uplink "${echo(name ?? i)}"`,
          path: ap,
        });
      });
    }
    if (name !== undefined) {
      const up: { -readonly [K in keyof DesiredUplink]: DesiredUplink[K] } = { name };
      if (match) up.match = match;
      if (typeof u.admin_up === 'boolean') up.adminUp = u.admin_up;
      if (int(u.mtu) !== undefined) up.mtu = int(u.mtu);
      if (table !== undefined) up.table = table;
      if (addresses) up.addresses = addresses;
      if (u.remove_unlisted_addresses === true) up.removeUnlistedAddresses = true;
      if (u.allow_admin_down === true) up.allowAdminDown = true;
      ctx.out.uplinks.push(up);
    }
  });
}
