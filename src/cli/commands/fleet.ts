/**
 * `vppwg fleet ...`: the operator's side of fleet mode. Every value is validated before it is
 * written and written in a mod-revision transaction (see src/fleet/admin.ts); no command prints
 * a private key, because none is ever in etcd.
 */
import type { Command } from 'commander';
import { readFileSync } from 'node:fs';
import type { ExitCode } from '../exit-code';
import { DEFAULT_PREFIX, FleetLayout } from '../../fleet/layout';
import type { Etcd3 } from 'etcd3';

// The etcd client (gRPC) loads when a fleet command runs, not when the CLI starts.
/* eslint-disable @typescript-eslint/no-require-imports */
const admin = () => require('../../fleet/admin') as typeof import('../../fleet/admin');
const rolesModule = () => require('../../fleet/roles') as typeof import('../../fleet/roles');
const store = () => require('../../fleet/store') as typeof import('../../fleet/store');
/* eslint-enable @typescript-eslint/no-require-imports */

export interface FleetIo {
  out(text: string): void;
  err(text: string): void;
}

const processIo: FleetIo = {
  out: (t) => process.stdout.write(t.endsWith('\n') ? t : t + '\n'),
  err: (t) => process.stderr.write(t.endsWith('\n') ? t : t + '\n'),
};

/** The store options every fleet command takes. */
export interface StoreFlags {
  etcd?: string;
  etcdPrefix?: string;
  etcdCa?: string;
  etcdCert?: string;
  etcdKey?: string;
}

/** Endpoints from --etcd (or VPPWG_ETCD), comma-separated. */
export function endpointsOf(flags: StoreFlags, env: NodeJS.ProcessEnv = process.env): string[] {
  const text = flags.etcd ?? env.VPPWG_ETCD;
  if (!text) throw new Error('no etcd endpoint: give --etcd URL[,URL...] or set VPPWG_ETCD');
  return text
    .split(',')
    .map((s) => s.trim())
    .filter(Boolean);
}

async function withStore(
  flags: StoreFlags,
  io: FleetIo,
  f: (client: Etcd3, layout: FleetLayout) => Promise<number>,
): Promise<number> {
  let client: Etcd3 | undefined;
  try {
    const layout = new FleetLayout(flags.etcdPrefix ?? DEFAULT_PREFIX);
    client = store().connectStore({
      endpoints: endpointsOf(flags),
      tls: { ca: flags.etcdCa, cert: flags.etcdCert, key: flags.etcdKey },
      callTimeoutMs: 5000,
    });
    return await f(client, layout);
  } catch (err) {
    io.err(`vppwg fleet: ${describeError(err)}`);
    return 1;
  } finally {
    client?.close();
  }
}

function describeError(err: unknown): string {
  const e = err as Error;
  if (/PermissionDenied|permission denied/i.test(`${e.name} ${e.message}`))
    return `etcd refused the operation (permission denied): ${e.message}; use an identity whose role may write these keys (see deploy/etcd/)`;
  if (/Unavailable|ECONNREFUSED|deadline|No connection established/i.test(`${e.name} ${e.message}`))
    return `etcd is unreachable (${e.message}): check --etcd and that the store is running`;
  return e.message;
}

function readInput(file: string): string {
  try {
    return readFileSync(file === '-' ? 0 : file, 'utf8');
  } catch (err) {
    throw new Error(`cannot read ${file} (${(err as NodeJS.ErrnoException).code ?? 'error'}): check the path`);
  }
}

export function runFleetStatus(flags: StoreFlags & { json?: boolean }, io: FleetIo = processIo): Promise<number> {
  return withStore(flags, io, async (client, layout) => {
    const report = await admin().fleetStatus(client, layout);
    io.out(flags.json ? JSON.stringify(report, null, 2) : admin().formatFleetStatus(report));
    return report.nodes.every((n) => n.healthy) ? 0 : 2;
  });
}

export function runPutNetwork(
  file: string,
  flags: StoreFlags & { name?: string; ifRevision?: string },
  io: FleetIo = processIo,
): Promise<number> {
  return withStore(flags, io, async (client, layout) => {
    const r = await admin().putNetwork(client, layout, readInput(file), {
      name: flags.name,
      expectRevision: flags.ifRevision,
    });
    io.out(`wrote ${r.key} at revision ${r.revision}`);
    return 0;
  });
}

export function runPutMember(
  net: string,
  node: string,
  file: string,
  flags: StoreFlags & { ifRevision?: string },
  io: FleetIo = processIo,
): Promise<number> {
  return withStore(flags, io, async (client, layout) => {
    const r = await admin().putMember(client, layout, net, node, readInput(file), { expectRevision: flags.ifRevision });
    io.out(`wrote ${r.key} at revision ${r.revision} (tunnel address ${r.tunnelAddress})`);
    return 0;
  });
}

export function runPutDesired(
  node: string,
  file: string,
  flags: StoreFlags & { ifRevision?: string },
  io: FleetIo = processIo,
): Promise<number> {
  return withStore(flags, io, async (client, layout) => {
    const r = await admin().putDesired(client, layout, node, readInput(file), { expectRevision: flags.ifRevision });
    io.out(`wrote ${r.key} at revision ${r.revision}`);
    return 0;
  });
}

export function runRemoveMember(
  net: string,
  node: string,
  flags: StoreFlags,
  io: FleetIo = processIo,
): Promise<number> {
  return withStore(flags, io, async (client, layout) => {
    const removed = await admin().removeMember(client, layout, net, node);
    io.out(removed ? `removed ${layout.member(net, node)}` : `${layout.member(net, node)} did not exist`);
    return 0;
  });
}

export function runRotateKey(
  flags: StoreFlags & { node: string; network: string; wait?: string },
  io: FleetIo = processIo,
): Promise<number> {
  return withStore(flags, io, async (client, layout) => {
    const seconds = flags.wait === undefined ? 10 : Number(flags.wait);
    if (!Number.isFinite(seconds) || seconds < 0)
      throw new Error(`--wait ${flags.wait} is not a number of seconds: give e.g. --wait 10 (0: do not wait)`);
    const r = await admin().rotateKey(client, layout, flags.node, flags.network, seconds * 1000);
    io.out(
      r.publicKey
        ? `node ${flags.node} published its new public key for ${flags.network}: ${r.publicKey}`
        : `requested at ${r.requested}`,
    );
    return 0;
  });
}

/** `fleet roles NODE...`: the etcdctl commands creating the operators' role and one role per node (offline). */
export function runFleetRoles(
  nodes: string[],
  flags: { etcdPrefix?: string; adminUser?: string },
  io: FleetIo = processIo,
): number {
  try {
    const layout = new FleetLayout(flags.etcdPrefix ?? DEFAULT_PREFIX);
    const roles = [
      rolesModule().adminRole(layout, flags.adminUser),
      ...nodes.map((n) => rolesModule().nodeRole(layout, n)),
    ];
    io.out(rolesModule().etcdctlCommands(roles).join('\n'));
    return 0;
  } catch (err) {
    io.err(`vppwg fleet: ${(err as Error).message}`);
    return 1;
  }
}

function storeOptions(cmd: Command): Command {
  return cmd
    .option('--etcd <urls>', 'etcd endpoints, comma-separated (default: $VPPWG_ETCD)')
    .option('--etcd-prefix <prefix>', 'key prefix of the fleet', DEFAULT_PREFIX)
    .option('--etcd-ca <file>', 'CA certificate of the etcd servers')
    .option('--etcd-cert <file>', 'client certificate')
    .option('--etcd-key <file>', 'client key');
}

export function registerFleetCommands(program: Command, exit: ExitCode): void {
  const fleet = program.command('fleet').description('fleet mode: many VPP appliances described in etcd');
  storeOptions(
    fleet
      .command('status')
      .description('nodes, networks, last reconcile, peers up/total, store reachable (exit 2: not all healthy)'),
  )
    .option('--json', 'print the status as JSON')
    .action(async (o: StoreFlags & { json?: boolean }) => {
      exit.code = await runFleetStatus(o);
    });
  storeOptions(
    fleet.command('put-network').description('validate and write a network (the file names it with `name:`)'),
  )
    .argument('<file>', 'network file (YAML or JSON; - for stdin)')
    .option('--name <net>', 'network name, when the file has none')
    .option('--if-revision <rev>', 'write only if the key is still at this mod revision (0: only if absent)')
    .action(async (file: string, o: StoreFlags & { name?: string; ifRevision?: string }) => {
      exit.code = await runPutNetwork(file, o);
    });
  storeOptions(
    fleet.command('put-member').description('validate and write a member; without tunnel_address one is allocated'),
  )
    .argument('<net>', 'network name')
    .argument('<node>', 'node name')
    .argument('<file>', 'member file (YAML or JSON; - for stdin)')
    .option('--if-revision <rev>', 'write only if the key is still at this mod revision (0: only if absent)')
    .action(async (net: string, node: string, file: string, o: StoreFlags & { ifRevision?: string }) => {
      exit.code = await runPutMember(net, node, file, o);
    });
  storeOptions(
    fleet
      .command('put-desired')
      .description("validate and write a node's own desired state (the --config file format)"),
  )
    .argument('<node>', 'node name')
    .argument('<file>', 'desired-state file (YAML or JSON; - for stdin)')
    .option('--if-revision <rev>', 'write only if the key is still at this mod revision (0: only if absent)')
    .action(async (node: string, file: string, o: StoreFlags & { ifRevision?: string }) => {
      exit.code = await runPutDesired(node, file, o);
    });
  storeOptions(fleet.command('remove-member').description('remove a member: its peer disappears on every other member'))
    .argument('<net>', 'network name')
    .argument('<node>', 'node name')
    .action(async (net: string, node: string, o: StoreFlags) => {
      exit.code = await runRemoveMember(net, node, o);
    });
  fleet
    .command('roles')
    .description(
      'print the etcdctl commands creating per-node roles (a node writes only its own keys); see deploy/etcd/',
    )
    .argument('<nodes...>', 'node names')
    .option('--etcd-prefix <prefix>', 'key prefix of the fleet', DEFAULT_PREFIX)
    .option('--admin-user <user>', "the operators' etcd user (a client certificate's CN)", 'vppwg-admin')
    .action((nodes: string[], o: { etcdPrefix?: string; adminUser?: string }) => {
      exit.code = runFleetRoles(nodes, o);
    });
  storeOptions(fleet.command('rotate-key').description('make a node generate a new key for a network and publish it'))
    .requiredOption('--node <node>', 'node name')
    .requiredOption('--network <net>', 'network name')
    .option('--wait <seconds>', 'wait this long for the new public key (0: do not wait)', '10')
    .action(async (o: StoreFlags & { node: string; network: string; wait?: string }) => {
      exit.code = await runRotateKey(o);
    });
}
