/**
 * The BGP part of a BIRD 2 configuration for a desired state: router id, the kernel protocols
 * that hand the routes to the kernel (where linux-nl picks them up for VPP), explicit import and
 * export filters (RFC 8212: BIRD refuses an eBGP session without them), one session per neighbour.
 */
import type { BgpPlan } from './sessions';

function quoted(text: string): string {
  return `"${text.replace(/["\\]/g, '\\$&')}"`;
}

export function renderBird(plan: BgpPlan, source: string): string {
  const out: string[] = [
    `# BGP across vppwg's tunnels, for BIRD 2: written by \`vppwg render bird\` from ${source}.`,
    '# Run BIRD in the linux-cp namespace (ip netns exec dataplane bird -c THIS -s /run/bird/dataplane.ctl).',
    `router id ${plan.routerId};`,
    '',
    '# Interfaces, and the kernel tables linux-nl copies into VPP: BGP routes must reach them.',
    'protocol device {',
    '  scan time 10;',
    '}',
    'protocol kernel kernel4 {',
    '  ipv4 { import none; export all; };',
    '}',
    'protocol kernel kernel6 {',
    '  ipv6 { import none; export all; };',
    '}',
    '',
  ];
  for (const [family, v] of [
    ['ip4', '4'],
    ['ip6', '6'],
  ] as const) {
    const reserved = plan.reserved[family];
    out.push(
      `# What the neighbours may announce, IPv${v}: anything but the prefixes vppwg routes itself`,
      "# (tunnel endpoints and subnets, neighbour tunnel addresses): a BGP route for them would outrank vppwg's.",
      `filter vppwg_import${v} {`,
      ...(reserved.length ? [`  if net ~ [ ${reserved.join(', ')} ] then reject;`] : []),
      '  accept;',
      '}',
    );
  }
  out.push(
    '# What this router announces: nothing until you list it (RFC 8212 wants it said).',
    'filter vppwg_export {',
    '  reject;',
    '}',
    '',
  );
  for (const s of plan.sessions) {
    const v = s.family === 'ip6' ? '6' : '4';
    out.push(
      `protocol bgp ${s.name} {`,
      `  description ${quoted(s.description)};`,
      `  local ${s.source} as ${plan.localAs};`,
      `  neighbor ${s.neighbour} as ${s.peerAs};`,
      `  interface ${quoted(s.hostInterface)};`,
      `  ipv${v} {`,
      `    import filter vppwg_import${v};`,
      '    export filter vppwg_export;',
      '  };',
      '}',
    );
  }
  return out.join('\n') + '\n';
}
