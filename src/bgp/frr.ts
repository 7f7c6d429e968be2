/**
 * The BGP part of an FRR 8 configuration for a desired state: one neighbour per session, its
 * source address, and explicit inbound and outbound route-maps (FRR's `bgp ebgp-requires-policy`,
 * RFC 8212): inbound anything but the prefixes vppwg routes itself, outbound nothing until listed.
 */
import type { BgpPlan } from './sessions';

export function renderFrr(plan: BgpPlan, source: string): string {
  const out: string[] = [
    `! BGP across vppwg's tunnels, for FRR 8: written by \`vppwg render frr\` from ${source}.`,
    '! Run FRR in the linux-cp namespace (an frr@dataplane instance, /etc/frr/dataplane/).',
    'frr defaults traditional',
    '!',
  ];
  for (const [family, v, any, max] of [
    ['ip4', '', '0.0.0.0/0', 32],
    ['ip6', 'v6', '::/0', 128],
  ] as const) {
    const list = `VPPWG-IMPORT${family === 'ip6' ? '6' : '4'}`;
    plan.reserved[family].forEach((p, i) => out.push(`ip${v} prefix-list ${list} seq ${(i + 1) * 5} deny ${p}`));
    out.push(`ip${v} prefix-list ${list} seq 100000 permit ${any} le ${max}`);
  }
  out.push(
    '!',
    'route-map VPPWG-IMPORT4 permit 10',
    ' match ip address prefix-list VPPWG-IMPORT4',
    'exit',
    'route-map VPPWG-IMPORT6 permit 10',
    ' match ipv6 address prefix-list VPPWG-IMPORT6',
    'exit',
    '! What this router announces: nothing until you list it.',
    'route-map VPPWG-EXPORT deny 10',
    'exit',
    '!',
    `router bgp ${plan.localAs}`,
    ` bgp router-id ${plan.routerId}`,
    ' bgp ebgp-requires-policy',
    ' no bgp default ipv4-unicast',
  );
  for (const s of plan.sessions) {
    out.push(
      ` neighbor ${s.neighbour} remote-as ${s.peerAs}`,
      ` neighbor ${s.neighbour} description ${s.description}`,
      ` neighbor ${s.neighbour} update-source ${s.source}`,
    );
  }
  for (const family of ['ip4', 'ip6'] as const) {
    const sessions = plan.sessions.filter((s) => s.family === family);
    if (!sessions.length) continue;
    const v = family === 'ip6' ? '6' : '4';
    out.push(` address-family ipv${v} unicast`);
    for (const s of sessions) {
      out.push(
        `  neighbor ${s.neighbour} activate`,
        `  neighbor ${s.neighbour} route-map VPPWG-IMPORT${v} in`,
        `  neighbor ${s.neighbour} route-map VPPWG-EXPORT out`,
      );
    }
    out.push(' exit-address-family');
  }
  out.push('exit', '!');
  return out.join('\n') + '\n';
}
