/**
 * @packageDocumentation
 * DNS resolver interface with typed NXDOMAIN/NODATA/temporary outcomes, a TTL cache, and
 * RFC 5321 MX resolution, forward-confirmed reverse DNS and DNS blocklist lookups.
 */
export type { CachedResolver, CacheOptions } from './core/cache';
export { withCache } from './core/cache';
export type { CheckDnsblOptions, DnsblResult } from './core/dnsbl';
export { checkDnsbl, dnsblQueryName } from './core/dnsbl';
export type { AddressScope } from './core/ip';
export { canonicalAddress, classifyAddress, ipFamily, parseIp, reverseName } from './core/ip';
export { normalizeName, toALabel } from './core/names';
export type {
  AddressOrder,
  MxAddress,
  MxHost,
  MxPermanentReason,
  MxResolution,
  MxSkipped,
  MxSkipReason,
  ResolveMxOptions,
} from './core/resolve-mx';
export { orderMxRecords, resolveMx } from './core/resolve-mx';
export type { ReverseDnsResult, ReverseDnsStatus, VerifyReverseDnsOptions } from './core/reverse-dns';
export { verifyReverseDns } from './core/reverse-dns';
export type { StaticResolverOptions } from './core/static-resolver';
export { createStaticResolver } from './core/static-resolver';
export type { Zone, ZoneFault, ZoneNode, ZoneRecordType, ZoneTxt } from './core/zone';
export { zoneFault } from './core/zone';
export type { NodeResolverOptions } from './node/node-resolver';
export { createNodeResolver } from './node/node-resolver';
export type {
  AddressRecord,
  DnsOutcome,
  LookupOptions,
  MxRecord,
  NameRecord,
  Resolver,
  TemporaryFailureReason,
  TxtRecord,
} from './resolver';
