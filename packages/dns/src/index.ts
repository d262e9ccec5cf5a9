/**
 * @packageDocumentation
 * DNS resolver interface with typed NXDOMAIN/NODATA/temporary outcomes, a TTL cache, and
 * RFC 5321 MX resolution.
 */
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
