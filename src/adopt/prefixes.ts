/** Address and prefix arithmetic export needs (containment by bits, lengths), through ipaddr.js. */
import ipaddr from 'ipaddr.js';
import type { AddressFamily } from '../config/model';

export function stripLength(text: string): string {
  const slash = text.indexOf('/');
  return slash < 0 ? text : text.slice(0, slash);
}

export function addressFamily(address: string): AddressFamily {
  return address.includes(':') ? 'ip6' : 'ip4';
}

export function prefixLength(prefix: string): number {
  const slash = prefix.indexOf('/');
  return slash < 0 ? (addressFamily(prefix) === 'ip6' ? 128 : 32) : Number(prefix.slice(slash + 1));
}

/** Whether `address` lies inside `prefix` (both canonical text; different families never match). */
export function prefixContains(prefix: string, address: string): boolean {
  const addr = ipaddr.parse(stripLength(address));
  const net = ipaddr.parse(stripLength(prefix));
  if (addr.kind() !== net.kind()) return false;
  return addr.match(net, prefixLength(prefix));
}
