/** The static routes pass: prefix, table, an interface of this file, and a gateway it can use. */
import { echo } from '../echo';
import { familyLabel, parseAddress, parsePrefix, prefixCovers, type ParsedAddress } from '../addr';
import type { DataPath } from '../locate';
import type { CheckContext } from './context';
import { checkNetworkPrefix } from './prefixes';
import { checkTableRef } from './tables';
import { asList, int, isObj, str } from './values';

export function checkStaticRoutes(ctx: CheckContext): void {
  const { f } = ctx;
  asList(ctx.data.routes).forEach((r, i) => {
    const path: DataPath = ['routes', i];
    if (!isObj(r)) return;
    const prefix = checkNetworkPrefix(f, [...path, 'prefix'], r.prefix, 'route prefix');
    const table = int(r.table) ?? 0;
    if (prefix) checkTableRef(ctx, [...path, 'table'], int(r.table), [prefix.family], `route ${prefix.networkText}`);
    const ifName = str(r.interface);
    const isWg = ifName !== undefined && ctx.wgNames.has(ifName);
    if (ifName !== undefined && !isWg && !ctx.uplinkNames.has(ifName) && !ctx.skip([...path, 'interface'])) {
      f.error(
        [...path, 'interface'],
        `interface "${echo(ifName)}" is neither an uplink nor a wireguard interface of this file: add {name: ${echo(ifName)}} under uplinks (only what you list is managed)`,
      );
    }
    const viaText = str(r.via);
    let via: ParsedAddress | undefined;
    if (viaText !== undefined && !ctx.skip([...path, 'via'])) {
      via = parseAddress(viaText);
      if (!via) f.error([...path, 'via'], `via "${echo(viaText)}" is not an IP address: give the gateway's address`);
      else if (prefix && via.family !== prefix.family) {
        f.error(
          [...path, 'via'],
          `via ${via.text} is ${familyLabel(via.family)} but ${prefix.networkText} is ${familyLabel(prefix.family)}: use a gateway of the same family`,
        );
        via = undefined;
      } else if (isWg && !coveredByAPeerOf(ctx, ifName, via)) {
        f.error(
          [...path, 'via'],
          `via ${via.text} is not inside the allowed IPs of any peer of "${echo(ifName)}": VPP picks the peer by next hop and would drop this route; list it under that peer's routes instead`,
        );
      }
    }
    if (prefix && via && ifName !== undefined) {
      ctx.out.routes.push({ prefix: prefix.networkText, table, via: via.text, interface: ifName });
      ctx.fib.push({
        table,
        prefix,
        ...(isWg ? { viaWireguard: ifName } : {}),
        what: `route ${prefix.networkText} (routes)`,
        path: [...path, 'prefix'],
      });
    }
  });
}

/** Whether some peer of the named wireguard interface allows `via` (read from the raw file, valid or not). */
function coveredByAPeerOf(ctx: CheckContext, wgName: string, via: ParsedAddress): boolean {
  const wg = asList(ctx.data.wireguard).find((w) => isObj(w) && w.name === wgName);
  const peers = isObj(wg) ? asList(wg.peers) : [];
  return peers.some(
    (p) =>
      isObj(p) &&
      asList(p.allowed_ips).some((a) => {
        const prefix = typeof a === 'string' ? parsePrefix(a) : undefined;
        return prefix !== undefined && prefixCovers(prefix, via);
      }),
  );
}
