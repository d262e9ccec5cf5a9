/**
 * What EHLO/LHLO advertises (RFC 5321 §4.1.1.1), and the two offers that depend on the
 * connection: STARTTLS (RFC 3207) and the AUTH mechanisms (RFC 4954).
 */
import type { ResolvedExtensions, ResolvedLimits, ServerSessionOptions } from './options';
import type { AuthMechanism, ChannelBinding } from './sasl';
import { XCLIENT_CAPABILITY } from './xclient';

/** The session facts the offers depend on. @internal */
export interface OfferContext {
  readonly ext: ResolvedExtensions;
  readonly limits: ResolvedLimits;
  readonly options: ServerSessionOptions;
  readonly secure: boolean;
  readonly authenticatedAs: string | undefined;
  /** The TLS channel's binding data, when the connection has one (TLS 1.3). */
  readonly channelBinding: ChannelBinding | undefined;
}

/** Whether STARTTLS is offered: configured, possible, and not already on TLS. @internal */
export function startTlsOffered(ctx: OfferContext): boolean {
  return ctx.ext.startTls && !ctx.secure && (ctx.options.tlsAvailable ?? false);
}

/** The AUTH mechanisms offered now; empty when AUTH is not offered. @internal */
export function authMechanismsOffered(ctx: OfferContext): readonly AuthMechanism[] {
  if (!ctx.ext.auth || ctx.authenticatedAs !== undefined) return [];
  // RFC 4954 §4 and §14: no plaintext passwords over an unprotected connection by default.
  if (!ctx.secure && !ctx.options.allowInsecureAuth) return [];
  const mechanisms = ctx.options.authMechanisms ?? [];
  // RFC 5802 §6: -PLUS only where there is a channel to bind to.
  return ctx.channelBinding === undefined ? mechanisms.filter((m) => m !== 'SCRAM-SHA-256-PLUS') : mechanisms;
}

/** The EHLO keywords offered now (RFC 5321 §4.1.1.1), in a stable order. @internal */
export function capabilities(ctx: OfferContext): string[] {
  const ext = ctx.ext;
  const caps: string[] = [];
  if (ext.pipelining) caps.push('PIPELINING');
  if (ext.size) caps.push(`SIZE ${ctx.limits.maxMessageSize}`);
  if (ext.eightBitMime) caps.push('8BITMIME');
  if (ext.smtpUtf8) caps.push('SMTPUTF8');
  if (ext.enhancedStatusCodes) caps.push('ENHANCEDSTATUSCODES');
  if (startTlsOffered(ctx)) caps.push('STARTTLS');
  const mechanisms = authMechanismsOffered(ctx);
  if (mechanisms.length > 0) caps.push(`AUTH ${mechanisms.join(' ')}`);
  if (ext.chunking) caps.push('CHUNKING');
  if (ext.chunking && ext.binaryMime) caps.push('BINARYMIME');
  if (ext.dsn) caps.push('DSN');
  if (ext.requireTls && ctx.secure) caps.push('REQUIRETLS');
  if (ctx.options.xclient) caps.push(XCLIENT_CAPABILITY);
  return caps;
}
