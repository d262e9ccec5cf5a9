/**
 * The error family every smtpkit package shares. Protocol failures are `SmtpError`s with a
 * string `code`; a reply the peer sent that ended an operation is an `SmtpReplyError`; a
 * command line a server cannot parse is an `SmtpSyntaxError` carrying the reply to send.
 * Caller bugs are `TypeError`/`RangeError`, never these.
 *
 * The guards check a brand registered with `Symbol.for`, so they work when two copies of
 * `@smtpkit/wire` end up in one process (duplicate installs), where `instanceof` fails.
 */
import type { EnhancedStatusCode, Reply } from './reply';

const SMTP_ERROR = Symbol.for('@smtpkit/wire.SmtpError');
const SMTP_REPLY_ERROR = Symbol.for('@smtpkit/wire.SmtpReplyError');
const SMTP_SYNTAX_ERROR = Symbol.for('@smtpkit/wire.SmtpSyntaxError');

/**
 * The `code` values smtpkit uses. Other packages may add their own `ERR_SMTP_*` strings,
 * so `SmtpError.code` is typed as `string` and this union lists the well-known ones.
 */
export type SmtpErrorCode =
  /** The peer broke the protocol (malformed reply, reply line too long, ...). */
  | 'ERR_SMTP_PROTOCOL'
  /** The peer replied with a non-success code: see {@link SmtpReplyError}. */
  | 'ERR_SMTP_REPLY'
  /** A command line does not parse: see {@link SmtpSyntaxError}. */
  | 'ERR_SMTP_SYNTAX'
  /** A command or text line is longer than the configured limit (RFC 5321 §4.5.3.1). */
  | 'ERR_SMTP_LINE_TOO_LONG'
  /** Outgoing message data has a bare CR or LF and the encoder was told to refuse it. */
  | 'ERR_SMTP_BARE_LINE_ENDING'
  /** An operation timed out (used by the Node layers). */
  | 'ERR_SMTP_TIMEOUT'
  /** TLS negotiation failed or was required and unavailable (used by the Node layers). */
  | 'ERR_SMTP_TLS'
  /** The connection closed or failed (used by the Node layers). */
  | 'ERR_SMTP_CONNECTION';

/** Options common to every {@link SmtpError}. */
export interface SmtpErrorOptions {
  /** The underlying error, if any. */
  readonly cause?: unknown;
}

/**
 * Base class of every smtpkit error. Subclasses narrow `name` to their own literal.
 *
 * @example
 * ```ts
 * try { decoder.next(); } catch (error) {
 *   if (isSmtpError(error) && error.code === 'ERR_SMTP_PROTOCOL') closeConnection();
 * }
 * ```
 */
export class SmtpError extends Error {
  /** Always `'SmtpError'` for the base class; subclasses set their own literal. */
  override readonly name: string = 'SmtpError';
  /** A stable machine-readable code, e.g. `'ERR_SMTP_PROTOCOL'` (see {@link SmtpErrorCode}). */
  readonly code: SmtpErrorCode | (string & {});

  /**
   * @param message - Human-readable description.
   * @param code - The machine-readable code; defaults to `'ERR_SMTP_PROTOCOL'`.
   * @param options - `cause`.
   */
  constructor(
    message: string,
    code: SmtpErrorCode | (string & {}) = 'ERR_SMTP_PROTOCOL',
    options?: SmtpErrorOptions,
  ) {
    super(message, options?.cause === undefined ? undefined : { cause: options.cause });
    this.code = code;
    Object.defineProperty(this, SMTP_ERROR, { value: true });
  }
}

/** Options for {@link SmtpReplyError}. */
export interface SmtpReplyErrorOptions extends SmtpErrorOptions {
  /**
   * The command verb that drew the reply (`'MAIL'`, `'RCPT'`, `'DATA'`, `'AUTH'`, ...), or
   * omitted for the greeting. Only the verb: arguments (addresses, AUTH secrets) never go
   * into an error.
   */
  readonly verb?: string;
}

/**
 * A reply that ended an operation: a client receives it from a server, and a server hook throws
 * it to send that reply (e.g. `550 5.1.1 No such user`).
 *
 * @example
 * ```ts
 * throw new SmtpReplyError({ code: 550, enhanced: '5.1.1', lines: ['No such user'] });
 * ```
 */
export class SmtpReplyError extends SmtpError {
  override readonly name = 'SmtpReplyError' as const;
  override readonly code = 'ERR_SMTP_REPLY' as const;
  /** The whole reply. */
  readonly reply: Reply;
  /** The three-digit reply code, e.g. `550` (RFC 5321 §4.2). */
  readonly replyCode: number;
  /** The enhanced status code (RFC 3463), when the reply carried one. */
  readonly enhanced: EnhancedStatusCode | undefined;
  /** The reply's text lines, without code and enhanced code. */
  readonly lines: readonly string[];
  /** The verb of the command that drew the reply; `undefined` for the greeting. */
  readonly verb: string | undefined;
  /** `true` for 4yz replies: try again later (RFC 5321 §4.2.1). */
  readonly transient: boolean;
  /** `true` for 5yz replies: do not repeat the same request (RFC 5321 §4.2.1). */
  readonly permanent: boolean;

  /**
   * @param reply - The reply; `code` must be a three-digit reply code.
   * @param options - `verb` that drew it and `cause`.
   */
  constructor(reply: Reply, options?: SmtpReplyErrorOptions) {
    if (!Number.isInteger(reply.code) || reply.code < 200 || reply.code > 599) {
      throw new RangeError(`SmtpReplyError: reply code must be 200..599, got ${String(reply.code)}`);
    }
    const text = reply.lines.join(' ');
    const prefix = options?.verb === undefined ? '' : `${options.verb}: `;
    super(
      `${prefix}${reply.code}${reply.enhanced ? ` ${reply.enhanced}` : ''} ${text}`.trimEnd(),
      'ERR_SMTP_REPLY',
      options,
    );
    this.reply = reply;
    this.replyCode = reply.code;
    this.enhanced = reply.enhanced;
    this.lines = reply.lines;
    this.verb = options?.verb;
    this.transient = reply.code >= 400 && reply.code < 500;
    this.permanent = reply.code >= 500;
    Object.defineProperty(this, SMTP_REPLY_ERROR, { value: true });
  }
}

/**
 * A command line that does not parse, or is too long. `reply` is what a server should send
 * back (500/501/504/555 with an enhanced code); the session can carry on after sending it.
 * @example
 * ```ts
 * try {
 *   parseCommand('MAIL FROM:<no-closing-bracket');
 * } catch (error) {
 *   if (isSmtpSyntaxError(error)) socket.write(formatReply(error.reply)); // 501 5.1.7, then carry on
 * }
 * ```
 */
export class SmtpSyntaxError extends SmtpError {
  override readonly name = 'SmtpSyntaxError' as const;
  override readonly code: 'ERR_SMTP_SYNTAX' | 'ERR_SMTP_LINE_TOO_LONG';
  /** The reply a server should send for this error. */
  readonly reply: Reply;

  /**
   * @param reply - The reply a server should send.
   * @param options - `code` (defaults to `'ERR_SMTP_SYNTAX'`) and `cause`.
   */
  constructor(
    reply: Reply,
    options?: SmtpErrorOptions & { readonly code?: 'ERR_SMTP_SYNTAX' | 'ERR_SMTP_LINE_TOO_LONG' },
  ) {
    const code = options?.code ?? 'ERR_SMTP_SYNTAX';
    super(
      `${reply.code}${reply.enhanced ? ` ${reply.enhanced}` : ''} ${reply.lines.join(' ')}`.trimEnd(),
      code,
      options,
    );
    this.code = code;
    this.reply = reply;
    Object.defineProperty(this, SMTP_SYNTAX_ERROR, { value: true });
  }
}

function hasBrand(value: unknown, brand: symbol): boolean {
  return (
    (typeof value === 'object' || typeof value === 'function') &&
    value !== null &&
    Reflect.get(value, brand) === true
  );
}

/**
 * `true` if `value` is an {@link SmtpError} from any copy of `@smtpkit/wire`.
 * @example
 * ```ts
 * try {
 *   parseReply('not a reply');
 * } catch (error) {
 *   if (isSmtpError(error)) console.log(error.code); // e.g. 'ERR_SMTP_PROTOCOL'
 * }
 * ```
 */
export function isSmtpError(value: unknown): value is SmtpError {
  return hasBrand(value, SMTP_ERROR);
}

/**
 * `true` if `value` is an {@link SmtpReplyError} from any copy of `@smtpkit/wire`.
 * @example
 * ```ts
 * const error: unknown = new SmtpReplyError({ code: 452, enhanced: '4.2.2', lines: ['Mailbox full'] });
 * if (isSmtpReplyError(error) && error.transient) retryLater(); // 4yz: try again later
 * ```
 */
export function isSmtpReplyError(value: unknown): value is SmtpReplyError {
  return hasBrand(value, SMTP_REPLY_ERROR);
}

/**
 * `true` if `value` is an {@link SmtpSyntaxError} from any copy of `@smtpkit/wire`.
 * @example
 * ```ts
 * try {
 *   parseCommand('FROB');
 * } catch (error) {
 *   if (isSmtpSyntaxError(error)) console.log(error.reply.code); // 500
 * }
 * ```
 */
export function isSmtpSyntaxError(value: unknown): value is SmtpSyntaxError {
  return hasBrand(value, SMTP_SYNTAX_ERROR);
}
