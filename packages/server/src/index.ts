/**
 * @packageDocumentation SMTP/LMTP server: a sans-I/O `ServerSession` (a state table; bytes in,
 * replies and backend calls out) and a Node listener (`createServer`) with STARTTLS and
 * implicit TLS, AUTH, PIPELINING, CHUNKING/BDAT, SIZE enforced while streaming, smuggling-proof
 * DATA, limits, PROXY protocol, XCLIENT and graceful shutdown. Policy helpers (greylisting,
 * rate limiting) are in `@smtpkit/server/policy`.
 */
export type {
  ServerExtensions,
  ServerLimits,
  ServerSessionOptions,
} from './core/options';
export {
  decodeProxyHeader,
  type ProxyDecodeResult,
  type ProxyHeader,
  type ProxySslInfo,
  type ProxyTlv,
  type ProxyTlvs,
} from './core/proxy-protocol';
export {
  AUTH_MECHANISMS,
  type AuthMechanism,
  type AuthRequest,
  type ChannelBinding,
  deriveScramCredentials,
  type ScramCredentials,
} from './core/sasl';
export { type BackendCall, type ServerAction, ServerSession, type XclientAttributes } from './core/session';
export type { ServerState } from './core/state';
export type {
  Backend,
  BackendSession,
  ConnectionInfo,
  LmtpOutcomes,
  SessionContext,
  TlsInfo,
} from './node/backend';
export type { ServerMetrics } from './node/metrics';
export type { LogLevel, ServerLogger } from './node/runtime';
export {
  type CloseOptions,
  type CreateServerOptions,
  createServer,
  type ListenOptions,
  type ServerAuthOptions,
  type ServerEvents,
  type ServerTlsOptions,
  type SmtpServer,
} from './node/server';
