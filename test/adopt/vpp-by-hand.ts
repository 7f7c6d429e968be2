/**
 * A VPP state made the way an operator makes it with vppctl or scripts, by raw API calls (no vppwg
 * tags): two WireGuard interfaces, one in an overlay table with IPv4 and IPv6 tunnel addresses,
 * peers with and without an endpoint, tunnel next hops, routes through them, an IPv6 underlay,
 * and the static route that reaches the endpoints.
 */
import { type MessageDef } from 'vpp-api-ts';
import * as itf from 'vpp-api-ts/interface';
import * as ip from 'vpp-api-ts/ip';
import * as wireguard from 'vpp-api-ts/wireguard';
import type { VppClient } from '../../src/client';
import { decodeKey, encodeKey, publicKeyOf } from '../../src/config/keys';

// Field values as VPP's JSON names them; the definitions type them at run time.
// eslint-disable-next-line @typescript-eslint/no-explicit-any
type Any = any;
const ALL = 0xffffffff;

export const KEYS = {
  wg0: decodeKey('YFpVtkTXzAmxN/JztJYbQBx7jmKP+uGfX8CJMm1bZnk=')!,
  wg1: decodeKey('MG/kYeaxWSXJjjrSlHXq6qbqTr4XZV0ttnSQHHODqGc=')!,
};
const peerKey = (n: number): string => encodeKey(publicKeyOf(new Uint8Array(32).fill(n)));
export const PEERS = { a: peerKey(11), b: peerKey(12), c: peerKey(13) };

export async function buildByHand(c: VppClient): Promise<{ wg0: number; wg1: number }> {
  const call = (def: MessageDef, v: Record<string, unknown>): Promise<Any> => c.call(def as never, v as never);
  const route = (table: number, prefix: string, sw: number, nh: string) =>
    call(ip.ip_route_add_del, {
      is_add: true,
      is_multipath: false,
      route: {
        table_id: table,
        prefix,
        paths: [
          {
            sw_if_index: sw,
            weight: 1,
            proto: nh.includes(':') ? 1 : 0,
            nh: { address: nh.includes(':') ? { ip6: nh } : { ip4: nh } },
          },
        ],
      },
    });
  const uplink = 1; // host-eth0, after local0
  for (const is_ip6 of [false, true])
    await call(ip.ip_table_add_del, { is_add: true, table: { table_id: 10, is_ip6, name: 'overlay' } });
  const wg0 = (
    await call(wireguard.wireguard_interface_create, {
      interface: { user_instance: 0, private_key: KEYS.wg0, port: 51820, src_ip: '192.0.2.1' },
      generate_key: false,
    })
  ).sw_if_index as number;
  for (const is_ipv6 of [false, true])
    await call(itf.sw_interface_set_table, { sw_if_index: wg0, is_ipv6, vrf_id: 10 });
  for (const prefix of ['10.9.0.1/24', 'fd00:9::1/64'])
    await call(itf.sw_interface_add_del_address, { sw_if_index: wg0, is_add: true, del_all: false, prefix });
  await call(itf.sw_interface_set_mtu, { sw_if_index: wg0, mtu: [1420, 0, 0, 0] });
  await call(wireguard.wireguard_peer_add, {
    peer: {
      public_key: Buffer.from(PEERS.a, 'base64'),
      port: 51820,
      endpoint: '198.51.100.2',
      sw_if_index: wg0,
      persistent_keepalive: 25,
      table_id: 0,
      allowed_ips: ['10.9.0.2/32', '10.20.0.0/16'],
    },
  });
  await call(wireguard.wireguard_peer_add, {
    peer: {
      public_key: Buffer.from(PEERS.b, 'base64'),
      port: 0,
      endpoint: '0.0.0.0',
      sw_if_index: wg0,
      table_id: 0,
      allowed_ips: ['10.9.0.3/32', 'fd00:9::3/128'],
    },
  });
  await call(itf.sw_interface_set_flags, { sw_if_index: wg0, flags: 1 });
  await route(10, '10.9.0.2/32', wg0, '10.9.0.2');
  await route(10, '10.20.0.0/16', wg0, '10.9.0.2');
  await route(10, 'fd00:9::3/128', wg0, 'fd00:9::3');
  await route(0, '198.51.100.0/24', uplink, '192.0.2.254');

  const wg1 = (
    await call(wireguard.wireguard_interface_create, {
      interface: { user_instance: 1, private_key: KEYS.wg1, port: 51821, src_ip: '2001:db8:0:1::1' },
      generate_key: false,
    })
  ).sw_if_index as number;
  await call(itf.sw_interface_add_del_address, {
    sw_if_index: wg1,
    is_add: true,
    del_all: false,
    prefix: '10.10.0.1/31',
  });
  await call(wireguard.wireguard_peer_add, {
    peer: {
      public_key: Buffer.from(PEERS.c, 'base64'),
      port: 51860,
      endpoint: '2001:db8:ffff::2',
      sw_if_index: wg1,
      table_id: 0,
      allowed_ips: ['10.10.0.0/31', '10.30.0.0/16'],
    },
  });
  await call(itf.sw_interface_set_flags, { sw_if_index: wg1, flags: 1 });
  await route(0, '10.30.0.0/16', wg1, '10.10.0.0');
  await route(0, '2001:db8:ffff::/64', uplink, '2001:db8:0:1::fe');
  return { wg0, wg1 };
}

/** All addresses and routes VPP answers for `ALL` interfaces, for comparisons. */
export const ALL_INTERFACES = ALL;
