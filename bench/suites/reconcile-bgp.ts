/**
 * The drift check beside a routing daemon: a no-op reconcile of 100 peers on an emulator with
 * linux-cp, first with no routes of another source, then beside 1,000,000 routes of source
 * lcp-rt-dynamic through vppwg's own interface (a full table BIRD learned over the tunnel), in
 * the same run. Target: within 20 % of each other (the figure's floor is the run with none).
 * The emulator runs in this process, so the routes are injected directly (sim.control).
 */
import { VppClient } from '../../src/client';
import type { DesiredState } from '../../src/config/model';
import { observe, reconcile, reconcileMessages } from '../../src/reconcile';
import { startSim } from '../../src/sim';
import { type BenchContext, type Figure, measure } from '../harness';

const UPLINKS = [{ name: 'host-eth0', addresses: ['192.0.2.1/24', '2001:db8:0:1::1/64'], up: true }];

/** `base` with its interfaces paired, as the BGP layout has them. */
function paired(base: DesiredState): DesiredState {
  return {
    ...base,
    linuxCp: { netns: 'dataplane' },
    wireguard: base.wireguard.map((w, i) => ({ ...w, hostInterface: `wgb${i}` })),
  };
}

export async function noopBesideRoutingDaemon(
  ctx: BenchContext,
  benchState: (n: number) => DesiredState,
): Promise<Figure> {
  const learned = ctx.quick ? 2_000 : 1_000_000;
  const runs = ctx.quick ? 1 : 5;
  const sim = await startSim({ config: { uplinks: UPLINKS, linuxCp: true } });
  const client = await VppClient.connect({
    socketPath: sim.socketPath,
    messages: reconcileMessages(),
    reconnect: false,
    timeoutMs: 60_000,
  });
  try {
    const desired = paired(benchState(100));
    const first = await reconcile(client, desired);
    if (!first.ok) throw new Error(`apply of 100 paired peers failed: ${first.error?.message}`);
    const noop = async (): Promise<number> => {
      const t = performance.now();
      const r = await reconcile(client, desired);
      if (!r.ok || !r.plan.isEmpty) throw new Error('the no-op apply planned changes');
      if (r.actual!.routes.size > 1000) throw new Error(`the reconcile kept ${r.actual!.routes.size} routes`);
      return performance.now() - t;
    };
    ctx.log('reconcile: no-op apply of 100 paired peers, no routes of another source');
    const none = await measure(noop, { runs, warmup: ctx.quick ? 0 : 1 });
    const wg = (await observe(client)).owned.interfaces.get(desired.wireguard[0]!.name)!;
    const via = desired.wireguard[0]!.peers[0]!.tunnelNextHops[0]!;
    ctx.log(`reconcile: injecting ${learned} routes of source lcp-rt-dynamic via ${via}`);
    for (let k = 0; k < learned; k++)
      sim.control.injectRoute({ prefix: `${20 + (k >> 16)}.${(k >> 8) & 255}.${k & 255}.0/24`, via, swIfIndex: wg });
    ctx.log(`reconcile: no-op apply of 100 paired peers beside ${learned} routing-daemon routes`);
    const beside = await measure(noop, { runs, warmup: ctx.quick ? 0 : 1 });
    return {
      suite: 'reconcile',
      name: `no-op apply, 100 peers, beside ${learned} routes of the routing daemon (lcp-rt-dynamic) vs none`,
      unit: 'ms',
      ...beside,
      floor: none.median,
      ratio: beside.median / none.median,
      ...(!ctx.quick ? { target: { op: '<=' as const, value: 1.2, of: 'ratio' as const } } : {}),
      server: 'emulator (in-process, linux-cp)',
    };
  } finally {
    await client.close();
    await sim.stop();
  }
}
