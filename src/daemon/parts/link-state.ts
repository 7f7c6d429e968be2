/**
 * The uplinks' link state (carrier) from VPP's interface events: registers for sw_interface_event
 * on every connection, learns which sw_if_index each of the file's uplinks is from each reconcile
 * (matched by hardware or by name), and turns link changes into LINK_DOWN / LINK_UP events, a
 * gauge and a status line. An event's flags name the up events of its batch (VPP's
 * link_state_process ORs the changes of one run), not the interface's state: a carrier loss comes
 * as 0, like an admin down, and a down then up in one run as LINK_UP alone. So each event is read
 * together with the interface's flags from sw_interface_dump (see interpret). A link change is
 * reported only: nothing in the desired state depends on carrier, so it never asks for a
 * reconcile (a flapping NIC must not make the daemon re-apply).
 */
import type winston from 'winston';
import * as iface from 'vpp-api-ts/interface';
import type { MessageDef } from 'vpp-api-ts';
import type { VppClient } from '../../client';
import type { DesiredState } from '../../config';
import { resolveUplinks, type ActualState } from '../../reconcile';
import { PlanError } from '../../reconcile/plan-error';
import type { UplinkStatusMsg } from '../api/proto';
import type { DaemonBus, DaemonPart } from '../bus';
import type { DaemonMetrics } from '../metrics';

/** vl_api_if_status_flags_t (interface_types.api). */
const ADMIN_UP = 1;
const LINK_UP = 2;

/** What this part sends and receives: the VPP connection must know them to decode the events. */
export function linkStateMessages(): MessageDef[] {
  return [
    iface.want_interface_events,
    iface.sw_interface_event,
    iface.sw_interface_dump,
    iface.sw_interface_details,
  ] as MessageDef[];
}

interface Flags {
  adminUp: boolean;
  linkUp: boolean;
}

const flagsOf = (word: number): Flags => ({ adminUp: (word & ADMIN_UP) !== 0, linkUp: (word & LINK_UP) !== 0 });

export class LinkState implements DaemonPart {
  /** The file's uplinks, in its order, with what VPP last said of each. */
  private uplinks: UplinkStatusMsg[] = [];
  /** Flags read after the last event per sw_if_index on this connection: newer than any dump a reconcile made. */
  private readonly lastEvent = new Map<number, Flags>();
  private client?: VppClient;
  /** Reads after events, in the order the events came (VPP answers in order; the last read wins). */
  private reading: Promise<void> = Promise.resolve();
  /** Set by a new connection: VPP may have restarted, so the next reconcile's view replaces what was known. */
  private relearn = false;
  private unsubscribeEvents?: () => void;
  private readonly offs: (() => void)[] = [];

  constructor(
    private readonly desired: () => DesiredState | undefined,
    private readonly bus: DaemonBus,
    private readonly metrics: DaemonMetrics,
    private readonly log: winston.Logger,
  ) {}

  start(): void {
    this.offs.push(
      this.bus.on('vpp-connected', ({ client }) => this.onConnected(client)),
      this.bus.on('vpp-lost', () => {
        this.lastEvent.clear();
        this.client = undefined;
      }),
      this.bus.on('reconciled', ({ result }) => (result?.actual ? this.track(result.actual) : undefined)),
    );
  }

  stop(): void {
    for (const off of this.offs.splice(0)) off();
    this.unsubscribeEvents?.();
    this.unsubscribeEvents = undefined;
  }

  list(): UplinkStatusMsg[] {
    return this.uplinks.map((u) => ({ ...u }));
  }

  private onConnected(client: VppClient): void {
    // A new connection (maybe a new VPP): its interfaces are learned again at the next reconcile.
    this.lastEvent.clear();
    this.relearn = true;
    this.client = client;
    this.unsubscribeEvents?.();
    this.unsubscribeEvents = client.subscribe(iface.sw_interface_event, (e) =>
      this.onEvent(e.sw_if_index, e.flags, e.deleted),
    );
    client.call(iface.want_interface_events, { enable_disable: 1, pid: process.pid }).catch((err: Error) => {
      this.log.warn(
        `want_interface_events failed: ${err.message}; uplink link changes are seen only at the next reconcile`,
      );
    });
  }

  /** The uplinks as this reconcile saw them; a known uplink keeps the link state its events gave. */
  private track(actual: ActualState): void {
    const desired = this.desired();
    if (!desired) return;
    let resolved: DesiredState;
    try {
      resolved = resolveUplinks(desired, actual);
    } catch (err) {
      if (!(err instanceof PlanError)) throw err;
      resolved = { ...desired, uplinks: desired.uplinks.filter((u) => !u.match) };
    }
    const before = new Map(this.uplinks.map((u) => [u.name, u]));
    const relearn = this.relearn;
    this.relearn = false;
    this.uplinks = desired.uplinks.map((u) => {
      const vppName = resolved.uplinks.find((r) => (r.logicalName ?? r.name) === u.name)?.name ?? '';
      const cur = vppName ? actual.interfacesByName.get(vppName) : undefined;
      const prior = before.get(u.name);
      const linkChanges = prior?.linkChanges ?? 0;
      if (!cur)
        return { name: u.name, vppName: '', swIfIndex: 0, adminUp: false, linkUp: false, sinceMs: 0, linkChanges };
      const same = prior !== undefined && prior.swIfIndex === cur.swIfIndex && prior.vppName === vppName;
      if (same && !relearn) return prior;
      const seen = this.lastEvent.get(cur.swIfIndex) ?? { adminUp: cur.adminUp, linkUp: cur.linkUp };
      const next = { name: u.name, vppName, swIfIndex: cur.swIfIndex, ...seen, sinceMs: Date.now(), linkChanges };
      // The same NIC seen again after a reconnect: a link that changed meanwhile is a change like any other.
      if (same && prior.linkUp !== seen.linkUp) {
        next.linkChanges++;
        this.report(next, seen);
      } else if (same) next.sinceMs = prior.sinceMs;
      return next;
    });
    this.updateGauges();
  }

  /** An interface event: deleted, or changed (its flags are read, see the file's comment). */
  private onEvent(swIfIndex: number, word: number, deleted: boolean): void {
    if (deleted) {
      this.apply(swIfIndex, [{ adminUp: false, linkUp: false }], word);
      return;
    }
    const client = this.client;
    if (!client || !this.mayBeUplink(swIfIndex)) return;
    const read = client.dump(iface.sw_interface_dump, {
      sw_if_index: swIfIndex,
      name_filter_valid: false,
      name_filter: '',
    });
    this.reading = this.reading
      .then(() => read)
      .then((rows) => {
        const row = rows.find((r) => r.sw_if_index === swIfIndex);
        // Gone meanwhile: its delete event follows.
        if (row && this.client === client)
          this.apply(swIfIndex, this.interpret(swIfIndex, word, flagsOf(row.flags)), word);
      })
      .catch((err: Error) => {
        this.log.debug(`reading interface ${swIfIndex} after its event failed: ${err.message}`);
      });
  }

  /**
   * Whether an event's interface needs reading: the tunnels and loopbacks a reconcile makes send
   * events too (a create and an up each, thousands in a large apply), and none of them is an uplink
   * once the uplinks are known on this connection. Until then, or while one is not found, any may be.
   */
  private mayBeUplink(swIfIndex: number): boolean {
    if (this.relearn || this.uplinks.length === 0 || this.uplinks.some((u) => u.vppName === '')) return true;
    return this.uplinks.some((u) => u.swIfIndex === swIfIndex);
  }

  /**
   * The link states one event stands for, in order. VPP raises a link-up event only on a
   * transition, so LINK_UP for a link known up means a down went first (in the same run, or in an
   * earlier event whose read already saw the link back). The read, made after the event, may be
   * newer than it: a link read down after an up event went down again (its own event then finds it
   * down and adds nothing), and a link read up after an event without LINK_UP is either back
   * already (that up event follows and tells the flap) or only changed its admin state.
   */
  private interpret(swIfIndex: number, word: number, now: Flags): Flags[] {
    if ((word & LINK_UP) === 0)
      return [now.linkUp ? { adminUp: now.adminUp, linkUp: this.knownLinkUp(swIfIndex) ?? true } : now];
    const adminUpInRun = (word & ADMIN_UP) !== 0;
    const steps: Flags[] = [];
    // Known up before an up event: a down came between, an admin down if the admin state also came back up.
    if (this.knownLinkUp(swIfIndex) === true) steps.push({ adminUp: !adminUpInRun, linkUp: false });
    if (now.linkUp) steps.push(now);
    else steps.push({ adminUp: true, linkUp: true }, now);
    return steps;
  }

  /**
   * The link state the last event (or, on a connection whose interfaces were learned, the last
   * reconcile) left for this interface; unknown before the first reconcile of a connection, when
   * an uplink's entry may still describe a VPP that restarted.
   */
  private knownLinkUp(swIfIndex: number): boolean | undefined {
    const seen = this.lastEvent.get(swIfIndex);
    if (seen) return seen.linkUp;
    if (this.relearn) return undefined;
    return this.uplinks.find((x) => x.vppName !== '' && x.swIfIndex === swIfIndex)?.linkUp;
  }

  private apply(swIfIndex: number, steps: Flags[], word: number): void {
    this.lastEvent.set(swIfIndex, steps[steps.length - 1]);
    const u = this.uplinks.find((x) => x.vppName !== '' && x.swIfIndex === swIfIndex);
    if (!u) return;
    let changed = false;
    for (const flags of steps) {
      u.adminUp = flags.adminUp;
      if (u.linkUp === flags.linkUp) continue;
      u.linkUp = flags.linkUp;
      u.sinceMs = Date.now();
      u.linkChanges++;
      changed = true;
      this.report(u, flags, word);
    }
    if (changed) this.updateGauges();
  }

  /** One link change, told in the log, the counter and the event stream. */
  private report(u: UplinkStatusMsg, flags: Flags, word?: number): void {
    const names = u.name === u.vppName ? u.name : `${u.name} (${u.vppName})`;
    const text = `uplink ${names} link ${flags.linkUp ? 'up' : `down${flags.adminUp ? ' (carrier lost)' : ' (admin down)'}`}`;
    this.log.warn(text, {
      uplink: u.name,
      interface: u.vppName,
      swIfIndex: u.swIfIndex,
      ...(word !== undefined ? { flags: word } : {}),
    });
    this.metrics.uplinkLinkChanges.inc({ uplink: u.name });
    this.bus.emit('publish', {
      kind: flags.linkUp ? 'LINK_UP' : 'LINK_DOWN',
      atMs: u.sinceMs,
      message: text,
      uplink: { ...u },
    });
  }

  private updateGauges(): void {
    const gauge = this.metrics.uplinkLinkUp;
    gauge.reset();
    for (const u of this.uplinks) if (u.vppName) gauge.set({ uplink: u.name, interface: u.vppName }, u.linkUp ? 1 : 0);
  }
}
