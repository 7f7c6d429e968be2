/** Small in-memory states for planner tests: one uplink, one vppwg interface, peers as given. */
import type { DesiredState, DesiredWireguardInterface } from '../../src/config';
import { buildActualState, type ActualInterface, type ActualPeer, type ActualState } from '../../src/reconcile';

export const KEY_A = Buffer.alloc(32, 1).toString('base64');
export const KEY_B = Buffer.alloc(32, 2).toString('base64');

export const uplinkIf: ActualInterface = {
  swIfIndex: 1,
  name: 'host-eth0',
  devType: 'af_packet',
  tag: '',
  adminUp: true,
  linkUp: true,
  mtu: [1500, 0, 0, 0],
  table: { ip4: 0, ip6: 0 },
  addresses: ['192.0.2.1/24', '2001:db8:0:1::1/64'],
};

export const wgIf: ActualInterface = {
  swIfIndex: 2,
  name: 'wg0',
  devType: 'Wireguard Tunnel',
  tag: 'vppwg:wg-x',
  owner: 'wg-x',
  adminUp: true,
  linkUp: true,
  mtu: [1420, 0, 0, 0],
  table: { ip4: 0, ip6: 0 },
  addresses: ['10.0.0.1/24'],
};

export function desiredWg(over: Partial<DesiredWireguardInterface> = {}): DesiredWireguardInterface {
  return {
    name: 'wg-x',
    privateKey: 'generate',
    listenPort: 51820,
    source: '192.0.2.1',
    addresses: ['10.0.0.1/24'],
    mtu: 1420,
    table: 0,
    adminUp: true,
    peers: [],
    ...over,
  };
}

export function desiredState(wg: DesiredWireguardInterface[], extra: Partial<DesiredState> = {}): DesiredState {
  return { tables: [], uplinks: [], routes: [], wireguard: wg, ...extra };
}

export function actualState(
  peers: ActualPeer[],
  ifs: ActualInterface[] = [uplinkIf, wgIf],
  wgPublicKey = KEY_A,
): ActualState {
  return buildActualState({
    interfaces: ifs,
    wireguard: ifs
      .filter((i) => i.devType === 'Wireguard Tunnel')
      .map((i) => ({
        swIfIndex: i.swIfIndex,
        instance: 0,
        publicKey: wgPublicKey,
        listenPort: 51820,
        source: '192.0.2.1',
      })),
    peers,
    tables: [
      { id: 0, family: 'ip4', name: 'ipv4-VRF:0' },
      { id: 0, family: 'ip6', name: 'ipv6-VRF:0' },
    ],
    routes: [],
    teib: [],
    peerV2: true,
  });
}

export function actualPeer(over: Partial<ActualPeer>): ActualPeer {
  return {
    peerIndex: 0,
    swIfIndex: 2,
    publicKey: KEY_A,
    allowedIps: ['10.0.0.2/32'],
    persistentKeepalive: 0,
    underlayTable: 0,
    flags: 0,
    established: false,
    presharedKeySet: false,
    ...over,
  };
}
