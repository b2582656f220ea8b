import ipaddr from 'ipaddr.js';

// IPv6 global unicast: everything outside it (loopback, unique-local, link-local, multicast, the
// IPv4-compatible ::/96, discard, segment routing...) is never a public web server.
const GLOBAL_UNICAST_V6 = ipaddr.parseCIDR('2000::/3');

/** The IPv4 address an IPv6 address carries in its last 32 bits. */
function lastV4(ip: ipaddr.IPv6, xor = 0): ipaddr.IPv4 {
  const p = ip.parts;
  const hi = (p[6] ?? 0) ^ (xor >>> 16);
  const lo = (p[7] ?? 0) ^ (xor & 0xffff);
  return new ipaddr.IPv4([hi >> 8, hi & 0xff, lo >> 8, lo & 0xff]);
}

/** The IPv4 address a 6to4 address (2002:AABB:CCDD::/48) routes to. */
function sixToFourV4(ip: ipaddr.IPv6): ipaddr.IPv4 {
  const [, a = 0, b = 0] = ip.parts;
  return new ipaddr.IPv4([a >> 8, a & 0xff, b >> 8, b & 0xff]);
}

function isPublicV4(ip: ipaddr.IPv4): boolean {
  // ipaddr.js names every special range (private, loopback, link-local with 169.254.169.254,
  // CGNAT, multicast, broadcast, 0/8, TEST-NETs, benchmarking 198.18/15, 240/4, ...);
  // only what falls in none of them is an ordinary internet host.
  return ip.range() === 'unicast';
}

function isPublicV6(ip: ipaddr.IPv6): boolean {
  switch (ip.range()) {
    case 'ipv4Mapped':
      return isPublicV4(ip.toIPv4Address());
    case 'rfc6052': {
      // NAT64: the well-known 64:ff9b::/96 embeds the IPv4 target; the local-use 64:ff9b:1::/48
      // translates into the operator's own network, so it is refused outright.
      const wellKnown = ip.match(ipaddr.parseCIDR('64:ff9b::/96'));
      return wellKnown && isPublicV4(lastV4(ip));
    }
    case '6to4':
      return isPublicV4(sixToFourV4(ip));
    case 'teredo': {
      // 2001:0:SSSS:SSSS:flags:port:CCCC:CCCC, the client address stored inverted (RFC 4380).
      const server = new ipaddr.IPv6([0, 0, 0, 0, 0, 0, ip.parts[2] ?? 0, ip.parts[3] ?? 0]);
      return isPublicV4(lastV4(server)) && isPublicV4(lastV4(ip, 0xffffffff));
    }
    case 'unicast':
      return ip.match(GLOBAL_UNICAST_V6);
    case 'unspecified':
    case 'loopback':
    case 'linkLocal':
    case 'uniqueLocal': // fd00:ec2::254 (AWS metadata) among them
    case 'multicast':
    case 'rfc6145':
    case 'reserved':
    case 'benchmarking':
    case 'amt':
    case 'as112v6':
    case 'orchid2':
    case 'droneRemoteIdProtocolEntityTags':
      return false;
  }
  // Ranges ipaddr.js knows but does not declare (site-local, discard, segment routing...).
  return false;
}

/**
 * True when `address` (an IPv4 or IPv6 literal) is an ordinary public internet address: not
 * private, loopback, link-local (cloud metadata), multicast, unspecified, broadcast, CGNAT,
 * benchmarking, documentation or reserved, and not an IPv6 form embedding one of those
 * (IPv4-mapped, IPv4-compatible, 6to4, Teredo, NAT64). Unparseable input is not public.
 */
export function isPublicAddress(address: string): boolean {
  let ip: ipaddr.IPv4 | ipaddr.IPv6;
  try {
    ip = ipaddr.parse(address.replace(/^\[|\]$/g, ''));
  } catch {
    return false;
  }
  return ip.kind() === 'ipv4' ? isPublicV4(ip as ipaddr.IPv4) : isPublicV6(ip as ipaddr.IPv6);
}
