/**
 * DNS blocklist lookups (RFC 5782): the address's octets (IPv4) or nibbles (IPv6) reversed,
 * prepended to the list's zone, asked for A (listed or not) and TXT (why).
 */
import type { LookupOptions, Resolver, TemporaryFailureReason } from '../resolver';
import { ipFamily, parseIPv4, reverseName, unmappedAddress } from './ip';
import { assertLookupName, normalizeName } from './names';

/** Options for {@link checkDnsbl}. */
export interface CheckDnsblOptions extends LookupOptions {
  /** Where answers come from. Use a resolver of your own: many lists refuse public ones. */
  readonly resolver: Resolver;
}

/**
 * The answer of one list:
 * - `listed`: an A record in 127.0.0.0/8 (RFC 5782 §2.1), with the codes and TXT reason;
 * - `not-listed`: NXDOMAIN (or NODATA);
 * - `unknown`: the list did not say — a DNS failure (`tempfail`), a "query refused / rate
 *   limited / use a DQS key" code (`refused`, 127.255.255.x as Spamhaus, 127.0.0.1 as
 *   URIBL/SURBL answer blocked queries), or an answer outside 127/8 (`invalid-answer`, e.g. a
 *   resolver that rewrites NXDOMAIN or a list that shut down by listing the world). None of
 *   these is a listing.
 */
export type DnsblResult =
  | {
      readonly zone: string;
      readonly status: 'listed';
      /** The A records returned (`127.0.0.2`, `127.0.0.10`...): list-specific meanings. */
      readonly codes: readonly string[];
      /** The TXT record at the same name, joined; absent when the list publishes none. */
      readonly reason?: string;
    }
  | { readonly zone: string; readonly status: 'not-listed' }
  | {
      readonly zone: string;
      readonly status: 'unknown';
      /** Why the list's answer is no answer. */
      readonly why: 'refused' | 'invalid-answer' | 'tempfail';
      /** The A records returned, for `refused` and `invalid-answer`. */
      readonly codes?: readonly string[];
      /** For `tempfail`: the resolver's reason. */
      readonly failureReason?: TemporaryFailureReason;
      /** Human-readable detail. */
      readonly message: string;
    };

/**
 * The name to query for `ip` in `zone`: `5.2.0.192.zen.example` for 192.0.2.5, and the 32
 * nibbles of an IPv6 address in reverse (RFC 5782 §2.1, §2.4). An IPv4-mapped IPv6 address is
 * looked up as IPv4.
 * @throws TypeError for an address that is not one, or a name over the DNS limits.
 * @example
 * dnsblQueryName('192.0.2.5', 'bl.example'); // '5.2.0.192.bl.example'
 */
export function dnsblQueryName(ip: string, zone: string): string {
  const reversed = reverseName(unmappedAddress(ip)).replace(/\.(in-addr|ip6)\.arpa$/, '');
  const name = `${reversed}.${normalizeName(zone)}`;
  assertLookupName(name);
  return name;
}

/** RFC 5782 §2.1: listings are 127.0.0.0/8; these codes within it mean "no answer for you". */
function isRefusalCode(address: string): boolean {
  return address === '127.0.0.1' || address.startsWith('127.255.255.');
}

async function checkOne(ip: string, zone: string, options: CheckDnsblOptions): Promise<DnsblResult> {
  const name = dnsblQueryName(ip, zone);
  const lookup = options.signal ? { signal: options.signal } : undefined;
  const answer = await options.resolver.a(name, lookup);
  if (answer.status === 'nxdomain' || answer.status === 'nodata') return { zone, status: 'not-listed' };
  if (answer.status === 'tempfail') {
    return {
      zone,
      status: 'unknown',
      why: 'tempfail',
      failureReason: answer.reason,
      message: `${zone} did not answer: ${answer.message}`,
    };
  }
  const codes = answer.records.map((r) => r.address);
  if (codes.some(isRefusalCode)) {
    return {
      zone,
      status: 'unknown',
      why: 'refused',
      codes,
      message: `${zone} refused the query (${codes.join(', ')})`,
    };
  }
  if (!codes.every((code) => parseIPv4(code)?.[0] === 127)) {
    return {
      zone,
      status: 'unknown',
      why: 'invalid-answer',
      codes,
      message: `${zone} answered outside 127.0.0.0/8 (${codes.join(', ')})`,
    };
  }
  const txt = await options.resolver.txt(name, lookup);
  const reason =
    txt.status === 'found' ? txt.records.map((r) => r.strings.join('')).join(' ') || undefined : undefined;
  return reason === undefined ? { zone, status: 'listed', codes } : { zone, status: 'listed', codes, reason };
}

/**
 * Looks `ip` up on each DNS blocklist `zone` (in parallel) and interprets the answers; see
 * {@link DnsblResult}. The results are in the order of `zones`. A DNS failure is never a
 * listing. Never throws for DNS outcomes.
 * @throws TypeError when `ip` is not an IP address or a zone makes an invalid name.
 * @example
 * const results = await checkDnsbl('192.0.2.5', ['zen.spamhaus.org', 'bl.spamcop.net'], { resolver });
 * for (const r of results) if (r.status === 'listed') console.log(r.zone, r.codes, r.reason);
 */
export async function checkDnsbl(
  ip: string,
  zones: readonly string[],
  options: CheckDnsblOptions,
): Promise<readonly DnsblResult[]> {
  if (ipFamily(ip) === 0) throw new TypeError(`not an IP address: ${JSON.stringify(ip)}`);
  for (const zone of zones) dnsblQueryName(ip, zone);
  options.signal?.throwIfAborted();
  return Promise.all(zones.map((zone) => checkOne(ip, zone, options)));
}
