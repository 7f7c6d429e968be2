/**
 * The JSON Schema of the desired-state file (YAML or JSON). It checks shape only: types, required
 * keys, ranges, names. Everything that needs parsing or cross-references (addresses, prefixes,
 * keys, overlaps, coverage, tables) is checked in ./semantic.ts so that it can say precisely what is
 * wrong. `x-what` annotates a node with a human description used in messages.
 */

import { MAX_TAG_LENGTH, TAG_PREFIX } from './tag';

const NAME = '^[A-Za-z0-9][A-Za-z0-9_.-]*$';
/** Interface names are bounded by the tag they become (checked with that reason in ./checks/wireguard.ts); peer names share the bound. */
const NAME_MAX = MAX_TAG_LENGTH - TAG_PREFIX.length;
/** Text without control characters (names end up in plans and messages). */
const PRINTABLE = '^[^\\u0000-\\u001f\\u007f]+$';
const ENV_NAME = '^[A-Za-z_][A-Za-z0-9_]*$';

/** A Linux interface name as linux-cp creates it (IFNAMSIZ: at most 15 bytes; rules checked in ./checks/linux-cp.ts). */
const hostInterface = {
  type: 'string',
  minLength: 1,
  'x-what': "a Linux interface name for the linux-cp pair, e.g. 'wg-dc1' (at most 15 bytes)",
};

/** A 4-byte AS number (RFC 6793); 0 and 4294967295 are reserved (RFC 7607, RFC 7300). */
const asNumber = { type: 'integer', minimum: 1, maximum: 4294967294, 'x-what': 'an AS number (1..4294967294)' };

const u32Table = { type: 'integer', minimum: 0, maximum: 4294967294, 'x-what': 'a FIB table id' };

const keyFile = { type: 'string', minLength: 1, 'x-what': 'a path to a file holding a base64 key' };
const keyEnv = { type: 'string', pattern: ENV_NAME, 'x-what': 'an environment variable name' };
const keyInline = { type: 'string', 'x-what': 'a base64 key' };

/** {file}, {env} or {inline}: exactly one. */
const keySourceObject = {
  type: 'object',
  properties: { file: keyFile, env: keyEnv, inline: keyInline },
  additionalProperties: false,
  minProperties: 1,
  maxProperties: 1,
  'x-what': 'a key source: {file: PATH}, {env: VARIABLE} or {inline: BASE64}',
};

export const desiredStateSchema = {
  $id: 'https://vppwg.invalid/desired-state.schema.json',
  type: 'object',
  'x-what': 'the desired state: a mapping with tables, uplinks, routes and wireguard',
  properties: {
    version: { const: 1, 'x-what': 'the format version (1)' },
    tables: {
      type: 'array',
      items: {
        type: 'object',
        properties: {
          id: {
            type: 'integer',
            minimum: 1,
            maximum: 4294967294,
            'x-what': 'a FIB table id (1..4294967294; table 0 always exists)',
          },
          name: { type: 'string', pattern: PRINTABLE, maxLength: 63, 'x-what': 'a table name (at most 63 characters)' },
          families: {
            type: 'array',
            items: { enum: ['ipv4', 'ipv6'] },
            minItems: 1,
            maxItems: 2,
            uniqueItems: true,
            'x-what': 'the families to create: [ipv4], [ipv6] or [ipv4, ipv6]',
          },
        },
        required: ['id', 'name'],
        additionalProperties: false,
      },
    },
    uplinks: {
      type: 'array',
      items: {
        type: 'object',
        properties: {
          name: {
            type: 'string',
            pattern: PRINTABLE,
            maxLength: 63,
            'x-what': "the VPP interface name, e.g. 'host-eth0' (with `match`: a logical name, e.g. 'wan')",
          },
          match: {
            type: 'object',
            properties: {
              mac: {
                type: 'string',
                pattern: '^([0-9a-fA-F]{2}:){5}[0-9a-fA-F]{2}$',
                'x-what': "a MAC address 'aa:bb:cc:dd:ee:ff'",
              },
              pci: {
                type: 'string',
                pattern: '^([0-9a-fA-F]{4}:)?[0-9a-fA-F]{2}:[0-1][0-9a-fA-F]\\.[0-7]$',
                'x-what': "a PCI address 'dddd:bb:dd.f', e.g. '0000:03:00.0'",
              },
            },
            minProperties: 1,
            additionalProperties: false,
            'x-what': "the uplink's hardware: {mac: 'aa:bb:cc:dd:ee:ff'} and/or {pci: '0000:03:00.0'}",
          },
          admin_up: { type: 'boolean' },
          mtu: { type: 'integer', minimum: 68, maximum: 9216, 'x-what': 'an L3 MTU (68..9216)' },
          table: u32Table,
          addresses: {
            type: 'array',
            items: { type: 'string', 'x-what': "an interface address 'a.b.c.d/len' or 'x::y/len'" },
          },
          remove_unlisted_addresses: {
            type: 'boolean',
            'x-what': 'true or false (true: `addresses` is the exact set, others are removed)',
          },
          allow_admin_down: {
            type: 'boolean',
            'x-what': 'true or false (true: `admin_up: false` may bring the uplink down)',
          },
          host_interface: hostInterface,
        },
        required: ['name'],
        additionalProperties: false,
      },
    },
    routes: {
      type: 'array',
      items: {
        type: 'object',
        properties: {
          prefix: { type: 'string', 'x-what': "a prefix 'a.b.c.d/len' or 'x::/len'" },
          via: { type: 'string', 'x-what': 'a next-hop address' },
          interface: { type: 'string', minLength: 1, 'x-what': 'an uplink name or a wireguard interface name' },
          table: u32Table,
        },
        required: ['prefix', 'via', 'interface'],
        additionalProperties: false,
      },
    },
    wireguard: {
      type: 'array',
      items: {
        type: 'object',
        properties: {
          name: { type: 'string', pattern: NAME, 'x-what': 'a logical name: letters, digits, _ . -' },
          instance: { type: 'integer', minimum: 0, 'x-what': 'the wg instance number (wgN)' },
          private_key: {
            type: ['string', 'object'],
            if: { type: 'string' },
            then: {
              const: 'generate',
              'x-what': "'generate' or a key source {file: PATH}, {env: VARIABLE}, {inline: BASE64}",
            },
            else: keySourceObject,
            'x-what': "'generate' or a key source {file: PATH}, {env: VARIABLE}, {inline: BASE64}",
          },
          listen_port: {
            type: 'integer',
            minimum: 1,
            maximum: 65535,
            'x-what': 'a UDP port (1..65535; VPP has no ephemeral ports)',
          },
          source: { type: 'string', 'x-what': 'the underlay source address' },
          addresses: {
            type: 'array',
            items: { type: 'string', 'x-what': "a tunnel address 'a.b.c.d/len' or 'x::y/len'" },
          },
          mtu: { type: 'integer', minimum: 68, maximum: 9216, 'x-what': 'an L3 MTU (68..9216)' },
          table: u32Table,
          admin_up: { type: 'boolean' },
          host_interface: hostInterface,
          peers: {
            type: 'array',
            items: {
              type: 'object',
              properties: {
                name: {
                  type: 'string',
                  pattern: NAME,
                  maxLength: NAME_MAX,
                  'x-what': `a peer name: letters, digits, _ . - (starting with a letter or digit, at most ${NAME_MAX} characters)`,
                },
                public_key: { type: 'string', 'x-what': 'a base64 public key' },
                preshared_key: keySourceObject,
                endpoint: {
                  type: 'object',
                  properties: {
                    address: { type: 'string', 'x-what': 'an IP address (names are not resolved)' },
                    port: { type: 'integer', minimum: 1, maximum: 65535, 'x-what': 'a UDP port (1..65535)' },
                  },
                  required: ['address', 'port'],
                  additionalProperties: false,
                },
                allowed_ips: {
                  type: 'array',
                  items: { type: 'string', 'x-what': "a prefix 'a.b.c.d/len' or 'x::/len'" },
                  minItems: 1,
                  maxItems: 255,
                  'x-what': 'the allowed IPs (1..255 prefixes, as VPP takes at most 255)',
                },
                persistent_keepalive: {
                  type: 'integer',
                  minimum: 0,
                  maximum: 65535,
                  'x-what': 'seconds (0..65535, 0 = off)',
                },
                underlay_table: u32Table,
                tunnel_next_hops: { type: 'array', items: { type: 'string', 'x-what': "the peer's tunnel address" } },
                routes: {
                  type: 'array',
                  items: {
                    type: 'object',
                    properties: {
                      prefix: { type: 'string', 'x-what': "a prefix 'a.b.c.d/len' or 'x::/len'" },
                      via: { type: 'string', 'x-what': "a next-hop address inside the peer's allowed IPs" },
                    },
                    required: ['prefix'],
                    additionalProperties: false,
                  },
                },
                bgp: {
                  type: 'object',
                  properties: { peer_as: asNumber },
                  required: ['peer_as'],
                  additionalProperties: false,
                  'x-what': "the peer's BGP session: {peer_as: AS}",
                },
              },
              required: ['name', 'public_key', 'allowed_ips'],
              additionalProperties: false,
            },
          },
        },
        required: ['name', 'private_key', 'listen_port', 'source'],
        additionalProperties: false,
      },
    },
    linux_cp: {
      type: 'object',
      properties: {
        netns: {
          type: 'string',
          pattern: '^[A-Za-z0-9][A-Za-z0-9_.-]*$',
          maxLength: 31,
          'x-what': "a network namespace name (letters, digits, _ . -; at most 31 characters), e.g. 'dataplane'",
        },
      },
      required: ['netns'],
      additionalProperties: false,
      'x-what': 'the linux-cp settings: {netns: NAME}',
    },
    bgp: {
      type: 'object',
      properties: {
        local_as: asNumber,
        router_id: { type: 'string', 'x-what': "the BGP router id, an IPv4 address, e.g. '192.0.2.1'" },
      },
      required: ['local_as', 'router_id'],
      additionalProperties: false,
      'x-what': 'the BGP settings for `vppwg render`: {local_as: AS, router_id: IPv4}',
    },
  },
  additionalProperties: false,
} as const;
