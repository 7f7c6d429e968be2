/**
 * A group of fleet nodes for the fleet bench, in this process or in a child process: one event
 * loop holds at most a few dozen nodes, or etcd's 5 s call deadlines pass while it is busy (200
 * nodes in one process did not start). The bench asks each group the same questions either way.
 * Run as a child (forked with its nodes as JSON in argv[2]), this file starts them and answers.
 */
import { fork, type ChildProcess } from 'node:child_process';
import { FleetNode } from '../../test/fleet/fleet-node';

export interface NodeSpec {
  readonly name: string;
  readonly underlay: string;
}

export interface GroupSpec {
  readonly endpoint: string;
  readonly network: string;
  readonly nodes: readonly NodeSpec[];
}

/** What the bench asks of a group. `n` is the size of the whole mesh. */
export interface NodeGroup {
  /** Every node's last reconcile succeeded with its n-1 peers configured in its VPP. */
  converged(n: number): Promise<boolean>;
  /** Every node has its n-1 peers established. */
  established(n: number): Promise<boolean>;
  /** Every node of the group but `node` has `node` as a peer with `publicKey`. */
  sees(node: string, publicKey: string): Promise<boolean>;
  /** Resident memory of the group's process (after a GC) and its CPU seconds so far. */
  usage(): Promise<{ rssMb: number; cpuS: number }>;
  stop(): Promise<void>;
}

/** Nodes started this many at a time: all at once, the first ones' calls time out behind the others' start. */
const START_BATCH = 20;

function rssMb(): number {
  (globalThis as { gc?: () => void }).gc?.();
  return process.memoryUsage().rss / 1e6;
}

function cpuS(): number {
  const u = process.cpuUsage();
  return (u.user + u.system) / 1e6;
}

class LocalGroup implements NodeGroup {
  constructor(
    private readonly network: string,
    private readonly agents: readonly FleetNode[],
  ) {}

  converged(n: number): Promise<boolean> {
    return Promise.resolve(
      this.agents.every((a) => a.daemon.lastReconcileSummary?.ok && a.peerKeys(this.network).size === n - 1),
    );
  }

  established(n: number): Promise<boolean> {
    return Promise.resolve(this.agents.every((a) => a.daemon.establishedPeerCount === n - 1));
  }

  sees(node: string, publicKey: string): Promise<boolean> {
    return Promise.resolve(
      this.agents.every((a) => a.node === node || a.peerKeys(this.network).get(node) === publicKey),
    );
  }

  usage(): Promise<{ rssMb: number; cpuS: number }> {
    return Promise.resolve({ rssMb: rssMb(), cpuS: cpuS() });
  }

  async stop(): Promise<void> {
    await Promise.all(this.agents.map((a) => a.stop().catch(() => undefined)));
  }
}

/** Starts the group's nodes in this process. */
export async function startLocalGroup(spec: GroupSpec): Promise<NodeGroup> {
  const agents: FleetNode[] = [];
  try {
    for (let i = 0; i < spec.nodes.length; i += START_BATCH) {
      const batch = await Promise.allSettled(
        spec.nodes.slice(i, i + START_BATCH).map((s) =>
          FleetNode.start(s.name, s.underlay, {
            endpoints: [spec.endpoint],
            statusIntervalMs: 5000,
            driftMs: 0,
            waitReconciled: false,
            logLevel: 'warn',
          }),
        ),
      );
      for (const r of batch) if (r.status === 'fulfilled') agents.push(r.value);
      const failed = batch.find((r) => r.status === 'rejected');
      if (failed) throw failed.reason;
    }
  } catch (err) {
    await new LocalGroup(spec.network, agents).stop();
    throw err;
  }
  return new LocalGroup(spec.network, agents);
}

type Question =
  | { op: 'converged' | 'established'; n: number }
  | { op: 'sees'; node: string; publicKey: string }
  | { op: 'usage' | 'stop' };
type Request = Question & { id: number };
type Reply = { id: number; value?: unknown; error?: string } | { started: true } | { failed: string };

class ChildGroup implements NodeGroup {
  private nextId = 1;
  private readonly pending = new Map<number, { resolve: (v: unknown) => void; reject: (e: Error) => void }>();

  constructor(private readonly child: ChildProcess) {
    child.on('message', (m: Reply) => {
      if (!('id' in m)) return;
      const p = this.pending.get(m.id);
      this.pending.delete(m.id);
      if (m.error !== undefined) p?.reject(new Error(m.error));
      else p?.resolve(m.value);
    });
    child.on('exit', (code) => {
      for (const p of this.pending.values()) p.reject(new Error(`fleet bench child exited (${code})`));
      this.pending.clear();
    });
  }

  private ask<T>(req: Question): Promise<T> {
    const id = this.nextId++;
    return new Promise<T>((resolve, reject) => {
      this.pending.set(id, { resolve: resolve as (v: unknown) => void, reject });
      this.child.send({ ...req, id });
    });
  }

  converged(n: number): Promise<boolean> {
    return this.ask({ op: 'converged', n });
  }

  established(n: number): Promise<boolean> {
    return this.ask({ op: 'established', n });
  }

  sees(node: string, publicKey: string): Promise<boolean> {
    return this.ask({ op: 'sees', node, publicKey });
  }

  usage(): Promise<{ rssMb: number; cpuS: number }> {
    return this.ask({ op: 'usage' });
  }

  async stop(): Promise<void> {
    if (this.child.exitCode !== null) return;
    const exited = new Promise<void>((resolve) => this.child.once('exit', () => resolve()));
    await this.ask({ op: 'stop' }).catch(() => undefined);
    await exited;
  }
}

/**
 * Forks a child process holding the group's nodes (this file, compiled: the bench runs from dist).
 * Resolves once they started, with the child's memory before it started any.
 */
export async function startChildGroup(spec: GroupSpec): Promise<{ group: NodeGroup; baseRssMb: number }> {
  const child = fork(__filename, [JSON.stringify(spec)], { execArgv: ['--expose-gc'], stdio: 'inherit' });
  const group = new ChildGroup(child);
  const baseRssMb = await new Promise<number>((resolve, reject) => {
    const onExit = (code: number | null) =>
      reject(new Error(`fleet bench child exited (${code}) before its nodes started`));
    child.once('exit', onExit);
    child.on('message', (m: Reply & { baseRssMb?: number }) => {
      if ('failed' in m) reject(new Error(m.failed));
      if ('started' in m) {
        child.off('exit', onExit);
        resolve(m.baseRssMb ?? 0);
      }
    });
  }).catch(async (err: unknown) => {
    child.kill();
    throw err;
  });
  return { group, baseRssMb };
}

async function childMain(spec: GroupSpec): Promise<void> {
  const send = (m: Reply & { baseRssMb?: number }) => process.send!(m);
  const baseRssMb = rssMb();
  let group: NodeGroup;
  try {
    group = await startLocalGroup(spec);
  } catch (err) {
    send({ failed: (err as Error).message });
    process.exit(1);
  }
  process.on('message', (req: Request) => {
    const answer = async (): Promise<unknown> => {
      switch (req.op) {
        case 'converged':
          return group.converged(req.n);
        case 'established':
          return group.established(req.n);
        case 'sees':
          return group.sees(req.node, req.publicKey);
        case 'usage':
          return group.usage();
        case 'stop':
          await group.stop();
          setImmediate(() => process.exit(0));
          return undefined;
      }
    };
    answer().then(
      (value) => send({ id: req.id, value }),
      (err: unknown) => send({ id: req.id, error: (err as Error).message }),
    );
  });
  // The parent gone (killed, crashed): no orphaned nodes keep the store busy.
  process.on('disconnect', () => void group.stop().finally(() => process.exit(0)));
  send({ started: true, baseRssMb });
}

if (require.main === module && process.send) void childMain(JSON.parse(process.argv[2]!) as GroupSpec);
