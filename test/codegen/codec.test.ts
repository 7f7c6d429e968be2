/**
 * The generated codecs against the reference vectors of docs/vpp-binapi.md §2.9 (produced with
 * vpp_papi), and their value conventions: defaults, enums by name, addresses, errors naming the field.
 */
import { CodecError, type MessageDef } from 'vpp-api-ts';
import * as iface from 'vpp-api-ts/interface';
import * as ip from 'vpp-api-ts/ip';
import * as memclnt from 'vpp-api-ts/memclnt';
import { Reader, Writer, fmtIp6 } from 'vpp-api-ts/runtime';
import * as wireguard from 'vpp-api-ts/wireguard';

function hex(s: string): string {
  return s.replace(/[\s|]/g, '');
}
const z = (n: number): string => '00'.repeat(n);

function enc<T>(def: MessageDef<unknown, T>, id: number, v: T): string {
  const w = new Writer(8);
  def.encode(w, id, v);
  const out = w.toBuffer().toString('hex');
  expect(def.size(v)).toBe(out.length / 2);
  return out;
}

function dec<T>(def: MessageDef<T, unknown>, h: string): T {
  const r = new Reader(Buffer.from(hex(h), 'hex'));
  const v = def.decode(r);
  expect(r.off).toBe(r.end);
  return v;
}

function codecError(fn: () => unknown): CodecError {
  try {
    fn();
  } catch (e) {
    expect(e).toBeInstanceOf(CodecError);
    return e as CodecError;
  }
  throw new Error('expected a CodecError');
}

const CI = 0x80000001;

describe('reference vectors (docs §2.9)', () => {
  test('control_ping', () => {
    expect(enc(memclnt.control_ping, 0x0233, { client_index: 0x80000000, context: 1 })).toBe(
      hex('0233 80000000 00000001'),
    );
  });

  test('sockclnt_create (string[64] NUL padded)', () => {
    expect(enc(memclnt.sockclnt_create, 15, { context: 124, name: 'agent' })).toBe(
      hex('000f 0000007c 6167656e74') + z(59),
    );
  });

  test('wireguard_interface_create (typedef default user_instance ~0 is explicit here)', () => {
    const key = Uint8Array.from({ length: 32 }, (_, i) => i);
    const got = enc(wireguard.wireguard_interface_create, 0x0300, {
      client_index: CI,
      context: 7,
      interface: { sw_if_index: 0, private_key: key, port: 51820, src_ip: '192.0.2.1' },
      generate_key: false,
    });
    expect(got).toBe(
      hex(
        `0300 80000001 00000007 ffffffff 00000000 ${Buffer.from(key).toString('hex')} ${z(32)} ca6c 00 c0000201 ${z(12)} 00`,
      ),
    );
  });

  test('wireguard_peer_add (count written from the array)', () => {
    const got = enc(wireguard.wireguard_peer_add, 0x0305, {
      client_index: CI,
      context: 8,
      peer: {
        public_key: new Uint8Array(32).fill(0xaa),
        port: 51820,
        persistent_keepalive: 25,
        endpoint: '2001:db8::1',
        sw_if_index: 5,
        allowed_ips: ['10.0.0.0/24', 'fd00::/64'],
      },
    });
    expect(got).toBe(
      hex(`0305 80000001 00000008 00000000 ${'aa'.repeat(32)} ca6c 0019 00000000
        01 20010db8000000000000000000000001 00000005 00 02
        00 0a000000 ${z(12)} 18  01 fd000000000000000000000000000000 40`),
    );
  });

  test('sw_interface_add_del_address', () => {
    expect(
      enc(iface.sw_interface_add_del_address, 0x0100, {
        client_index: CI,
        context: 9,
        sw_if_index: 5,
        is_add: true,
        prefix: '10.0.0.1/24',
      }),
    ).toBe(hex(`0100 80000001 00000009 00000005 01 00 00 0a000001 ${z(12)} 18`));
  });

  test('sw_interface_dump: default sw_if_index ~0 and the string[] VLA', () => {
    expect(
      enc(iface.sw_interface_dump, 0x0101, {
        client_index: CI,
        context: 10,
        name_filter_valid: true,
        name_filter: 'wg',
      }),
    ).toBe(hex('0101 80000001 0000000a ffffffff 01 00000002 7767'));
    expect(enc(iface.sw_interface_dump, 0x0101, { client_index: CI, context: 11 })).toBe(
      hex('0101 80000001 0000000b ffffffff 00 00000000'),
    );
  });

  test('want_wireguard_peer_events: defaults ~0', () => {
    expect(
      enc(wireguard.want_wireguard_peer_events, 0x0306, {
        client_index: CI,
        context: 12,
        enable_disable: 1,
        pid: 1234,
      }),
    ).toBe(hex('0306 80000001 0000000c ffffffff ffffffff 00000001 000004d2'));
  });

  test('ip_route_add_del: is_add defaults to true (the JSON says "true"), one path', () => {
    const got = enc(ip.ip_route_add_del, 0x0103, {
      client_index: CI,
      context: 14,
      route: { prefix: '10.1.0.0/16', paths: [{ sw_if_index: 5, weight: 1, nh: { address: { ip4: '10.0.0.2' } } }] },
    });
    expect(got.length / 2).toBe(206);
    expect(got).toBe(
      hex(`0103 80000001 0000000e 01 00 | 00000000 00000000 00 0a010000 ${z(12)} 10 01 |
        00000005 00000000 00000000 01 00 00000000 00000000 00000000
        0a000002 ${z(12)} 00000000 00000000 00000000 00 ${z(112)}`),
    );
  });

  test('decode wireguard_peers_details', () => {
    const v = dec(
      wireguard.wireguard_peers_details,
      `0309 00000005 | 00000003 ${'bb'.repeat(32)} ca6c 0019 00000000 00 c6336407 ${z(12)} 00000007 02 01 | 00 0a000002 ${z(12)} 20`,
    );
    expect(v).toEqual({
      context: 5,
      peer: {
        peer_index: 3,
        public_key: new Uint8Array(32).fill(0xbb),
        port: 51820,
        persistent_keepalive: 25,
        table_id: 0,
        endpoint: '198.51.100.7',
        sw_if_index: 7,
        flags: wireguard.WireguardPeerFlags.WIREGUARD_PEER_ESTABLISHED,
        allowed_ips: ['10.0.0.2/32'],
      },
    });
  });
});

describe('value conventions', () => {
  test('enums by name or number; unknown numbers decode as they are', () => {
    const byName = enc(iface.sw_interface_set_flags, 1, { sw_if_index: 1, flags: 'IF_STATUS_API_FLAG_ADMIN_UP' });
    expect(byName).toBe(enc(iface.sw_interface_set_flags, 1, { sw_if_index: 1, flags: 1 }));
    const e = codecError(() => enc(iface.sw_interface_set_flags, 1, { flags: 'ADMIN_UPP' as never }));
    expect(e.path).toBe('sw_interface_set_flags.flags');
    const v = dec(iface.sw_interface_set_flags, '0001 00000000 00000000 00000001 00000007');
    expect(v.flags).toBe(7);
  });

  test('prefixes keep host bits; unions decode every arm; the largest arm wins on re-encode', () => {
    const w = new Writer();
    ip.ip_route_add_del.encode(w, 1, {
      route: { prefix: '10.100.0.1/24', paths: [{ nh: { address: { ip6: '2001:db8::1' } } }] },
    });
    const back = ip.ip_route_add_del.decode(new Reader(w.toBuffer()));
    expect(back.route.prefix).toBe('10.100.0.1/24');
    expect(back.route.paths[0]!.nh.address).toEqual({ ip4: '32.1.13.184', ip6: '2001:db8::1' });
    const w2 = new Writer();
    ip.ip_route_add_del.encode(w2, 1, back);
    expect(w2.toBuffer().equals(w.toBuffer())).toBe(true);
  });

  test('MAC addresses and u8[N] keys', () => {
    const v = dec(
      iface.sw_interface_details,
      enc(iface.sw_interface_details, 1, { l2_address: 'DE:AD:00:00:00:01', tag: 'x' }),
    );
    expect(v.l2_address).toBe('de:ad:00:00:00:01');
    expect(v.tag).toBe('x');
    expect(codecError(() => enc(iface.sw_interface_details, 1, { l2_address: 'de:ad:00:00:00' })).path).toBe(
      'sw_interface_details.l2_address',
    );
    const e = codecError(() => enc(wireguard.wireguard_peer_add, 1, { peer: { public_key: new Uint8Array(33) } }));
    expect(e.path).toBe('wireguard_peer_add.peer.public_key');
    expect(e.message).toContain('at most 32 bytes');
  });

  test('short u8[N] input is zero-padded', () => {
    const v = dec(
      wireguard.wireguard_peer_add,
      enc(wireguard.wireguard_peer_add, 1, { peer: { public_key: Uint8Array.of(1, 2) } }),
    );
    expect(Buffer.from(v.peer.public_key).toString('hex')).toBe('0102' + z(30));
  });
});

describe('errors name the message and field', () => {
  test('bad address text inside an array element', () => {
    const e = codecError(() =>
      enc(wireguard.wireguard_peer_add, 1, { peer: { allowed_ips: ['10.0.0.0/24', '10.0.0.300/24'] } }),
    );
    expect(e.path).toBe('wireguard_peer_add.peer.allowed_ips[1]');
    expect(e.message).toContain('10.0.0.300/24');
  });

  test('a struct given as something other than an object', () => {
    const e = codecError(() => enc(wireguard.wireguard_peer_add, 1, { peer: 5 as never }));
    expect(e.path).toBe('wireguard_peer_add.peer');
    expect(e.message).toContain('expected an object');
    expect(
      codecError(() => enc(ip.ip_route_add_del, 1, { route: { paths: [{ nh: { address: 'x' as never } }] } })).path,
    ).toBe('ip_route_add_del.route.paths[0].nh.address');
  });

  test('string[N] takes at most N-1 bytes, never truncated', () => {
    expect(enc(iface.sw_interface_tag_add_del, 1, { tag: 'x'.repeat(63) }).length / 2).toBe(
      iface.sw_interface_tag_add_del.minSize,
    );
    const e = codecError(() => enc(iface.sw_interface_tag_add_del, 1, { tag: 'x'.repeat(64) }));
    expect(e.path).toBe('sw_interface_tag_add_del.tag');
    expect(e.message).toContain('at most 63 bytes');
  });

  test('an array longer than its u8 count allows', () => {
    const ips = Array.from({ length: 256 }, () => '10.0.0.0/8');
    const e = codecError(() => enc(wireguard.wireguard_peer_add, 1, { peer: { allowed_ips: ips } }));
    expect(e.path).toBe('wireguard_peer_add.peer.allowed_ips');
    expect(e.message).toContain('at most 255 elements');
    expect(enc(wireguard.wireguard_peer_add, 1, { peer: { allowed_ips: ips.slice(1) } }).length / 2).toBe(
      77 + 255 * 18,
    );
  });

  test('integers out of range and wrong types', () => {
    expect(codecError(() => enc(memclnt.control_ping, 1, { context: 2 ** 32 })).path).toBe('control_ping.context');
    expect(codecError(() => enc(wireguard.wireguard_peer_add, 1, { peer: { port: 65536 } })).path).toBe(
      'wireguard_peer_add.peer.port',
    );
    expect(codecError(() => enc(ip.ip_route_add_del, 1, { is_add: 1 as never })).path).toBe('ip_route_add_del.is_add');
    expect(codecError(() => enc(memclnt.control_ping, 0x10000, {})).path).toBe('control_ping._vl_msg_id');
  });

  test('truncated bodies: the fixed part and a VLA', () => {
    const body = Buffer.from(
      enc(wireguard.wireguard_peers_details, 1, { peer: { allowed_ips: ['10.0.0.0/8', '10.1.0.0/16'] } }),
      'hex',
    );
    const cutKey = codecError(() => wireguard.wireguard_peers_details.decode(new Reader(body.subarray(0, 20))));
    expect(cutKey.path).toBe('wireguard_peers_details.peer.public_key');
    expect(cutKey.message).toContain('truncated');
    const cutIps = codecError(() =>
      wireguard.wireguard_peers_details.decode(new Reader(body.subarray(0, body.length - 1))),
    );
    expect(cutIps.path).toBe('wireguard_peers_details.peer.allowed_ips');
    const cutString = codecError(() =>
      iface.sw_interface_dump.decode(
        new Reader(Buffer.from(hex('0101 80000001 0000000a ffffffff 01 00000005 7767'), 'hex')),
      ),
    );
    expect(cutString.path).toBe('sw_interface_dump.name_filter');
  });
});

describe('address text', () => {
  const roundTrip = (s: string): string => {
    const w = new Writer();
    iface.sw_interface_add_del_address.encode(w, 1, { prefix: s });
    return iface.sw_interface_add_del_address.decode(new Reader(w.toBuffer())).prefix;
  };

  test.each([
    ['192.0.2.1/32', '192.0.2.1/32'],
    ['0.0.0.0/0', '0.0.0.0/0'],
    ['192.0.2.1', '192.0.2.1/32'],
    ['::/0', '::/0'],
    ['::1/128', '::1/128'],
    ['2001:DB8::/32', '2001:db8::/32'],
    ['2001:db8:0:0:0:0:0:1/64', '2001:db8::1/64'],
    ['2001:db8:0:1:1:1:1:1/64', '2001:db8:0:1:1:1:1:1/64'],
    ['2001:0:0:1:0:0:0:1/64', '2001:0:0:1::1/64'],
    ['1:0:0:2:0:0:3:4/64', '1::2:0:0:3:4/64'],
    ['1::/16', '1::/16'],
    ['::ffff:192.0.2.1/128', '::ffff:c000:201/128'],
    ['fe80::1:2/10', 'fe80::1:2/10'],
  ])('%s -> %s', (input, out) => {
    expect(roundTrip(input)).toBe(out);
  });

  test.each([
    '010.0.0.1/8',
    '1.2.3/8',
    '256.1.1.1/8',
    '1.2.3.4/33',
    '1.2.3.4/',
    '::1/129',
    ':::/0',
    '1::2::3/64',
    '12345::/16',
    '1:2:3:4:5:6:7:8:9/64',
    'fe80::x/10',
    '',
    'a.b.c.d',
  ])('rejects %j', (input) => {
    const e = codecError(() => roundTrip(input));
    expect(e.path).toBe('sw_interface_add_del_address.prefix');
  });

  test('formatting is RFC 5952 (as Python ipaddress prints)', () => {
    const b = Buffer.from('20010db8000000000000000000000001', 'hex');
    expect(fmtIp6(b, 0)).toBe('2001:db8::1');
    expect(fmtIp6(Buffer.alloc(16), 0)).toBe('::');
    expect(fmtIp6(Buffer.from('00010000000000000000000000000000', 'hex'), 0)).toBe('1::');
    expect(fmtIp6(Buffer.from('0a640002000000000000000000000000', 'hex'), 0)).toBe('a64:2::');
  });
});
