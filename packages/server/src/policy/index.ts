/**
 * @packageDocumentation Policy helpers for an `@smtpkit/server` backend: greylisting with a
 * memory or JSON-lines file store, per-client connection/message rate limiting like
 * Postfix's anvil, and a client-reputation check (FCrDNS and DNSBL zones with per-zone actions,
 * RFC 7372 replies). Plain functions a backend calls; nothing here touches the protocol.
 */

export {
  type ClientReputation,
  type ClientReputationAction,
  type ClientReputationInput,
  type ClientReputationOptions,
  type ClientReputationVerdict,
  createClientReputation,
  type DnsblFinding,
  type DnsblZonePolicy,
  type ReverseDnsFinding,
} from './client-reputation';
export {
  createGreylist,
  type Greylist,
  type GreylistOptions,
  type GreylistResult,
  type GreylistTriplet,
} from './greylist';
export { type FileGreylistStoreOptions, openFileGreylistStore } from './greylist-file-store';
export {
  createMemoryGreylistStore,
  type GreylistRecord,
  type GreylistStore,
} from './greylist-store';
export { clientNetwork } from './network';
export {
  createRateLimiter,
  type RateDecision,
  type RateLimiter,
  type RateLimiterOptions,
} from './rate-limiter';
