/** Reading VPP's state and planning against it, without changing anything. */
import type { VppClient } from '../client';
import type { DesiredState } from '../config';
import { formatShow, observe, reconcile, showState, type Plan, type ShownState } from '../reconcile';

/** What a reconcile of `desired` would do now (nothing is sent to VPP but reads). */
export async function plan(vpp: VppClient, desired: DesiredState): Promise<Plan> {
  const result = await reconcile(vpp, desired, { dryRun: true });
  if (!result.ok) throw new Error(`cannot plan: ${result.error?.message ?? 'unknown error'}`);
  return result.plan;
}

export interface ReadStateOptions {
  /** Names peers and uplinks as this desired state does. */
  desired?: DesiredState;
}

/** VPP's WireGuard interfaces, peers, addresses, tables and routes as plain data (keys hidden). */
export async function readState(vpp: VppClient, opts: ReadStateOptions = {}): Promise<ShownState> {
  return showState(await observe(vpp), opts.desired ? { desired: opts.desired } : {});
}

/** The same as `vppwg show` prints it. */
export async function show(vpp: VppClient, opts: ReadStateOptions = {}): Promise<string> {
  return formatShow(await observe(vpp), opts.desired ? { desired: opts.desired } : {});
}
