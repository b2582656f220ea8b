import ipaddr from 'ipaddr.js';

/** An address in canonical form, with IPv4-mapped IPv6 (`::ffff:1.2.3.4`) unwrapped to IPv4. */
export function normalizeIp(address: string | undefined): string {
  if (!address) return '0.0.0.0';
  try {
    const parsed = ipaddr.process(address);
    return parsed.toString();
  } catch {
    return '0.0.0.0';
  }
}

/** A parsed CIDR list that answers "does this address fall in any of them?". */
export class CidrSet {
  private readonly ranges: [ipaddr.IPv4 | ipaddr.IPv6, number][];

  constructor(cidrs: string[]) {
    this.ranges = cidrs.map((c) => parseCidr(c));
  }

  get size(): number {
    return this.ranges.length;
  }

  /** True when `address` is inside one of the ranges (IPv4 and IPv6 never match each other). */
  has(address: string): boolean {
    let ip: ipaddr.IPv4 | ipaddr.IPv6;
    try {
      ip = ipaddr.process(address);
    } catch {
      return false;
    }
    return this.ranges.some(([range, bits]) => range.kind() === ip.kind() && ip.match(range, bits));
  }
}

/** Parses `10.0.0.0/8`, `2001:db8::/32` or a bare address (a /32 or /128). Throws when invalid. */
export function parseCidr(cidr: string): [ipaddr.IPv4 | ipaddr.IPv6, number] {
  if (cidr.includes('/')) {
    const [range, bits] = ipaddr.parseCIDR(cidr);
    return [
      range.kind() === 'ipv6' && (range as ipaddr.IPv6).isIPv4MappedAddress()
        ? (range as ipaddr.IPv6).toIPv4Address()
        : range,
      range.kind() === 'ipv6' && (range as ipaddr.IPv6).isIPv4MappedAddress() ? bits - 96 : bits,
    ];
  }
  const ip = ipaddr.process(cidr);
  return [ip, ip.kind() === 'ipv4' ? 32 : 128];
}

/** True when `cidr` parses as a CIDR or a bare address. */
export function isCidr(cidr: string): boolean {
  try {
    parseCidr(cidr);
    return true;
  } catch {
    return false;
  }
}
