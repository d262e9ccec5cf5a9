/**
 * IP address text parsing and classification, without `node:net`: the MX resolver needs the
 * bytes (to classify ranges and build reverse names), not just "is this an IP".
 */

/** The kind of network an address belongs to, as far as routing mail to it is concerned. */
export type AddressScope =
  | 'public'
  /** RFC 5737 / RFC 3849 documentation ranges: routable in tests, never on the internet. */
  | 'documentation'
  /** RFC 1918 and RFC 4193 unique-local. */
  | 'private'
  /** RFC 6598 shared address space (carrier-grade NAT). */
  | 'shared'
  | 'loopback'
  | 'link-local'
  /** `0.0.0.0/8`, `::`. */
  | 'unspecified'
  | 'multicast'
  /** Reserved, broadcast, benchmarking and other special-purpose ranges (RFC 6890). */
  | 'reserved';

/** Parses dotted-quad IPv4 text into 4 bytes, or `undefined`. Leading zeros are refused (octal ambiguity). */
export function parseIPv4(text: string): Uint8Array | undefined {
  const parts = text.split('.');
  if (parts.length !== 4) return undefined;
  const out = new Uint8Array(4);
  for (let i = 0; i < 4; i++) {
    const part = parts[i] ?? '';
    if (!/^(0|[1-9][0-9]{0,2})$/.test(part)) return undefined;
    const value = Number(part);
    if (value > 255) return undefined;
    out[i] = value;
  }
  return out;
}

/** Parses RFC 4291 §2.2 IPv6 text (incl. `::` and a dotted IPv4 tail) into 16 bytes, or `undefined`. */
export function parseIPv6(text: string): Uint8Array | undefined {
  if (text.length === 0 || text.length > 45 || !/^[0-9A-Fa-f:.]+$/.test(text)) return undefined;
  const halves = text.split('::');
  if (halves.length > 2) return undefined;
  const parseGroups = (part: string): number[] | undefined => {
    if (part === '') return [];
    const groups: number[] = [];
    const items = part.split(':');
    for (let i = 0; i < items.length; i++) {
      const item = items[i] ?? '';
      if (i === items.length - 1 && item.includes('.')) {
        const v4 = parseIPv4(item);
        if (!v4) return undefined;
        groups.push(((v4[0] ?? 0) << 8) | (v4[1] ?? 0), ((v4[2] ?? 0) << 8) | (v4[3] ?? 0));
        continue;
      }
      if (!/^[0-9A-Fa-f]{1,4}$/.test(item)) return undefined;
      groups.push(Number.parseInt(item, 16));
    }
    return groups;
  };
  const head = parseGroups(halves[0] ?? '');
  const tail = halves.length === 2 ? parseGroups(halves[1] ?? '') : [];
  if (!head || !tail) return undefined;
  const missing = 8 - head.length - tail.length;
  if (halves.length === 2 ? missing < 1 : missing !== 0) return undefined;
  const groups = [...head, ...new Array<number>(halves.length === 2 ? missing : 0).fill(0), ...tail];
  const out = new Uint8Array(16);
  groups.forEach((group, i) => {
    out[i * 2] = group >> 8;
    out[i * 2 + 1] = group & 0xff;
  });
  return out;
}

/**
 * The network-order bytes of an IPv4 (4 bytes) or IPv6 (16 bytes) address literal, or
 * `undefined`. For prefix matching (SPF `ip4:`/`ip6:`) and certificate SANs.
 * @example
 * parseIp('192.0.2.1'); // Uint8Array [192, 0, 2, 1]
 */
export function parseIp(text: string): Uint8Array | undefined {
  return parseIPv4(text) ?? parseIPv6(text);
}

/**
 * `4` or `6` when `text` is an IPv4 or IPv6 address literal (no brackets, no zone id), else `0`.
 * @example
 * ```ts
 * ipFamily('192.0.2.1'); // 4
 * ipFamily('2001:db8::1'); // 6
 * ipFamily('mx.example.com'); // 0
 * ```
 */
export function ipFamily(text: string): 0 | 4 | 6 {
  if (parseIPv4(text)) return 4;
  if (parseIPv6(text)) return 6;
  return 0;
}

function inV4(bytes: Uint8Array, a: number, b: number, c: number, d: number, prefix: number): boolean {
  const value =
    (((bytes[0] ?? 0) << 24) | ((bytes[1] ?? 0) << 16) | ((bytes[2] ?? 0) << 8) | (bytes[3] ?? 0)) >>> 0;
  const base = ((a << 24) | (b << 16) | (c << 8) | d) >>> 0;
  const mask = prefix === 0 ? 0 : (0xffffffff << (32 - prefix)) >>> 0;
  return (value & mask) >>> 0 === (base & mask) >>> 0;
}

function scopeV4(bytes: Uint8Array): AddressScope {
  // RFC 6890 special-purpose IPv4 registry, most specific ranges first.
  if (inV4(bytes, 0, 0, 0, 0, 8)) return 'unspecified';
  if (inV4(bytes, 127, 0, 0, 0, 8)) return 'loopback';
  if (inV4(bytes, 169, 254, 0, 0, 16)) return 'link-local';
  if (inV4(bytes, 10, 0, 0, 0, 8) || inV4(bytes, 172, 16, 0, 0, 12) || inV4(bytes, 192, 168, 0, 0, 16)) {
    return 'private';
  }
  if (inV4(bytes, 100, 64, 0, 0, 10)) return 'shared';
  if (inV4(bytes, 192, 0, 2, 0, 24) || inV4(bytes, 198, 51, 100, 0, 24) || inV4(bytes, 203, 0, 113, 0, 24)) {
    return 'documentation';
  }
  if (inV4(bytes, 224, 0, 0, 0, 4)) return 'multicast';
  if (inV4(bytes, 240, 0, 0, 0, 4) || inV4(bytes, 192, 0, 0, 0, 24) || inV4(bytes, 198, 18, 0, 0, 15)) {
    return 'reserved';
  }
  return 'public';
}

function scopeV6(bytes: Uint8Array): AddressScope {
  const zeroUpTo = (n: number) => bytes.subarray(0, n).every((b) => b === 0);
  if (zeroUpTo(15)) {
    if (bytes[15] === 0) return 'unspecified';
    if (bytes[15] === 1) return 'loopback';
  }
  // ::ffff:a.b.c.d (RFC 4291 §2.5.5.2): the IPv4 address is what a connection reaches.
  if (zeroUpTo(10) && bytes[10] === 0xff && bytes[11] === 0xff) return scopeV4(bytes.subarray(12));
  const b0 = bytes[0] ?? 0;
  const b1 = bytes[1] ?? 0;
  if (b0 === 0xff) return 'multicast';
  if (b0 === 0xfe && (b1 & 0xc0) === 0x80) return 'link-local';
  if (b0 === 0xfe && (b1 & 0xc0) === 0xc0) return 'private'; // fec0::/10 site-local, deprecated
  if ((b0 & 0xfe) === 0xfc) return 'private'; // fc00::/7 unique local (RFC 4193)
  if (b0 === 0x20 && b1 === 0x01 && bytes[2] === 0x0d && bytes[3] === 0xb8) return 'documentation';
  if (zeroUpTo(12)) return 'reserved'; // deprecated IPv4-compatible ::a.b.c.d
  if (b0 === 0x01 && b1 === 0 && bytes.subarray(2, 8).every((b) => b === 0)) {
    return 'reserved'; // 100::/64 discard-only (RFC 6666)
  }
  return 'public';
}

/**
 * Classifies an IPv4 or IPv6 address by the special-purpose registries (RFC 6890, RFC 4291).
 * `resolveMx` refuses every scope but `public` and `documentation` unless `allowPrivate` is set.
 * @throws TypeError when `address` is not an IP address literal.
 * @example
 * classifyAddress('10.1.2.3');   // 'private'
 * classifyAddress('fe80::1');    // 'link-local'
 * classifyAddress('8.8.8.8');    // 'public'
 */
export function classifyAddress(address: string): AddressScope {
  const v4 = parseIPv4(address);
  if (v4) return scopeV4(v4);
  const v6 = parseIPv6(address);
  if (v6) return scopeV6(v6);
  throw new TypeError(`not an IP address: ${JSON.stringify(address)}`);
}

/**
 * The reverse-lookup (PTR) name of an address: `in-addr.arpa` for IPv4 (RFC 1035 §3.5) and
 * nibble-reversed `ip6.arpa` for IPv6 (RFC 3596 §2.5). No trailing dot.
 * @throws TypeError when `address` is not an IP address literal.
 * @example
 * reverseName('192.0.2.1');   // '1.2.0.192.in-addr.arpa'
 * reverseName('2001:db8::1'); // '1.0.0.0.…(32 nibbles)….8.b.d.0.1.0.0.2.ip6.arpa'
 */
export function reverseName(address: string): string {
  const v4 = parseIPv4(address);
  if (v4) return `${[...v4].reverse().join('.')}.in-addr.arpa`;
  const v6 = parseIPv6(address);
  if (!v6) throw new TypeError(`not an IP address: ${JSON.stringify(address)}`);
  const nibbles: string[] = [];
  for (let i = 15; i >= 0; i--) {
    const byte = v6[i] ?? 0;
    nibbles.push((byte & 0x0f).toString(16), (byte >> 4).toString(16));
  }
  return `${nibbles.join('.')}.ip6.arpa`;
}

function formatIPv6(bytes: Uint8Array): string {
  const groups: number[] = [];
  for (let i = 0; i < 16; i += 2) groups.push(((bytes[i] ?? 0) << 8) | (bytes[i + 1] ?? 0));
  // RFC 5952 §5: IPv4-mapped addresses keep the dotted quad.
  if (groups.slice(0, 5).every((g) => g === 0) && groups[5] === 0xffff) {
    return `::ffff:${bytes[12]}.${bytes[13]}.${bytes[14]}.${bytes[15]}`;
  }
  // RFC 5952 §4.2: compress the longest run of two or more zero groups, the first on a tie.
  let bestStart = -1;
  let bestLength = 1;
  for (let i = 0; i < 8; ) {
    if (groups[i] !== 0) {
      i++;
      continue;
    }
    let j = i;
    while (j < 8 && groups[j] === 0) j++;
    if (j - i > bestLength) {
      bestStart = i;
      bestLength = j - i;
    }
    i = j;
  }
  const hex = groups.map((g) => g.toString(16));
  if (bestStart < 0) return hex.join(':');
  return `${hex.slice(0, bestStart).join(':')}::${hex.slice(bestStart + bestLength).join(':')}`;
}

/**
 * The canonical text of an address: dotted quad for IPv4, RFC 5952 for IPv6 (lower case,
 * longest zero run compressed), which is what node:dns returns. Compare addresses in this form.
 * @throws TypeError when `address` is not an IP address literal.
 * @example
 * canonicalAddress('2001:DB8:0:0:0:0:0:1'); // '2001:db8::1'
 */
export function canonicalAddress(address: string): string {
  const v4 = parseIPv4(address);
  if (v4) return v4.join('.');
  const v6 = parseIPv6(address);
  if (!v6) throw new TypeError(`not an IP address: ${JSON.stringify(address)}`);
  return formatIPv6(v6);
}

/**
 * The canonical address, with an IPv4-mapped IPv6 address (RFC 4291 §2.5.5.2) given as the
 * IPv4 address it stands for: reverse DNS and blocklists know the host by that.
 * @throws TypeError when `address` is not an IP address literal.
 */
export function unmappedAddress(address: string): string {
  const v6 = parseIPv4(address) ? undefined : parseIPv6(address);
  if (v6?.slice(0, 10).every((b) => b === 0) && v6[10] === 0xff && v6[11] === 0xff) {
    return `${v6[12]}.${v6[13]}.${v6[14]}.${v6[15]}`;
  }
  return canonicalAddress(address);
}
