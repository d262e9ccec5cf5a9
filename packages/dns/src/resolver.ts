/**
 * The resolver contract every DNS consumer in smtpkit takes (SPF, DKIM verification, MX
 * resolution, delivery). Lookups never throw for DNS outcomes: NXDOMAIN, NODATA and
 * temporary failure are values, because SPF (void lookups, temperror) and delivery
 * (implicit MX only on NODATA, defer on temporary failure) act differently on each.
 * Caller bugs (a malformed name) throw `TypeError`.
 */

/** An MX record (RFC 5321 §5.1). `exchange` has no trailing dot; `.` (null MX) is `''`. */
export interface MxRecord {
  readonly exchange: string;
  readonly priority: number;
  /** Seconds, where the resolver knows it. */
  readonly ttl?: number;
}

/** An A or AAAA record: the address in its usual text form (`192.0.2.1`, `2001:db8::1`). */
export interface AddressRecord {
  readonly address: string;
  readonly ttl?: number;
}

/** A TXT record as its character-strings; most users want `strings.join('')`. */
export interface TxtRecord {
  readonly strings: readonly string[];
  readonly ttl?: number;
}

/** A PTR or CNAME record: the target name, without the trailing dot. */
export interface NameRecord {
  readonly name: string;
  readonly ttl?: number;
}

/** Why a lookup failed temporarily (worth retrying later). */
export type TemporaryFailureReason = 'servfail' | 'timeout' | 'refused' | 'network' | 'other';

/** The outcome of one lookup. `found` always carries at least one record. */
export type DnsOutcome<T> =
  | { readonly status: 'found'; readonly records: readonly T[] }
  /** The name does not exist (RCODE 3). */
  | { readonly status: 'nxdomain' }
  /** The name exists but has no record of this type (NOERROR, empty answer). */
  | { readonly status: 'nodata' }
  /** SERVFAIL, timeout, refused or a network error: try again later. */
  | { readonly status: 'tempfail'; readonly reason: TemporaryFailureReason; readonly message: string };

/** Per-lookup options. */
export interface LookupOptions {
  /** Aborting rejects the lookup with the signal's reason (an `AbortError`). */
  readonly signal?: AbortSignal;
}

/** The DNS operations smtpkit needs. Implement it to plug in any DNS layer. */
export interface Resolver {
  mx(name: string, options?: LookupOptions): Promise<DnsOutcome<MxRecord>>;
  txt(name: string, options?: LookupOptions): Promise<DnsOutcome<TxtRecord>>;
  a(name: string, options?: LookupOptions): Promise<DnsOutcome<AddressRecord>>;
  aaaa(name: string, options?: LookupOptions): Promise<DnsOutcome<AddressRecord>>;
  ptr(name: string, options?: LookupOptions): Promise<DnsOutcome<NameRecord>>;
  cname?(name: string, options?: LookupOptions): Promise<DnsOutcome<NameRecord>>;
}
