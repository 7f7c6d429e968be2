/**
 * The meaning of a desired-state file, after its shape passed (or failed) the schema: addresses,
 * prefixes, keys, tables, overlaps, next-hop coverage and VPP's rules, then the normalised
 * DesiredState. Values the schema already rejected are skipped, so each problem is told once.
 * Each concern is one pass in ./checks; later passes use the facts earlier ones recorded.
 */
import { CheckContext, type KeyContext } from './checks/context';
import { checkDuplicateRoutes, checkEndpointRecursion, checkSubnetOverlaps } from './checks/cross';
import { checkLinuxCp } from './checks/linux-cp';
import { checkStaticRoutes } from './checks/routes';
import { checkTables } from './checks/tables';
import { checkUplinks } from './checks/uplinks';
import { isObj } from './checks/values';
import { checkWireguardInterfaces, checkWireguardNames } from './checks/wireguard';
import type { Findings } from './findings';
import type { DesiredState } from './model';

export { peerPlaces } from './checks/peers';

export function analyse(data: unknown, f: Findings, keys: KeyContext): DesiredState | undefined {
  if (!isObj(data)) return undefined;
  const ctx = new CheckContext(f, data, keys);
  checkTables(ctx);
  checkUplinks(ctx);
  checkWireguardNames(ctx);
  checkWireguardInterfaces(ctx);
  checkSubnetOverlaps(ctx);
  checkStaticRoutes(ctx);
  checkDuplicateRoutes(ctx);
  checkEndpointRecursion(ctx);
  checkLinuxCp(ctx);
  return f.hasErrors() ? undefined : ctx.out;
}
