/**
 * The JSON Schema of the emulator's config file (`vppwg sim --config`), checked with ajv as the
 * desired state is. `x-what` says what a value must be, for messages ("expected <x-what>").
 */

const FAULT_OPS = ['closeAfter', 'closeNow', 'delayReplies', 'failNth', 'dropReply', 'pauseReading', 'restart'];

const count = (min: number) => ({ type: 'integer', minimum: min, 'x-what': `an integer >= ${min}` });
const msgName = { type: 'string', minLength: 1, 'x-what': 'a message name, e.g. wireguard_peer_add' };
const op = (name: string) => ({ const: name, 'x-what': `one of ${FAULT_OPS.join(', ')}` });
const fault = (name: string, properties: Record<string, object>, required: string[]) => ({
  type: 'object',
  properties: { op: op(name), ...properties },
  required: ['op', ...required],
  additionalProperties: false,
  'x-what': `{op: ${name}${required.map((r) => `, ${r}: ...`).join('')}}`,
});

/** One fault: `op` picks the shape. */
export const faultSchema = {
  type: 'object',
  'x-what': `{op: ...} with op one of ${FAULT_OPS.join(', ')}`,
  discriminator: { propertyName: 'op' },
  properties: { op: { type: 'string', 'x-what': `one of ${FAULT_OPS.join(', ')}` } },
  required: ['op'],
  oneOf: [
    fault('closeAfter', { n: count(1) }, ['n']),
    fault('closeNow', {}, []),
    fault('delayReplies', { ms: count(0) }, ['ms']),
    fault(
      'failNth',
      { msg: msgName, n: count(1), retval: { type: 'integer', 'x-what': 'an integer retval, e.g. -2' } },
      ['msg', 'n', 'retval'],
    ),
    fault('dropReply', { msg: msgName, n: count(1) }, ['msg']),
    fault('pauseReading', { ms: count(0) }, ['ms']),
    fault('restart', { downMs: count(0) }, []),
  ],
} as const;

export const FAULT_OP_NAMES: readonly string[] = FAULT_OPS;

export const simConfigSchema = {
  type: 'object',
  'x-what': 'a mapping of SimConfig fields',
  properties: {
    uplinks: {
      type: 'array',
      'x-what': 'a list of {name, addresses?, up?, mtu?, mac?, pci?, devType?}',
      items: {
        type: 'object',
        'x-what': 'a mapping with at least `name`',
        properties: {
          name: {
            type: 'string',
            minLength: 1,
            maxLength: 63,
            'x-what': 'an interface name of 1-63 characters, e.g. host-eth0',
          },
          addresses: {
            type: 'array',
            'x-what': "a list like ['192.0.2.1/24']",
            items: { type: 'string', 'x-what': "an address with prefix length, e.g. '192.0.2.1/24'" },
          },
          up: { type: 'boolean', 'x-what': 'true or false' },
          mtu: { type: 'integer', minimum: 68, maximum: 65535, 'x-what': 'an integer 68-65535' },
          mac: { type: 'string', pattern: '^([0-9a-fA-F]{2}:){5}[0-9a-fA-F]{2}$', 'x-what': "'aa:bb:cc:dd:ee:ff'" },
          pci: {
            type: 'string',
            pattern: '^([0-9a-fA-F]{4}:)?[0-9a-fA-F]{2}:[0-1][0-9a-fA-F]\\.[0-7]$',
            'x-what': "a PCI address 'dddd:bb:dd.f', e.g. '0000:03:00.0' (the name must be VPP's for it)",
          },
          devType: {
            type: 'string',
            pattern: '^[A-Za-z0-9_-]{1,32}$',
            'x-what': "a device type as VPP names it, e.g. 'dpdk' or 'af-packet'",
          },
        },
        required: ['name'],
        additionalProperties: false,
      },
    },
    reachablePeers: {
      type: ['boolean', 'object'],
      'x-what': 'true/false or {delayMs: N}',
      properties: {
        delayMs: { type: 'integer', minimum: 0, 'x-what': 'a non-negative integer (milliseconds)' },
      },
      additionalProperties: false,
    },
    shuffleModules: { type: 'boolean', 'x-what': 'true or false' },
    profile: { enum: ['26.10', '24.10'], 'x-what': "'26.10' or '24.10' (quote it in YAML)" },
    omitMessages: {
      type: 'array',
      items: { type: 'string', 'x-what': 'a message name' },
      'x-what': 'a list of message names',
    },
    crcOverrides: {
      type: 'object',
      'x-what': "a mapping of message name to crc, e.g. {wireguard_peer_add: 'deadbeef'}",
      additionalProperties: {
        type: 'string',
        pattern: '^(0x)?[0-9a-fA-F]{1,8}$',
        'x-what': "up to 8 hex digits, e.g. 'deadbeef'",
      },
    },
    faults: {
      type: 'array',
      'x-what': `a list of {op: ...} with op one of ${FAULT_OPS.join(', ')}`,
      items: faultSchema,
    },
    linuxCp: { type: 'boolean', 'x-what': 'true or false (true: load linux-cp and the FIB source list)' },
    version: { type: 'string', maxLength: 31, 'x-what': 'a string of at most 31 characters' },
  },
  additionalProperties: false,
} as const;
