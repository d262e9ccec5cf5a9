/**
 * A zone described as plain data: what `createStaticResolver` answers from, and what
 * `@smtpkit/testing`'s `startDnsServer` serves over real UDP/TCP. One shape for both, so a
 * test can move from the in-memory resolver to the wire without rewriting its fixtures.
 */

/** The record types a {@link Zone} can hold (the ones the {@link Resolver} contract asks for). */
export type ZoneRecordType = 'a' | 'aaaa' | 'mx' | 'txt' | 'ptr' | 'cname';

/**
 * A failure to answer with instead of records. `servfail` and `refused` are the RCODEs
 * (RFC 1035 §4.1.1); `timeout` means no answer at all.
 */
export type ZoneFault = 'servfail' | 'refused' | 'timeout';

/**
 * One TXT record: a string (encoded as UTF-8 and split into 255-octet character-strings,
 * RFC 1035 §3.3.14) or the character-strings given explicitly (text or raw bytes).
 */
export type ZoneTxt = string | readonly (string | Uint8Array)[];

/** The records and faults of one owner name. Types with no entry answer NODATA. */
export interface ZoneNode {
  /** IPv4 addresses. */
  readonly a?: readonly string[];
  /** IPv6 addresses. */
  readonly aaaa?: readonly string[];
  /** MX records; an `exchange` of `''` or `'.'` is a null MX (RFC 7505). */
  readonly mx?: readonly { readonly priority: number; readonly exchange: string }[];
  /** TXT records. */
  readonly txt?: readonly ZoneTxt[];
  /** PTR targets (the owner name is the reverse name, see `reverseName`). */
  readonly ptr?: readonly string[];
  /** An alias: queries of other types follow it (RFC 1034 §3.6.2). */
  readonly cname?: string;
  /** TTL in seconds for this name's records. Default 300. */
  readonly ttl?: number;
  /** Every query for this name fails this way. */
  readonly fault?: ZoneFault;
  /**
   * Per-type faults; `otherwise` applies to types this name has no records of (instead of
   * NODATA), as the RFC 7208 suite's bare `TIMEOUT` entry does.
   */
  readonly faults?: { readonly [K in ZoneRecordType | 'otherwise']?: ZoneFault };
  /**
   * Servers only: answer UDP queries for this name with the TC bit and no records, so the
   * client retries over TCP (RFC 7766 §5). The in-memory resolver ignores it.
   */
  readonly truncate?: boolean;
}

/**
 * Owner name (case-insensitive, trailing dot optional) → its records. A name that is absent
 * answers NXDOMAIN.
 * @example
 * const zone: Zone = {
 *   'example.com': { mx: [{ priority: 10, exchange: 'mx.example.com' }], txt: ['v=spf1 mx -all'] },
 *   'mx.example.com': { a: ['192.0.2.10'], aaaa: ['2001:db8::10'] },
 *   'broken.example': { fault: 'servfail' },
 * };
 */
export type Zone = { readonly [name: string]: ZoneNode };

/**
 * The fault, if any, a query of `type` at `node` meets.
 * @example
 * ```ts
 * zoneFault({ a: ['192.0.2.1'], faults: { txt: 'timeout' } }, 'txt'); // 'timeout'
 * zoneFault({ a: ['192.0.2.1'] }, 'a'); // undefined
 * ```
 */
export function zoneFault(node: ZoneNode, type: ZoneRecordType): ZoneFault | undefined {
  if (node.fault) return node.fault;
  const specific = node.faults?.[type];
  if (specific) return specific;
  const present = type === 'cname' ? node.cname !== undefined : (node[type]?.length ?? 0) > 0;
  // A name that is an alias "has" every type through its target.
  if (!present && node.cname === undefined) return node.faults?.otherwise;
  return undefined;
}
