/**
 * SMTP commands (RFC 5321 §4.1.1) plus STARTTLS (RFC 3207), AUTH (RFC 4954), BDAT
 * (RFC 3030) and LHLO (RFC 2033), as a discriminated union keyed on `verb`.
 */
import type { Path } from './path';

/** A DSN `NOTIFY` condition (RFC 3461 §4.1). `NEVER` stands alone. */
export type DsnNotify = 'NEVER' | 'SUCCESS' | 'FAILURE' | 'DELAY';

/** An ESMTP parameter the parser has no type for, kept as written (keyword upper-cased). */
export interface EsmtpParameter {
  /** Upper-cased keyword (keywords are case-insensitive, RFC 5321 §4.1.2 esmtp-keyword). */
  readonly keyword: string;
  /** The value after "=", exactly as sent; absent for a bare keyword. */
  readonly value?: string;
}

/** Typed `MAIL FROM` parameters. Each is present only if the command had it. */
export interface MailParameters {
  /** `SIZE=n` declared message size in octets (RFC 1870). */
  readonly size?: number;
  /** `BODY=` (RFC 6152 8BITMIME, RFC 3030 BINARYMIME). */
  readonly body?: '7BIT' | '8BITMIME' | 'BINARYMIME';
  /** `SMTPUTF8` (RFC 6531 §3.4). */
  readonly smtpUtf8?: true;
  /** `RET=FULL|HDRS` (RFC 3461 §4.3). */
  readonly ret?: 'FULL' | 'HDRS';
  /** `ENVID=`, xtext-decoded (RFC 3461 §4.4). */
  readonly envid?: string;
  /**
   * `AUTH=` (RFC 4954 §5), xtext-decoded: the authenticated submitter's mailbox, or `'<>'`
   * when unknown.
   */
  readonly auth?: string;
  /** `REQUIRETLS` (RFC 8689 §4.1). */
  readonly requireTls?: true;
  /** Every other parameter, in order. */
  readonly extensions?: readonly EsmtpParameter[];
}

/** `ORCPT` original recipient (RFC 3461 §4.2): `addr-type;xtext`. */
export interface OriginalRecipient {
  /** The address type, e.g. `rfc822` or `utf-8` (RFC 6533); case as sent. */
  readonly addrType: string;
  /** The address, xtext-decoded. */
  readonly address: string;
}

/** Typed `RCPT TO` parameters. Each is present only if the command had it. */
export interface RcptParameters {
  /** `NOTIFY=` (RFC 3461 §4.1): `['NEVER']` or some of SUCCESS/FAILURE/DELAY. */
  readonly notify?: readonly DsnNotify[];
  /** `ORCPT=` (RFC 3461 §4.2). */
  readonly orcpt?: OriginalRecipient;
  /** Every other parameter, in order. */
  readonly extensions?: readonly EsmtpParameter[];
}

/** `EHLO`/`HELO` (RFC 5321 §4.1.1.1) or LMTP `LHLO` (RFC 2033 §4.1). */
export interface HelloCommand {
  readonly verb: 'EHLO' | 'HELO' | 'LHLO';
  /** The client's domain or address literal, as sent. */
  readonly domain: string;
}

/** `MAIL FROM:<reverse-path> [params]` (RFC 5321 §4.1.1.2). */
export interface MailCommand {
  readonly verb: 'MAIL';
  /** The reverse-path; the null path for bounces. Never `postmaster`. */
  readonly reversePath: Path;
  readonly params: MailParameters;
}

/** `RCPT TO:<forward-path> [params]` (RFC 5321 §4.1.1.3). */
export interface RcptCommand {
  readonly verb: 'RCPT';
  /** The forward-path; a mailbox or `<Postmaster>`, never null. */
  readonly forwardPath: Path;
  readonly params: RcptParameters;
}

/** `BDAT size [LAST]` (RFC 3030 §2). `size` octets of data follow the command line. */
export interface BdatCommand {
  readonly verb: 'BDAT';
  readonly size: number;
  readonly last: boolean;
}

/** `AUTH mechanism [initial-response]` (RFC 4954 §4). */
export interface AuthCommand {
  readonly verb: 'AUTH';
  /** Upper-cased SASL mechanism name, e.g. `PLAIN`. */
  readonly mechanism: string;
  /**
   * The initial response as sent: base64 text, or `'='` for an empty response (RFC 4954 §4).
   * Absent when the client sent none.
   */
  readonly initialResponse?: string;
}

/** `VRFY string` / `EXPN string` (RFC 5321 §4.1.1.6, §4.1.1.7). */
export interface VrfyExpnCommand {
  readonly verb: 'VRFY' | 'EXPN';
  readonly argument: string;
}

/** `HELP [string]` / `NOOP [string]` (RFC 5321 §4.1.1.8, §4.1.1.9). */
export interface HelpNoopCommand {
  readonly verb: 'HELP' | 'NOOP';
  readonly argument?: string;
}

/** Commands without arguments: DATA, RSET, QUIT, STARTTLS. */
export interface SimpleCommand {
  readonly verb: 'DATA' | 'RSET' | 'QUIT' | 'STARTTLS';
}

/** Any command smtpkit knows, keyed on `verb`. */
export type Command =
  | HelloCommand
  | MailCommand
  | RcptCommand
  | BdatCommand
  | AuthCommand
  | VrfyExpnCommand
  | HelpNoopCommand
  | SimpleCommand;

/** The verbs of {@link Command}. */
export type Verb = Command['verb'];

/** RFC 5321 §4.5.3.1.4: a command line is at most 512 octets including CRLF. */
export const MAX_COMMAND_LINE_LENGTH = 512;

/**
 * Parse one command line (with or without its trailing CRLF). Verbs and parameter keywords
 * are case-insensitive.
 *
 * @throws SmtpSyntaxError carrying the reply a server should send: 500 5.5.1/5.5.2 for an
 * unknown or malformed command, 501 5.5.4 / 5.1.3 / 5.1.7 for bad arguments, 555 5.5.4 for
 * malformed MAIL/RCPT parameters.
 *
 * @example
 * ```ts
 * const cmd = parseCommand('MAIL FROM:<a@example.org> SIZE=1000 BODY=8BITMIME');
 * if (cmd.verb === 'MAIL') cmd.params.size; // 1000
 * ```
 */
export function parseCommand(line: string | Uint8Array): Command {
  throw new Error(`parseCommand: not implemented yet (${line.length})`);
}

/**
 * Format a command as one line with its CRLF.
 *
 * @throws TypeError if any field would put a CR, LF or NUL (or another character the grammar
 * forbids) onto the wire — command injection through an address or parameter is impossible.
 * @throws RangeError if the line would exceed the 512-octet limit... only for fields with
 * no legitimate long form (BDAT size out of range).
 *
 * @example
 * ```ts
 * formatCommand({ verb: 'RCPT', forwardPath: parsePath('<b@example.org>'), params: {} });
 * // bytes of "RCPT TO:<b@example.org>\r\n"
 * ```
 */
export function formatCommand(command: Command): Uint8Array {
  throw new Error(`formatCommand: not implemented yet (${command.verb})`);
}
