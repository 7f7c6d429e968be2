/** The tables pass: declared FIB tables, unique ids and names; and the check of a reference to one. */
import { echo } from '../echo';
import type { DataPath } from '../locate';
import type { AddressFamily } from '../model';
import type { CheckContext } from './context';
import { asList, int, isObj, str } from './values';

export function checkTables(ctx: CheckContext): void {
  const { f } = ctx;
  const tableNames = new Map<string, DataPath>();
  asList(ctx.data.tables).forEach((t, i) => {
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
      const prior = ctx.tables.get(id);
      if (prior)
        f.error(
          [...path, 'id'],
          `table ${id} is declared twice (first at line ${f.lineOf(prior.path)}): give each table one entry`,
        );
      else ctx.tables.set(id, { families: fams, path });
    }
    if (name !== undefined) {
      const prior = tableNames.get(name);
      if (prior)
        f.error(
          [...path, 'name'],
          `table name "${echo(name)}" is used twice (first at line ${f.lineOf(prior)}): give each table its own name`,
        );
      else tableNames.set(name, path);
    }
    if (id !== undefined && name !== undefined) ctx.out.tables.push({ id, name, families: [...fams].sort() });
  });
}

/** A reference to an undeclared table, or to one without a family the object needs. */
export function checkTableRef(
  ctx: CheckContext,
  path: DataPath,
  table: number | undefined,
  families: AddressFamily[],
  what: string,
): void {
  const { f } = ctx;
  if (table === undefined || table === 0 || ctx.skip(path)) return;
  const t = ctx.tables.get(table);
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
}
