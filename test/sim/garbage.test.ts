/**
 * The emulator never falls over: random frames, short bodies, unknown ids, bad client indices,
 * absurd lengths and a client vanishing mid-dump are dropped the way VPP drops them (no reply),
 * and the emulator keeps serving everyone else.
 */
import fc from 'fast-check';
import { Writer } from 'vpp-api-ts/runtime';
import { startSim, type Sim } from '../../src/sim/index';
import { RawConn, controlPing, rawSession, frame } from './raw';
import { defByName } from './golden';

describe('emulator robustness', () => {
  let sim: Sim;
  beforeEach(async () => {
    sim = await startSim();
  });
  afterEach(async () => {
    await sim.stop();
  });

  /** A fresh connection still gets control_ping answered. */
  async function stillServes(): Promise<void> {
    const s = await rawSession(sim.socketPath);
    const id = s.ids.get('control_ping_51077d14')!;
    s.conn.send(controlPing(id, s.handle, 77));
    const r = await s.conn.next();
    expect(r?.readUInt32BE(2)).toBe(77);
    s.conn.close();
  }

  test('unknown ids, reply ids, short bodies and foreign client indices get no reply; the connection stays usable', async () => {
    const s = await rawSession(sim.socketPath);
    const ping = s.ids.get('control_ping_51077d14')!;
    const send = (b: Buffer) => s.conn.send(b);
    // ids outside the table, and messages VPP has no handler for (replies, events)
    for (const id of [
      0,
      29 + 5000,
      65535,
      s.ids.get('control_ping_reply_f6b0b8ca')!,
      s.ids.get('wireguard_peer_event_4e1b5d67')!,
    ]) {
      const b = Buffer.alloc(30);
      b.writeUInt16BE(id, 0);
      b.writeUInt32BE(s.handle, 2);
      send(b);
    }
    // every request, one byte short of its fixed size
    for (const [nameCrc, id] of s.ids) {
      const name = nameCrc.replace(/_[0-9a-f]{8}$/, '');
      const def = defByName(name);
      if (def.kind !== 'request' || def.clientIndexOffset < 0 || name === 'sockclnt_delete') continue;
      const b = Buffer.alloc(def.minSize - 1);
      b.writeUInt16BE(id, 0);
      if (b.length >= def.clientIndexOffset + 4) b.writeUInt32BE(s.handle, def.clientIndexOffset);
      send(b);
    }
    // a VLA count larger than the body: wireguard_peer_add claiming 200 allowed IPs with none present
    const peerAdd = defByName('wireguard_peer_add');
    const b = Buffer.alloc(peerAdd.minSize);
    b.writeUInt16BE(s.ids.get(peerAdd.nameCrc)!, 0);
    b.writeUInt32BE(s.handle, 2);
    b[b.length - 1] = 200;
    send(b);
    // a 1-byte body and a valid request with a handle nobody holds
    send(Buffer.from([0]));
    send(controlPing(ping, 0x80000099, 5));
    send(controlPing(ping, 0, 6));
    // the first answer on this connection is the ping sent last
    send(controlPing(ping, s.handle, 42));
    const r = await s.conn.next();
    expect(r?.readUInt16BE(0)).toBe(s.ids.get('control_ping_reply_f6b0b8ca'));
    expect(r?.readUInt32BE(2)).toBe(42);
    expect(await s.conn.next(100)).toBeUndefined();
    expect(sim.snapshot()).toMatchObject({ peers: [] });
    s.conn.close();
  });

  test("a request carrying another connection's handle is answered on that connection, as in VPP", async () => {
    const a = await rawSession(sim.socketPath);
    const b = await rawSession(sim.socketPath);
    a.conn.send(controlPing(a.ids.get('control_ping_51077d14')!, b.handle, 31));
    const r = await b.conn.next();
    expect([r?.readUInt32BE(2), r?.readUInt32BE(10)]).toEqual([31, b.handle]);
    expect(await a.conn.next(100)).toBeUndefined();
    a.conn.close();
    b.conn.close();
  });

  test('random frames (random ids and bodies, half carrying a valid handle) never crash it', async () => {
    const s = await rawSession(sim.socketPath);
    const ids = [...s.ids.values()];
    await fc.assert(
      fc.asyncProperty(
        fc.array(
          fc.record({
            pick: fc.nat(ids.length * 2),
            body: fc.uint8Array({ minLength: 0, maxLength: 400 }),
            withHandle: fc.boolean(),
          }),
          { minLength: 1, maxLength: 40 },
        ),
        async (frames) => {
          const out: Buffer[] = [];
          for (const f of frames) {
            const body = Buffer.alloc(Math.max(2, f.body.length));
            body.set(f.body);
            const id = f.pick < ids.length ? ids[f.pick]! : f.pick;
            body.writeUInt16BE(id & 0xffff, 0);
            if (f.withHandle && body.length >= 6) body.writeUInt32BE(s.handle, 2);
            out.push(frame(body));
          }
          s.conn.sock.write(Buffer.concat(out));
        },
      ),
      { numRuns: 150, seed: 4242 },
    );
    // The connection may have been told to close (a random sockclnt_delete); others are served.
    s.conn.close();
    await stillServes();
  });

  test('frames split byte by byte, and a 2 MiB frame in many reads, are put back together', async () => {
    const s = await rawSession(sim.socketPath);
    const ping = s.ids.get('control_ping_51077d14')!;
    const one = Buffer.concat([frame(controlPing(ping, s.handle, 1)), frame(controlPing(ping, s.handle, 2))]);
    for (const byte of one) {
      s.conn.sock.write(Buffer.from([byte]));
      await new Promise((r) => setImmediate(r));
    }
    expect((await s.conn.next())?.readUInt32BE(2)).toBe(1);
    expect((await s.conn.next())?.readUInt32BE(2)).toBe(2);
    // sw_interface_dump with a 2 MiB name filter (string x[]): matches nothing, then the ping answers.
    const dump = defByName('sw_interface_dump');
    const w = new Writer(3 << 20);
    dump.encode(w, s.ids.get(dump.nameCrc)!, {
      client_index: s.handle,
      context: 3,
      sw_if_index: 0xffffffff,
      name_filter_valid: true,
      name_filter: 'x'.repeat(2 << 20),
    } as never);
    const big = frame(w.toBuffer());
    for (let o = 0; o < big.length; o += 8192) s.conn.sock.write(big.subarray(o, o + 8192));
    s.conn.send(controlPing(ping, s.handle, 4));
    const r = await s.conn.next(5000);
    expect([r?.readUInt16BE(0), r?.readUInt32BE(2)]).toEqual([s.ids.get('control_ping_reply_f6b0b8ca'), 4]);
    s.conn.close();
  });

  test('random bytes with random lengths, and a frame announcing 1 GiB, only cost that connection', async () => {
    const bad = await RawConn.open(sim.socketPath);
    const junk = Buffer.alloc(4096);
    for (let i = 0; i < junk.length; i++) junk[i] = (i * 7919 + 13) & 0xff;
    bad.sock.write(junk);
    const huge = Buffer.alloc(16);
    huge.writeUInt32BE(1 << 30, 8);
    bad.sock.write(huge);
    await stillServes();
    bad.close();
  });

  test('a client vanishing mid-dump leaves the emulator serving others', async () => {
    const s = await rawSession(sim.socketPath);
    // Fill table 0 with routes so that the dump is long.
    const routeAdd = defByName('ip_route_add_del');
    const w = new Writer(1 << 20);
    const id = s.ids.get(routeAdd.nameCrc)!;
    for (let i = 0; i < 3000; i++) {
      w.zeros(8);
      const at = w.off;
      w.zeros(8);
      const start = w.off;
      routeAdd.encode(w, id, {
        client_index: s.handle,
        context: i + 1,
        is_add: true,
        route: {
          table_id: 0,
          prefix: `10.${i >> 8}.${i & 255}.0/24`,
          paths: [{ sw_if_index: 0, weight: 1, proto: 0, nh: { address: { ip4: '192.0.2.9' } } }],
        },
      } as never);
      w.buf.writeUInt32BE(w.off - start, at);
    }
    s.conn.sock.write(w.toBuffer());
    for (let i = 0; i < 3000; i++) expect(await s.conn.next()).toBeDefined();
    const dump = defByName('ip_route_dump');
    const d = Buffer.alloc(dump.minSize);
    d.writeUInt16BE(s.ids.get(dump.nameCrc)!, 0);
    d.writeUInt32BE(s.handle, 2);
    d.writeUInt32BE(9, 6);
    s.conn.send(d);
    s.conn.send(controlPing(s.ids.get('control_ping_51077d14')!, s.handle, 9));
    s.conn.sock.destroy(); // gone before reading a single details message
    await stillServes();
  });
});
