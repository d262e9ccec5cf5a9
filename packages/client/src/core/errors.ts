/**
 * Client failures that are not a server reply: each names the {@link SmtpPhase} it happened in,
 * so "connection closed" says whether the message could already have been accepted.
 */
import { SmtpError } from '@smtpkit/wire';
import type { SmtpPhase } from './phases';

const SMTP_CLIENT_ERROR = Symbol.for('@smtpkit/client.SmtpClientError');

/**
 * The `code`s a {@link SmtpClientError} carries: the shared `ERR_SMTP_*` codes from
 * `@smtpkit/wire` plus the client's own.
 */
export type SmtpClientErrorCode =
  | 'ERR_SMTP_CONNECTION'
  | 'ERR_SMTP_TIMEOUT'
  | 'ERR_SMTP_TLS'
  | 'ERR_SMTP_PROTOCOL'
  /** The server lacks an extension the message or options need (SMTPUTF8, 8BITMIME, REQUIRETLS, STARTTLS, AUTH...). */
  | 'ERR_SMTP_UNSUPPORTED'
  /** The message is larger than the server's declared SIZE (RFC 1870). */
  | 'ERR_SMTP_SIZE'
  /**
   * Authentication could not be attempted (including SCRAM credentials that SASLprep, RFC 4013,
   * refuses) or the server failed to prove itself (SCRAM).
   */
  | 'ERR_SMTP_AUTH';

/** Options for {@link SmtpClientError}. */
export interface SmtpClientErrorOptions {
  /** The underlying error. */
  readonly cause?: unknown;
  /**
   * Whether the server may already have accepted the message (the final dot or `BDAT LAST`
   * was sent and no reply came back). A caller must not resend blindly when this is true.
   */
  readonly messageMayBeAccepted?: boolean;
}

/**
 * A client-side failure: connection lost, timeout, TLS failure, protocol violation, missing
 * extension. `phase` says where it happened; `transient` says whether retrying later may help.
 *
 * @example
 * ```ts
 * try { await client.sendMail(envelope, body); } catch (error) {
 *   if (isSmtpClientError(error) && error.code === 'ERR_SMTP_TIMEOUT') console.log(error.phase);
 * }
 * ```
 */
export class SmtpClientError extends SmtpError {
  override readonly name = 'SmtpClientError' as const;
  /** What failed: see {@link SmtpClientErrorCode}. */
  override readonly code: SmtpClientErrorCode;
  /** Where in the session it happened. */
  readonly phase: SmtpPhase;
  /** `true` for failures worth retrying later (connection, timeout), `false` for policy/config ones. */
  readonly transient: boolean;
  /** See {@link SmtpClientErrorOptions.messageMayBeAccepted}. */
  readonly messageMayBeAccepted: boolean;

  /**
   * @param message - Human-readable, without secrets.
   * @param code - See {@link SmtpClientErrorCode}.
   * @param phase - Where it happened.
   * @param options - `cause`, `messageMayBeAccepted`.
   */
  constructor(
    message: string,
    code: SmtpClientErrorCode,
    phase: SmtpPhase,
    options?: SmtpClientErrorOptions,
  ) {
    super(message, code, options?.cause === undefined ? undefined : { cause: options.cause });
    this.code = code;
    this.phase = phase;
    this.transient =
      code === 'ERR_SMTP_CONNECTION' || code === 'ERR_SMTP_TIMEOUT' || code === 'ERR_SMTP_PROTOCOL';
    this.messageMayBeAccepted = options?.messageMayBeAccepted ?? false;
    Object.defineProperty(this, SMTP_CLIENT_ERROR, { value: true });
  }
}

/**
 * `true` if `value` is a {@link SmtpClientError} from any copy of `@smtpkit/client`.
 * @example
 * ```ts
 * try {
 *   await sendMail({ host: 'smtp.example.com', port: 587, envelope, body });
 * } catch (error) {
 *   if (isSmtpClientError(error) && error.transient) retryLater(); // connection lost, timeout, …
 *   else throw error;
 * }
 * ```
 */
export function isSmtpClientError(value: unknown): value is SmtpClientError {
  return typeof value === 'object' && value !== null && Reflect.get(value, SMTP_CLIENT_ERROR) === true;
}
