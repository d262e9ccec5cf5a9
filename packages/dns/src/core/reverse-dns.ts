/**
 * Forward-confirmed reverse DNS ("FCrDNS", RFC 8601 §3 "iprev"): the PTR names of an address,
 * each accepted only if its A/AAAA records lead back to the same address. Receivers refuse
 * mail from clients without it (Postfix `reject_unknown_client_hostname`, RFC 7372 X.7.25).
 */
import type { LookupOptions, Resolver, TemporaryFailureReason } from '../resolver';
import { ipFamily, reverseName, unmappedAddress } from './ip';
import { assertLookupName, normalizeName } from './names';

/** Options for {@link verifyReverseDns}. */
export interface VerifyReverseDnsOptions extends LookupOptions {
  /** Where answers come from. */
  readonly resolver: Resolver;
  /**
   * How many PTR names are checked forward; the rest are listed in `ignored`. Default 10,
   * the bound RFC 7208 §4.6.4 puts on PTR names for the same reason (one PTR query must not
   * turn into unbounded work).
   */
  readonly maxNames?: number;
}

/**
 * The outcome of {@link verifyReverseDns}:
 * - `confirmed`: at least one PTR name resolves back to the address (RFC 8601 iprev `pass`);
 * - `unconfirmed`: PTR names exist but none resolves back (iprev `fail`);
 * - `none`: the address has no PTR record (NXDOMAIN or NODATA; iprev `fail`, "permerror" in
 *   RFC 8601's wording for a missing PTR);
 * - `tempfail`: a DNS failure left the answer open (iprev `temperror`): try again later.
 */
export type ReverseDnsStatus = 'confirmed' | 'unconfirmed' | 'none' | 'tempfail';

/** What {@link verifyReverseDns} found. */
export interface ReverseDnsResult {
  /** The verdict; see {@link ReverseDnsStatus}. */
  readonly status: ReverseDnsStatus;
  /** The address checked, canonical (an IPv4-mapped IPv6 address as IPv4). */
  readonly ip: string;
  /** The reverse name queried (`1.2.0.192.in-addr.arpa`, nibbles `.ip6.arpa`). */
  readonly reverseName: string;
  /** PTR names whose A/AAAA records include the address. */
  readonly confirmed: readonly string[];
  /** PTR names checked whose forward records do not include the address (or do not exist). */
  readonly unconfirmed: readonly string[];
  /** PTR names not checked: past `maxNames`. */
  readonly ignored: readonly string[];
  /** For `tempfail`: why (the first temporary failure met). */
  readonly failure?: { readonly reason: TemporaryFailureReason; readonly message: string };
}

/**
 * Forward-confirmed reverse DNS of `ip`: looks up its PTR names (IPv4 `in-addr.arpa`, IPv6
 * nibble `ip6.arpa`), then each name's A (IPv4) or AAAA (IPv6) records, and keeps the names
 * whose records contain `ip`. One confirmed name is enough; a temporary failure only decides
 * the result when no name is confirmed. Never throws for DNS outcomes.
 * @throws TypeError when `ip` is not an IP address; RangeError for a bad `maxNames`.
 * @example
 * const r = await verifyReverseDns('192.0.2.5', { resolver });
 * if (r.status === 'confirmed') console.log('FCrDNS ok:', r.confirmed[0]);
 */
export async function verifyReverseDns(
  ip: string,
  options: VerifyReverseDnsOptions,
): Promise<ReverseDnsResult> {
  if (ipFamily(ip) === 0) throw new TypeError(`not an IP address: ${JSON.stringify(ip)}`);
  const maxNames = options.maxNames ?? 10;
  if (!Number.isInteger(maxNames) || maxNames < 1)
    throw new RangeError('maxNames must be a positive integer');
  const { resolver, signal } = options;
  const address = unmappedAddress(ip);
  const family = ipFamily(address);
  const ptrName = reverseName(address);
  const base = { ip: address, reverseName: ptrName };
  const lookup = signal ? { signal } : undefined;
  const ptr = await resolver.ptr(ptrName, lookup);
  if (ptr.status === 'tempfail') {
    const failure = { reason: ptr.reason, message: ptr.message };
    return { ...base, status: 'tempfail', confirmed: [], unconfirmed: [], ignored: [], failure };
  }
  if (ptr.status !== 'found') return { ...base, status: 'none', confirmed: [], unconfirmed: [], ignored: [] };
  const names = [...new Set(ptr.records.map((r) => normalizeName(r.name)))];
  const checked = names.slice(0, maxNames);
  const ignored = names.slice(maxNames);
  const confirmed: string[] = [];
  const unconfirmed: string[] = [];
  let failure: ReverseDnsResult['failure'];
  await Promise.all(
    checked.map(async (name) => {
      try {
        assertLookupName(name);
      } catch {
        unconfirmed.push(name); // a PTR target no resolver can look up confirms nothing
        return;
      }
      const forward = family === 4 ? await resolver.a(name, lookup) : await resolver.aaaa(name, lookup);
      if (forward.status === 'found' && forward.records.some((r) => sameAddress(r.address, address))) {
        confirmed.push(name);
      } else {
        if (forward.status === 'tempfail') failure ??= { reason: forward.reason, message: forward.message };
        unconfirmed.push(name);
      }
    }),
  );
  // Keep the PTR answer's order, whatever order the lookups finished in.
  const order = (list: string[]) => list.sort((x, y) => names.indexOf(x) - names.indexOf(y));
  order(confirmed);
  order(unconfirmed);
  if (confirmed.length > 0) return { ...base, status: 'confirmed', confirmed, unconfirmed, ignored };
  if (failure) return { ...base, status: 'tempfail', confirmed, unconfirmed, ignored, failure };
  return { ...base, status: 'unconfirmed', confirmed, unconfirmed, ignored };
}

function sameAddress(record: string, address: string): boolean {
  return ipFamily(record) !== 0 && unmappedAddress(record) === address;
}
