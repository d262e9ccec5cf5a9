/**
 * Small IP helpers for SPF: strict text parsing (RFC 7208 §5.6 `ip4-network`/`ip6-network`),
 * CIDR comparison and the `%{i}` / `%{c}` macro forms (reverse names come from @smtpkit/dns). Addresses are parsed once
 * into a fixed shape so the evaluator compares integers, not strings.
 */
import { canonicalAddress } from '@smtpkit/dns';

/** A parsed address: IPv4 as one 32-bit word, IPv6 as four. */
export type ParsedIp =
  | { readonly family: 4; readonly words: readonly [number] }
  | { readonly family: 6; readonly words: readonly [number, number, number, number] };

const IPV4_PART = /^(?:0|[1-9][0-9]{0,2})$/;

/**
 * Parses dotted-quad IPv4 (`qnum "." qnum "." qnum "." qnum`, RFC 7208 §5.6): decimal,
 * no leading zeros beyond a lone `0`, each part ≤ 255.
 */
export function parseIpv4(text: string): number | undefined {
  const parts = text.split('.');
  if (parts.length !== 4) return undefined;
  let value = 0;
  for (const part of parts) {
    if (!IPV4_PART.test(part)) return undefined;
    const n = Number(part);
    if (n > 255) return undefined;
    value = value * 256 + n;
  }
  return value >>> 0;
}

const HEX_GROUP = /^[0-9A-Fa-f]{1,4}$/;

/** Parses RFC 4291 §2.2 IPv6 text (with `::` and an optional trailing dotted quad) into 8 groups. */
export function parseIpv6Groups(text: string): number[] | undefined {
  if (text.length > 45 || text.length < 2) return undefined;
  const halves = text.split('::');
  if (halves.length > 2) return undefined;
  const parseSide = (side: string, last: boolean): number[] | undefined => {
    if (side === '') return [];
    const items = side.split(':');
    const out: number[] = [];
    for (let i = 0; i < items.length; i++) {
      const item = items[i]!;
      if (last && i === items.length - 1 && item.includes('.')) {
        const v4 = parseIpv4(item);
        if (v4 === undefined) return undefined;
        out.push(v4 >>> 16, v4 & 0xffff);
      } else if (HEX_GROUP.test(item)) {
        out.push(Number.parseInt(item, 16));
      } else {
        return undefined;
      }
    }
    return out;
  };
  if (halves.length === 1) {
    const groups = parseSide(halves[0]!, true);
    return groups && groups.length === 8 ? groups : undefined;
  }
  const head = parseSide(halves[0]!, false);
  const tail = parseSide(halves[1]!, true);
  if (!head || !tail || head.length + tail.length > 7) return undefined;
  return [...head, ...new Array<number>(8 - head.length - tail.length).fill(0), ...tail];
}

/**
 * Parses a client address. An IPv4-mapped IPv6 address (`::ffff:192.0.2.1`) is the IPv4 address
 * it carries: RFC 7208 §5 ("ip4" and "ip6" compare within one family) and common MTA practice
 * treat the connection as IPv4.
 */
export function parseIp(text: string): ParsedIp | undefined {
  const v4 = parseIpv4(text);
  if (v4 !== undefined) return { family: 4, words: [v4] };
  const groups = parseIpv6Groups(text);
  if (!groups) return undefined;
  if (
    groups[0] === 0 &&
    groups[1] === 0 &&
    groups[2] === 0 &&
    groups[3] === 0 &&
    groups[4] === 0 &&
    groups[5] === 0xffff
  ) {
    return { family: 4, words: [((groups[6]! << 16) | groups[7]!) >>> 0] };
  }
  return { family: 6, words: ipv6Words(groups) };
}

/** Parses an address exactly as written (no IPv4-mapped folding), as `ip6:` networks need. */
export function parseIpNetwork(text: string, family: 4 | 6): ParsedIp | undefined {
  if (family === 4) {
    const v4 = parseIpv4(text);
    return v4 === undefined ? undefined : { family: 4, words: [v4] };
  }
  const groups = parseIpv6Groups(text);
  return groups ? { family: 6, words: ipv6Words(groups) } : undefined;
}

function ipv6Words(groups: readonly number[]): [number, number, number, number] {
  return [
    ((groups[0]! << 16) | groups[1]!) >>> 0,
    ((groups[2]! << 16) | groups[3]!) >>> 0,
    ((groups[4]! << 16) | groups[5]!) >>> 0,
    ((groups[6]! << 16) | groups[7]!) >>> 0,
  ];
}

/** Whether `a` and `b` (same family) agree on their first `prefix` bits. */
export function sameNetwork(a: ParsedIp, b: ParsedIp, prefix: number): boolean {
  if (a.family !== b.family) return false;
  let remaining = prefix;
  for (let i = 0; i < a.words.length; i++) {
    if (remaining <= 0) return true;
    const x = a.words[i]!;
    const y = b.words[i]!;
    if (remaining >= 32) {
      if (x !== y) return false;
    } else {
      const mask = (0xffffffff << (32 - remaining)) >>> 0;
      return (x & mask) >>> 0 === (y & mask) >>> 0;
    }
    remaining -= 32;
  }
  return true;
}

/** The 32 hex nibbles of an IPv6 address, most significant first. */
function nibbles(ip: ParsedIp): string[] {
  const out: string[] = [];
  for (const word of ip.words) {
    const hex = word.toString(16).padStart(8, '0');
    for (const ch of hex) out.push(ch);
  }
  return out;
}

/** `%{i}` (RFC 7208 §7.3): dotted quad for IPv4, dot-separated nibbles for IPv6. */
export function ipMacroForm(ip: ParsedIp): string {
  if (ip.family === 4) return formatIpv4(ip.words[0]);
  return nibbles(ip).join('.');
}

/** Dotted-quad text of a 32-bit IPv4 value. */
export function formatIpv4(value: number): string {
  return `${value >>> 24}.${(value >>> 16) & 0xff}.${(value >>> 8) & 0xff}.${value & 0xff}`;
}

/**
 * `%{c}` (RFC 7208 §7.3): the address in its usual human-readable form (RFC 5952 for IPv6, via
 * @smtpkit/dns's `canonicalAddress`). `parseIp` folds IPv4-mapped addresses to IPv4, so the
 * IPv6 addresses met here never take RFC 5952 §5's dotted-quad form.
 */
export function formatIp(ip: ParsedIp): string {
  if (ip.family === 4) return formatIpv4(ip.words[0]);
  return canonicalAddress(
    ip.words.map((w) => `${(w >>> 16).toString(16)}:${(w & 0xffff).toString(16)}`).join(':'),
  );
}
