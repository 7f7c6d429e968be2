/**
 * Uplinks matched by hardware: an uplink with `match: {mac, pci}` names no VPP interface; this finds
 * the one VPP interface whose hardware agrees and rewrites the desired state to VPP's name (the
 * uplink and every route through it), so the planner sees names only. Exactly one interface must
 * match: none or several is a plan error listing the candidates.
 */
import type { DesiredState, DesiredUplink, UplinkMatch } from '../config/model';
import type { ActualInterface, ActualState } from './actual';
import { PlanError } from './plan-error';

/**
 * A DPDK interface's name encodes its PCI address (VPP's dpdk plugin, device/init.c): a speed
 * prefix ('GigabitEthernet', 'TenGigabitEthernet', ..., 'VirtualFunctionEthernet'), then
 * bus/device/function in hex, with '-domain/' in front when the domain is not 0
 * ('TenGigabitEthernet3/0/0' = 0000:03:00.0, 'GigabitEthernet-1/2/0/1' = 0001:02:00.1). A vdev
 * ('net_tap0' ports are named by port id) or a startup.conf `name` carries none; nor does a
 * sub-interface ('.100'). VPP's `interface-name-format-decimal` would write the numbers in decimal.
 */
const DPDK_PCI_NAME = /^[A-Za-z]*Ethernet(?:-([0-9a-f]{1,4})\/)?([0-9a-f]{1,2})\/([0-9a-f]{1,2})\/([0-7])(?:\/\d+)?$/;

const hex = (text: string, width: number): string => text.padStart(width, '0');

/** The PCI address VPP's name for a DPDK interface encodes ('dddd:bb:dd.f'), or undefined. */
export function pciOfInterface(i: Pick<ActualInterface, 'name' | 'devType'>): string | undefined {
  if (i.devType !== 'dpdk') return undefined;
  const m = DPDK_PCI_NAME.exec(i.name);
  if (!m) return undefined;
  const [, domain = '0', bus, device, fn] = m;
  return `${hex(domain, 4)}:${hex(bus!, 2)}:${hex(device!, 2)}.${fn}`;
}

/** 'mac 02:fe:00:00:00:01, pci 0000:03:00.0', for messages. */
export function matchText(m: UplinkMatch): string {
  return Object.entries(m)
    .map(([k, v]) => `${k} ${String(v)}`)
    .join(', ');
}

/** An interface as a candidate in messages: its name and whatever hardware VPP reports for it. */
function hardwareText(i: ActualInterface): string {
  const pci = pciOfInterface(i);
  return `${i.name} (mac ${i.mac ?? 'none'}${pci ? `, pci ${pci}` : ''})`;
}

/** Interfaces that have hardware of their own: not sub-interfaces, not those without a MAC. */
function hardwareInterfaces(actual: ActualState): ActualInterface[] {
  return [...actual.interfaces.values()].filter((i) => i.parentSwIfIndex === undefined && i.mac !== undefined);
}

function matches(i: ActualInterface, m: UplinkMatch): boolean {
  if (m.mac !== undefined && i.mac !== m.mac) return false;
  if (m.pci !== undefined && pciOfInterface(i) !== m.pci) return false;
  return true;
}

/** A list of candidates for a message, the whole list when short. */
function candidatesText(list: readonly ActualInterface[]): string {
  return list.length ? list.map(hardwareText).join('; ') : 'none';
}

/**
 * `desired` with each matched uplink renamed to VPP's interface (its file name kept as
 * `logicalName`, its `match` dropped) and routes through it renamed too. Unchanged (the same
 * object) when no uplink has a match, so resolving twice is harmless.
 */
export function resolveUplinks(desired: DesiredState, actual: ActualState): DesiredState {
  if (!desired.uplinks.some((u) => u.match)) return desired;
  const hardware = hardwareInterfaces(actual);
  const problems: string[] = [];
  const renamed = new Map<string, string>();
  /** VPP name → the uplink that took it: one interface is one uplink. */
  const taken = new Map<string, string>();
  for (const u of desired.uplinks) if (!u.match) taken.set(u.name, u.name);
  const uplinks: DesiredUplink[] = desired.uplinks.map((u) => {
    if (!u.match) return u;
    const found = hardware.filter((i) => matches(i, u.match!));
    if (found.length !== 1) {
      problems.push(
        found.length === 0
          ? `uplink "${u.name}" matches no VPP interface (${matchText(u.match)}): fix the match or check the NIC; VPP's interfaces with hardware: ${candidatesText(hardware)}`
          : `uplink "${u.name}" matches ${found.length} VPP interfaces (${matchText(u.match)}): ${candidatesText(found)}; add a key to the match (mac and pci) so that exactly one does`,
      );
      return u;
    }
    const vppName = found[0]!.name;
    const other = taken.get(vppName);
    if (other !== undefined) {
      problems.push(
        `uplink "${u.name}" matches ${vppName}, which is already uplink "${other}": one interface is one uplink; merge the two entries or fix the match`,
      );
      return u;
    }
    taken.set(vppName, u.name);
    renamed.set(u.name, vppName);
    const { match: _resolved, ...rest } = u;
    return { ...rest, name: vppName, logicalName: u.name };
  });
  if (problems.length) throw new PlanError(problems);
  return {
    ...desired,
    uplinks,
    routes: desired.routes.map((r) => {
      const vppName = renamed.get(r.interface);
      return vppName === undefined ? r : { ...r, interface: vppName };
    }),
  };
}
