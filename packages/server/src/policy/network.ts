import { isIPv4, isIPv6 } from 'node:net';

/**
 * The network a client address belongs to, as a stable string key: the /24 of an IPv4 address
 * and the /64 of an IPv6 address by default. Greylisting and rate limiting key on the network,
 * not the address, because large senders retry from a neighbouring host of the same pool.
 *
 * @param address - An IPv4 or IPv6 address (an IPv4-mapped IPv6 address counts as IPv4).
 * @param prefixV4 - IPv4 prefix length (0–32).
 * @param prefixV6 - IPv6 prefix length (0–128).
 * @throws TypeError when `address` is not an IP address.
 * @example
 * ```ts
 * clientNetwork('192.0.2.77'); // '192.0.2.0/24'
 * clientNetwork('2001:db8::1'); // '2001:db8:0:0:0:0:0:0/64'
 * ```
 */
export function clientNetwork(address: string, prefixV4 = 24, prefixV6 = 64): string {
  const mapped = /^::ffff:(\d+\.\d+\.\d+\.\d+)$/i.exec(address);
  if (mapped) address = mapped[1]!;
  if (isIPv4(address)) {
    const octets = address.split('.').map(Number);
    const value = ((octets[0]! << 24) | (octets[1]! << 16) | (octets[2]! << 8) | octets[3]!) >>> 0;
    const mask = prefixV4 === 0 ? 0 : (0xffffffff << (32 - prefixV4)) >>> 0;
    const net = (value & mask) >>> 0;
    return `${net >>> 24}.${(net >>> 16) & 255}.${(net >>> 8) & 255}.${net & 255}/${prefixV4}`;
  }
  if (isIPv6(address)) {
    const groups = expandIPv6(address);
    const out: number[] = [];
    for (let i = 0; i < 8; i++) {
      const bits = Math.max(0, Math.min(16, prefixV6 - i * 16));
      const mask = bits === 0 ? 0 : (0xffff << (16 - bits)) & 0xffff;
      out.push(groups[i]! & mask);
    }
    return `${out.map((g) => g.toString(16)).join(':')}/${prefixV6}`;
  }
  throw new TypeError(`not an IP address: ${JSON.stringify(address)}`);
}

function expandIPv6(address: string): number[] {
  let text = address.replace(/%.*$/, '');
  // A trailing dotted quad (::ffff:1.2.3.4 or ::1.2.3.4) becomes two groups.
  const quad = /(\d+)\.(\d+)\.(\d+)\.(\d+)$/.exec(text);
  if (quad) {
    const [a, b, c, d] = quad.slice(1).map(Number) as [number, number, number, number];
    text = `${text.slice(0, quad.index)}${((a << 8) | b).toString(16)}:${((c << 8) | d).toString(16)}`;
  }
  const [head, tail] = text.split('::') as [string, string | undefined];
  const headGroups = head === '' ? [] : head.split(':');
  const tailGroups = tail === undefined || tail === '' ? [] : tail.split(':');
  const fill = tail === undefined ? 0 : 8 - headGroups.length - tailGroups.length;
  return [...headGroups, ...Array<string>(fill).fill('0'), ...tailGroups].map((g) => Number.parseInt(g, 16));
}
