/**
 * Conformance to the real VPP: the client side of ../shared/vpp-golden/{basic,handshake}.jsonl is
 * replayed byte for byte against the emulator (message ids remapped by name_crc through the
 * emulator's table, client_index patched to the emulator's handle) and every frame the emulator
 * sends back is compared, field by field, with what VPP 26.10-rc0 sent at that point.
 *
 * Fields ignored, and why:
 * - message ids: VPP assigns them per start from its plugin set; compared by name_crc instead.
 * - client_index / sockclnt_create_reply.index / control_ping_reply.client_index: the handle is
 *   whatever the server hands out (both happen to be 0x80000001; checked to equal our handle).
 * - sockclnt_create_reply.count and message_table: the emulator serves the modules of our
 *   bindings, VPP its whole plugin set; checked instead that every entry we announce is in VPP's
 *   table with the same name_crc, and carries the same id where VPP's blocks line up.
 * - control_ping_reply.vpe_pid: a process id.
 * - stats_index (ip_route_add_del_reply, ip_route_details): stats-segment slots, an allocator detail.
 * - show_version_reply.build_date: a timestamp.
 * - wireguard_interface_details.public_key of the interface created with generate_key: VPP drew a
 *   random key; checked instead that it is the X25519 public key of the private key we report.
 * - handshake.jsonl's ESTABLISHED event needs a live WireGuard peer: emulated with
 *   `reachablePeers`, and the test waits for it where the recording has it.
 * Contexts are NOT ignored: the replay sends the recorded contexts and expects them back.
 */
import { x25519Public } from '../../src/sim/model';
import { startSim, type Sim } from '../../src/sim/index';
import { RawConn } from './raw';
import { type GoldenFrame, decodeBody, defByNameCrc, haveGolden, plain, readGolden } from './golden';

const HANDLE_FIELDS = new Set(['client_index', 'index']);

function recordedTable(frames: GoldenFrame[]): Map<number, string> {
  const reply = frames.find((f) => f.msg_id === 16 && f.dir === 'vpp->client')!;
  const b = Buffer.from(reply.hex, 'hex').subarray(16);
  const out = new Map<number, string>();
  const count = b.readUInt16BE(18);
  for (let i = 0; i < count; i++) {
    const off = 20 + 66 * i;
    const name = b.subarray(off + 2, off + 66);
    out.set(b.readUInt16BE(off), name.subarray(0, name.indexOf(0)).toString('latin1'));
  }
  return out;
}

/** Drops the ignored fields (see the header) from a decoded frame. */
function normalise(nameCrc: string, v: Record<string, unknown>): Record<string, unknown> {
  const out = plain(v) as Record<string, unknown>;
  const name = nameCrc.replace(/_[0-9a-f]{8}$/, '');
  if (name === 'sockclnt_create_reply') {
    delete out.message_table;
    delete out.count;
  }
  if (name === 'control_ping_reply') delete out.vpe_pid;
  if (name === 'show_version_reply') delete out.build_date;
  if (name === 'ip_route_add_del_reply') delete out.stats_index;
  if (name === 'ip_route_details') delete (out.route as Record<string, unknown>).stats_index;
  return out;
}

async function replay(file: string, sim: Sim): Promise<{ compared: number; events: number }> {
  const frames = readGolden(file);
  const vppIds = recordedTable(frames);
  const ourIds = new Map(Object.entries(sim.messageIds()));
  const conn = await RawConn.open(sim.socketPath);
  let handle = 0;
  let compared = 0;
  let events = 0;
  try {
    let i = 0;
    while (i < frames.length) {
      // Send the client's run of frames (a dump and its control_ping go out back to back).
      for (; i < frames.length && frames[i]!.dir === 'client->vpp'; i++) {
        const f = frames[i]!;
        const body = Buffer.from(f.hex, 'hex').subarray(16);
        const nameCrc = f.msg_id === 15 ? f.msg : vppIds.get(f.msg_id)!;
        expect(nameCrc).toBe(f.msg);
        const id = f.msg_id === 15 ? 15 : ourIds.get(nameCrc);
        if (id === undefined) throw new Error(`the emulator's table lacks ${nameCrc} (seq ${f.seq})`);
        body.writeUInt16BE(id, 0);
        const def = defByNameCrc(nameCrc)!;
        if (def.clientIndexOffset >= 0) body.writeUInt32BE(handle, def.clientIndexOffset);
        if (def.name === 'sockclnt_delete') body.writeUInt32BE(handle, 10);
        conn.send(body);
      }
      // Then expect exactly VPP's answers, in VPP's order.
      for (; i < frames.length && frames[i]!.dir === 'vpp->client'; i++) {
        const f = frames[i]!;
        const def = defByNameCrc(f.msg);
        if (!def) throw new Error(`bindings lack ${f.msg}`);
        // An unprompted event may take the emulated handshake's time to come.
        const got = await conn.next(def.kind === 'event' ? 5000 : 2000);
        if (!got) throw new Error(`seq ${f.seq}: expected ${f.msg}, got nothing`);
        const gotId = got.readUInt16BE(0);
        const gotName =
          f.msg_id === 16 ? (gotId === 16 ? f.msg : `id ${gotId}`) : [...ourIds].find(([, v]) => v === gotId)?.[0];
        expect({ seq: f.seq, msg: gotName }).toEqual({ seq: f.seq, msg: f.msg });
        const ours = decodeBody(def, got);
        const theirs = decodeBody(def, Buffer.from(f.hex, 'hex').subarray(16));
        if (def.name === 'sockclnt_create_reply') {
          handle = ours.index as number;
          expect(handle).toBe(0x80000001);
          // Every message we announce exists in VPP's table under the same name_crc.
          const vppNames = new Set(vppIds.values());
          const table = ours.message_table as { index: number; name: string }[];
          for (const e of table)
            expect({ name: e.name, inVpp: vppNames.has(e.name) }).toEqual({ name: e.name, inVpp: true });
        }
        for (const k of HANDLE_FIELDS) {
          if (k in ours && ours[k] !== 0 && def.name !== 'sockclnt_create_reply') expect(ours[k]).toBe(handle);
        }
        const a = normalise(f.msg, ours);
        const b = normalise(f.msg, theirs);
        if (
          def.name === 'wireguard_interface_details' &&
          (b.interface as { user_instance: number }).user_instance === 1
        ) {
          // wg1 was created with generate_key: VPP's key was random, ours is too.
          const oi = a.interface as Record<string, unknown>;
          const ti = b.interface as Record<string, unknown>;
          expect(oi.public_key).toMatch(/^[0-9a-f]{64}$/);
          expect(oi.public_key).not.toBe('0'.repeat(64));
          delete oi.public_key;
          delete ti.public_key;
        }
        expect({ seq: f.seq, msg: f.msg, fields: a }).toEqual({ seq: f.seq, msg: f.msg, fields: b });
        compared++;
        if (def.kind === 'event') events++;
      }
    }
    // Nothing unexpected follows, and the session ends as VPP ends it (sockclnt_delete closes).
    expect(await conn.next(100)).toBeUndefined();
    expect(conn.ended).toBe(true);
  } finally {
    conn.close();
  }
  return { compared, events };
}

const maybe = haveGolden ? test : test.skip;
if (!haveGolden) {
  test('conformance replay skipped: ../shared/vpp-golden is missing', () => undefined);
}

describe('replaying the recordings of VPP 26.10-rc0', () => {
  let sim: Sim | undefined;
  afterEach(async () => {
    await sim?.stop();
    sim = undefined;
  });

  maybe('basic.jsonl: every reply, error code, index and dump matches VPP', async () => {
    sim = await startSim();
    const { compared, events } = await replay('basic.jsonl', sim);
    expect(compared).toBe(readGolden('basic.jsonl').filter((f) => f.dir === 'vpp->client').length);
    expect(events).toBe(0);
  });

  maybe('handshake.jsonl: replies and the ESTABLISHED, 0 and DEAD events where VPP sent them', async () => {
    // VPP's uplink there was a veth (sw_if_index 1) holding 192.0.2.1/24. The handshake takes 1.5 s
    // here: long enough for the subscription and the route add to come first, as on the recording.
    sim = await startSim({
      config: { uplinks: [{ name: 'host-vpp0', addresses: ['192.0.2.1/24'] }], reachablePeers: { delayMs: 1500 } },
    });
    const { compared, events } = await replay('handshake.jsonl', sim);
    expect(compared).toBe(readGolden('handshake.jsonl').filter((f) => f.dir === 'vpp->client').length);
    expect(events).toBe(3);
  });

  maybe("the public key derived from wg0's given private key is VPP's", () => {
    const frames = readGolden('basic.jsonl');
    const details = frames.filter((f) => f.msg.startsWith('wireguard_interface_details'));
    const wg0 = details.find(
      (f) => (f.fields.interface as { private_key: { hex: string } }).private_key.hex !== '0'.repeat(64),
    )!;
    const iface = wg0.fields.interface as { private_key: { hex: string }; public_key: { hex: string } };
    expect(Buffer.from(x25519Public(Buffer.from(iface.private_key.hex, 'hex'))).toString('hex')).toBe(
      iface.public_key.hex,
    );
  });
});
