/** The uplinks pass: unique names, addresses (recorded for sources, overlaps and endpoint routes), opt-ins. */
import { echo } from '../echo';
import { parseAddress } from '../addr';
import type { DataPath } from '../locate';
import type { DesiredUplink } from '../model';
import type { CheckContext } from './context';
import { checkInterfaceAddress } from './prefixes';
import { checkTableRef } from './tables';
import { asList, int, isObj, str } from './values';

export function checkUplinks(ctx: CheckContext): void {
  const { f } = ctx;
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
