/**
 * @packageDocumentation
 * ESMTP client: a sans-I/O {@link ClientSession} and a Node layer ({@link connect},
 * {@link sendMail}, {@link createPool}) with STARTTLS, AUTH, pipelining, CHUNKING,
 * per-recipient results, per-stage timeouts and AbortSignal everywhere.
 */
export {
  ClientSession,
  type ClientSessionOptions,
  type ReplyVerb,
  type SessionEvent,
} from './core/client-session';
export {
  type BodyFacts,
  type BodyType,
  type DsnEnvelopeOptions,
  type Envelope,
  type EnvelopeOptions,
  type PlannedRecipient,
  planTransaction,
  type RecipientSpec,
  type TransactionPlan,
} from './core/envelope';
export {
  isSmtpClientError,
  SmtpClientError,
  type SmtpClientErrorCode,
  type SmtpClientErrorOptions,
} from './core/errors';
export { DEFAULT_TIMEOUTS, type ReplyStage, type SmtpPhase, type SmtpTimeouts } from './core/phases';
export type { RecipientResult, RecipientStatus, SendResult, SendTimings, TlsInfo } from './core/results';
export {
  type ChannelBinding,
  type Credentials,
  createCramMd5Client,
  createLoginClient,
  createPlainClient,
  createScramSha256Client,
  createScramSha256PlusClient,
  createXoauth2Client,
  type OAuth2Credentials,
  type PasswordCredentials,
  SASL_PREFERENCE,
  type SaslClient,
  type SaslMechanism,
  type ScramOptions,
  type ScramPlusOptions,
  type TokenProvider,
  type TokenRequest,
} from './core/sasl/index';
export { type ClientState, type ClientVerb, COMMAND_TABLE } from './core/states';
export {
  type AuthCallOptions,
  type BdatOptions,
  type CallOptions,
  connect,
  type SendMailOptions,
  type SmtpClient,
  sendMail,
} from './node/client';
export type { ClientEvent, Logger } from './node/events';
export { type ConnectOptions, isValidEhloName, type SecurityMode, type TlsOptions } from './node/options';
export { createPool, type PoolOptions, type SmtpPool } from './node/pool';
export type { MessageBody, SendOptions } from './node/transaction';
