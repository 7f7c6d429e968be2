/**
 * readPeers: the peers as an observe reads them, through the v2 dump when VPP has it (then whether
 * a preshared key is set, the key itself only through presharedKeyOf) and through v1 on a VPP
 * without it (24.10).
 */
import { randomBytes } from 'node:crypto';
import * as wireguard from 'vpp-api-ts/wireguard';
import type { VppClient } from '../../src/client';
import { presharedKeyOf } from '../../src/reconcile/actual';
import { readPeers } from '../../src/reconcile/vpp';
import { startRig, type Rig } from './helpers';

async function addInterfaceWithPeers(client: VppClient, psk?: Uint8Array): Promise<{ keys: string[]; index: number }> {
  const { sw_if_index } = await client.call(wireguard.wireguard_interface_create, {
    interface: { user_instance: 0xffffffff, port: 51820, src_ip: '192.0.2.1' },
    generate_key: true,
  });
  const keys = [randomBytes(32), randomBytes(32)];
  const peer = (key: Uint8Array, ip: string) => ({
    public_key: key,
    sw_if_index,
    endpoint: '198.51.100.2',
    port: 51820,
    persistent_keepalive: 25,
    allowed_ips: [ip],
  });
  await client.call(wireguard.wireguard_peer_add, { peer: peer(keys[0]!, '10.0.0.1/32') });
  const second = psk
    ? await client.call(wireguard.wireguard_peer_add_v2, {
        peer: { ...peer(keys[1]!, '10.0.0.2/32'), preshared_key: psk, preshared_key_set: true },
      })
    : await client.call(wireguard.wireguard_peer_add, { peer: peer(keys[1]!, '10.0.0.2/32') });
  return { keys: keys.map((k) => Buffer.from(k).toString('base64')), index: second.peer_index };
}

describe('readPeers', () => {
  let rig: Rig | undefined;
  afterEach(async () => {
    await rig?.close();
    rig = undefined;
  });

  test('VPP 26.10: every peer or one by index, through v2: the preshared key only through presharedKeyOf', async () => {
    rig = await startRig();
    const psk = randomBytes(32);
    const { keys, index } = await addInterfaceWithPeers(rig.client, Uint8Array.from(psk));
    rig.sim.resetCounters();

    const all = await readPeers(rig.client);
    expect(all.map((p) => [p.publicKey, p.presharedKeySet, p.endpoint, p.allowedIps])).toEqual([
      [keys[0], false, { address: '198.51.100.2', port: 51820 }, ['10.0.0.1/32']],
      [keys[1], true, { address: '198.51.100.2', port: 51820 }, ['10.0.0.2/32']],
    ]);
    expect(presharedKeyOf(all[1]!)).toEqual(Uint8Array.from(psk));
    expect(JSON.stringify(all)).not.toContain(Buffer.from(psk).toString('base64'));

    const one = await readPeers(rig.client, index);
    expect(one.map((p) => [p.peerIndex, p.publicKey])).toEqual([[index, keys[1]]]);
    expect(rig.sim.counters()).toMatchObject({ wireguard_peers_v2_dump: 2 });
    expect(rig.sim.counters().wireguard_peers_dump).toBeUndefined();
  });

  test('VPP 24.10 (no v2 peer messages): read through v1, nothing said about preshared keys', async () => {
    rig = await startRig({ profile: '24.10' });
    const { keys } = await addInterfaceWithPeers(rig.client);
    rig.sim.resetCounters();

    const all = await readPeers(rig.client);
    expect(all.map((p) => p.publicKey)).toEqual(keys);
    expect(all.every((p) => p.presharedKeySet === undefined)).toBe(true);
    expect(rig.sim.counters()).toMatchObject({ wireguard_peers_dump: 1 });
    expect(rig.sim.counters().wireguard_peers_v2_dump).toBeUndefined();
  });
});
