/**
 * etcd roles for a fleet: the one definition of who may write what. A node reads the whole fleet
 * but writes only its own `public/` keys, its `status`, its `claim` and (to acknowledge) its
 * `rotate/` requests; operators write everything. With TLS client certificates etcd takes the
 * certificate's common name as the user, so a node's certificate CN is its node name.
 * `vppwg fleet roles` prints these as etcdctl commands (see deploy/etcd/).
 */
import { Range, type Etcd3 } from 'etcd3';
import { randomBytes } from 'node:crypto';
import type { FleetLayout } from './layout';

export interface RoleGrant {
  readonly permission: 'read' | 'readwrite';
  readonly key: string;
  /** The grant covers every key starting with `key`. */
  readonly prefix: boolean;
}

export interface FleetRole {
  readonly role: string;
  readonly user: string;
  readonly grants: readonly RoleGrant[];
}

export const ADMIN_ROLE = 'vppwg-admin';

export function nodeRole(layout: FleetLayout, node: string): FleetRole {
  const own = layout.node(node);
  return {
    role: `vppwg-node-${node}`,
    user: node,
    grants: [
      { permission: 'read', key: layout.root(), prefix: true },
      { permission: 'readwrite', key: `${own}public/`, prefix: true },
      { permission: 'readwrite', key: `${own}rotate/`, prefix: true },
      { permission: 'readwrite', key: layout.status(node), prefix: false },
      { permission: 'readwrite', key: layout.claim(node), prefix: false },
    ],
  };
}

export function adminRole(layout: FleetLayout, user = 'vppwg-admin'): FleetRole {
  return { role: ADMIN_ROLE, user, grants: [{ permission: 'readwrite', key: layout.root(), prefix: true }] };
}

/** The etcdctl commands that create these roles and users (no passwords: TLS client certificates name the user). */
export function etcdctlCommands(roles: readonly FleetRole[]): string[] {
  const out: string[] = [];
  for (const r of roles) {
    out.push(`etcdctl role add ${r.role}`);
    for (const g of r.grants)
      out.push(`etcdctl role grant-permission ${r.role} ${g.permission} ${g.key}${g.prefix ? ' --prefix' : ''}`);
    out.push(`etcdctl user add ${r.user} --no-password`, `etcdctl user grant-role ${r.user} ${r.role}`);
  }
  return out;
}

/** Creates the roles and users through the API (tests, bootstrap tools); `password` per user, when not using certificates. */
export async function applyRoles(
  client: Etcd3,
  roles: readonly FleetRole[],
  password?: (user: string) => string,
): Promise<void> {
  for (const r of roles) {
    const role = await client.role(r.role).create();
    for (const g of r.grants) {
      await role.grant({
        permission: g.permission === 'read' ? 'Read' : 'Readwrite',
        ...(g.prefix ? { range: Range.prefix(g.key) } : { key: g.key }),
      });
    }
    // A certificate user's password is never used; etcd's API still wants one.
    const user = await client.user(r.user).create(password ? password(r.user) : randomBytes(24).toString('base64'));
    await user.addRole(role);
  }
}
