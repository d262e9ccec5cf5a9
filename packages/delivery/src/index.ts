/**
 * @packageDocumentation
 * Outbound delivery worker: MX routing, TLS policy and MTA-STS, retries for days, DSN bounces;
 * plus sendDirect.
 */

export {
  type AttemptFailure,
  classifyFailure,
  classifyReply,
  expireVerdict,
  formatReplyText,
  type ReplyLike,
  type Verdict,
} from './core/classify';
export { formatRfc5322Date, parseRfc5322Date } from './core/date';
export {
  type AdmitResult,
  DestinationBackoff,
  type DestinationBackoffOptions,
} from './core/destination-backoff';
export { type AcquireResult, DomainLimiter, type DomainLimiterOptions } from './core/domain-limiter';
export { type FormatDsnOptions, formatDeliveryStatus, formatDsn } from './core/dsn/format-dsn';
export { DEFAULT_NOTIFY, mayNotify, notifyWants, parseNotify } from './core/dsn/notify';
export { type ParsedDsn, type ParsedDsnRecipient, parseDsn, type TypedText } from './core/dsn/parse-dsn';
export type { DsnAction, DsnNotify, DsnRecipient, DsnRet, TypedAddress } from './core/dsn/types';
export type { DeliveryEvent, DeliveryEventListener } from './core/events';
export type { HeaderField } from './core/mime';
export {
  MTA_STS_MAX_AGE_LIMIT,
  type MtaStsMode,
  type MtaStsParseResult,
  type MtaStsPolicy,
  matchMxPattern,
  mxAllowedByPolicy,
  parseMtaStsPolicy,
  parseMtaStsRecord,
} from './core/mta-sts/policy';
export { type NormalizedTlsPolicy, normalizeTlsPolicy, type TlsPolicy } from './core/tls-policy';
export { decodeXtext, encodeXtext } from './core/xtext';
export { type BounceInput, type BounceReport, type BounceSettings, buildBounce } from './node/bounce';
export {
  type ClientTransportOptions,
  type ClosableHostTransport,
  createClientTransport,
} from './node/client-transport';
export {
  createMtaStsResolver,
  type MtaStsFetch,
  type MtaStsFetchResponse,
  type MtaStsLookup,
  type MtaStsResolver,
  type MtaStsResolverOptions,
} from './node/mta-sts';
export {
  type DirectMessage,
  type DirectRecipientResult,
  type SendDirectOptions,
  sendDirect,
} from './node/send-direct';
export {
  classifyTransportError,
  type HostAttempt,
  type HostAttemptResult,
  type HostTlsOptions,
  type HostTransport,
  type TransportErrorClass,
  type TransportRecipient,
} from './node/transport';
export {
  createDeliveryWorker,
  type DeliveryWorker,
  type DeliveryWorkerOptions,
  type WorkerDsnOptions,
} from './node/worker';
