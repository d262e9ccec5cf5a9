/**
 * SMTP commands (RFC 5321 §4.1.1) plus STARTTLS (RFC 3207), AUTH (RFC 4954), BDAT
 * (RFC 3030) and LHLO (RFC 2033), as a discriminated union keyed on `verb`.
 */
import { CR, hasLineBreakOrNul, isAscii, LF, utf8 } from './bytes';
import { SmtpSyntaxError } from './errors';
import { formatPath, type Path, parseCheckedPath, scanPathEnd } from './path';
import type { EnhancedStatusCode } from './reply';
import { decodeXtext, encodeXtext } from './xtext';

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
  /** The verb (commands are case-insensitive on the wire; always upper-case here). */
  readonly verb: 'EHLO' | 'HELO' | 'LHLO';
  /** The client's domain or address literal, as sent. */
  readonly domain: string;
}

/** `MAIL FROM:<reverse-path> [params]` (RFC 5321 §4.1.1.2). */
export interface MailCommand {
  /** The verb (commands are case-insensitive on the wire; always upper-case here). */
  readonly verb: 'MAIL';
  /** The reverse-path; the null path for bounces. Never `postmaster`. */
  readonly reversePath: Path;
  /** ESMTP parameters (RFC 5321 §4.1.1.2 Mail-parameters). */
  readonly params: MailParameters;
}

/** `RCPT TO:<forward-path> [params]` (RFC 5321 §4.1.1.3). */
export interface RcptCommand {
  /** The verb (commands are case-insensitive on the wire; always upper-case here). */
  readonly verb: 'RCPT';
  /** The forward-path; a mailbox or `<Postmaster>`, never null. */
  readonly forwardPath: Path;
  /** ESMTP parameters (RFC 5321 §4.1.1.3 Rcpt-parameters). */
  readonly params: RcptParameters;
}

/** `BDAT size [LAST]` (RFC 3030 §2). `size` octets of data follow the command line. */
export interface BdatCommand {
  /** The verb (commands are case-insensitive on the wire; always upper-case here). */
  readonly verb: 'BDAT';
  /** Octets of data that follow the command line. */
  readonly size: number;
  /** `true` for the last chunk of the message (`LAST`). */
  readonly last: boolean;
}

/** `AUTH mechanism [initial-response]` (RFC 4954 §4). */
export interface AuthCommand {
  /** The verb (commands are case-insensitive on the wire; always upper-case here). */
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
  /** The verb (commands are case-insensitive on the wire; always upper-case here). */
  readonly verb: 'VRFY' | 'EXPN';
  /** The user name or mailbox to verify, or the list to expand, as sent. */
  readonly argument: string;
}

/** `HELP [string]` / `NOOP [string]` (RFC 5321 §4.1.1.8, §4.1.1.9). */
export interface HelpNoopCommand {
  /** The verb (commands are case-insensitive on the wire; always upper-case here). */
  readonly verb: 'HELP' | 'NOOP';
  /** The optional argument, trimmed (ignored by NOOP, RFC 5321 §4.1.1.9). */
  readonly argument?: string;
}

/** Commands without arguments: DATA, RSET, QUIT, STARTTLS. */
export interface SimpleCommand {
  /** The verb (commands are case-insensitive on the wire; always upper-case here). */
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

const strictUtf8 = new TextDecoder('utf-8', { fatal: true });

function fail(code: number, enhanced: EnhancedStatusCode, text: string): SmtpSyntaxError {
  return new SmtpSyntaxError({ code, enhanced, lines: [text] });
}

const VERBS: ReadonlySet<string> = new Set<Verb>([
  'EHLO',
  'HELO',
  'LHLO',
  'MAIL',
  'RCPT',
  'DATA',
  'BDAT',
  'RSET',
  'VRFY',
  'EXPN',
  'HELP',
  'NOOP',
  'QUIT',
  'STARTTLS',
  'AUTH',
]);

const ASCII = 0;
const NON_ASCII = 1;
const LINE_BREAK_OR_NUL = 2;

/** What `bytes[0, end)` holds: ASCII only, non-ASCII octets, or a CR, LF or NUL (refused). */
function classifyLine(bytes: Uint8Array, end: number): number {
  let kind = ASCII;
  for (let i = 0; i < end; i++) {
    const b = bytes[i]!;
    if (b === 0x0d || b === 0x0a || b === 0) return LINE_BREAK_OR_NUL;
    if (b > 0x7f) kind = NON_ASCII;
  }
  return kind;
}

/** The char code at `i`, with ASCII a-z upper-cased (and nothing else: verbs are ASCII). */
function asciiUpperAt(text: string, i: number): number {
  const c = text.charCodeAt(i);
  return c >= 0x61 && c <= 0x7a ? c - 0x20 : c;
}

/** Four ASCII letters, upper-cased, as one number: the key of a four-letter verb. */
function verbKey(text: string): number {
  let key = 0;
  for (let i = 0; i < 4; i++) {
    const c = asciiUpperAt(text, i);
    // Verbs are ASCII (RFC 5321 §2.4): no case mapping may turn another character into one.
    if (c > 0x7a) return -1;
    key = key * 256 + c;
  }
  return key;
}

const VERB_BY_KEY: ReadonlyMap<number, Verb> = new Map(
  [...VERBS].filter((v) => v.length === 4).map((v) => [verbKey(v), v as Verb]),
);

/**
 * The verb `word` names, compared case-insensitively in ASCII only, as the interned literal
 * (later switches and lookups compare it by identity); `undefined` if it is no verb.
 */
function verbOf(word: string): Verb | undefined {
  if (word.length === 4) return VERB_BY_KEY.get(verbKey(word));
  if (word.length === 8 && startsWithIgnoringCase(word, 'STARTTLS')) return 'STARTTLS';
  return undefined;
}

/** Whether `text` starts with `upper` (upper-case ASCII), compared case-insensitively in ASCII. */
function startsWithIgnoringCase(text: string, upper: string): boolean {
  if (text.length < upper.length) return false;
  for (let i = 0; i < upper.length; i++) if (asciiUpperAt(text, i) !== upper.charCodeAt(i)) return false;
  return true;
}

// RFC 5321 §4.1.2: esmtp-keyword = (ALPHA / DIGIT) *(ALPHA / DIGIT / "-");
// esmtp-value = 1*(%d33-60 / %d62-126), widened to UTF-8 by RFC 6531 §3.3.
const ESMTP_KEYWORD = /^[A-Za-z0-9][A-Za-z0-9-]*$/;
const ESMTP_VALUE = /^[\x21-\x3c\x3e-\x7e\u0080-\u{10FFFF}]+$/u;
// RFC 4954 §4: auth-type = 1*20 (ALPHA / DIGIT / "-" / "_"); initial response is base64 or "=".
const SASL_MECHANISM = /^[A-Za-z0-9_-]{1,20}$/;
const BASE64 = /^(?:[A-Za-z0-9+/]{4})*(?:[A-Za-z0-9+/]{2}==|[A-Za-z0-9+/]{3}=)?$/;
// RFC 3461 §4.2: addr-type is an atom.
const ADDR_TYPE = /^[A-Za-z0-9!#$%&'*+\-/=?^_`{|}~]+$/;

function splitParameters(text: string): EsmtpParameter[] {
  const out: EsmtpParameter[] = [];
  for (const word of text.split(' ')) {
    if (word === '') continue;
    const eq = word.indexOf('=');
    const keyword = eq === -1 ? word : word.slice(0, eq);
    const value = eq === -1 ? undefined : word.slice(eq + 1);
    if (!ESMTP_KEYWORD.test(keyword) || (value !== undefined && !ESMTP_VALUE.test(value))) {
      throw fail(555, '5.5.4', 'Malformed MAIL FROM/RCPT TO parameters');
    }
    out.push(
      value === undefined ? { keyword: keyword.toUpperCase() } : { keyword: keyword.toUpperCase(), value },
    );
  }
  return out;
}

function badValue(keyword: string): SmtpSyntaxError {
  return fail(501, '5.5.4', `Invalid ${keyword} parameter`);
}

/** Whether a parameter string holds no parameters (the common MAIL and RCPT). */
function noParameters(text: string): boolean {
  for (let i = 0; i < text.length; i++) if (text.charCodeAt(i) !== 0x20) return false;
  return true;
}

function parseMailParameters(text: string): MailParameters {
  if (noParameters(text)) return {};
  const params: { -readonly [K in keyof MailParameters]: MailParameters[K] } = {};
  const extensions: EsmtpParameter[] = [];
  const seen = new Set<string>();
  for (const { keyword, value } of splitParameters(text)) {
    if (seen.has(keyword)) throw fail(501, '5.5.4', `Duplicate ${keyword} parameter`);
    seen.add(keyword);
    switch (keyword) {
      case 'SIZE':
        // RFC 1870 §6: size-value = 1*20DIGIT; beyond 2^53 cannot be a real size.
        if (value === undefined || !/^\d{1,20}$/.test(value) || !Number.isSafeInteger(Number(value))) {
          throw badValue(keyword);
        }
        params.size = Number(value);
        break;
      case 'BODY': {
        const body = value?.toUpperCase();
        if (body !== '7BIT' && body !== '8BITMIME' && body !== 'BINARYMIME') throw badValue(keyword);
        params.body = body;
        break;
      }
      case 'SMTPUTF8':
        if (value !== undefined) throw badValue(keyword);
        params.smtpUtf8 = true;
        break;
      case 'REQUIRETLS':
        if (value !== undefined) throw badValue(keyword);
        params.requireTls = true;
        break;
      case 'RET': {
        const ret = value?.toUpperCase();
        if (ret !== 'FULL' && ret !== 'HDRS') throw badValue(keyword);
        params.ret = ret;
        break;
      }
      case 'ENVID':
        // RFC 3461 §4.4: at most 100 characters (of xtext).
        if (value === undefined || value.length > 100) throw badValue(keyword);
        params.envid = decodeXtext(value);
        break;
      case 'AUTH':
        if (value === undefined) throw badValue(keyword);
        params.auth = decodeXtext(value);
        break;
      default:
        extensions.push(value === undefined ? { keyword } : { keyword, value });
    }
  }
  if (extensions.length > 0) params.extensions = extensions;
  return params;
}

function parseRcptParameters(text: string): RcptParameters {
  if (noParameters(text)) return {};
  const params: { -readonly [K in keyof RcptParameters]: RcptParameters[K] } = {};
  const extensions: EsmtpParameter[] = [];
  const seen = new Set<string>();
  for (const { keyword, value } of splitParameters(text)) {
    if (seen.has(keyword)) throw fail(501, '5.5.4', `Duplicate ${keyword} parameter`);
    seen.add(keyword);
    switch (keyword) {
      case 'NOTIFY': {
        if (value === undefined) throw badValue(keyword);
        const notify = value.toUpperCase().split(',');
        const valid = notify.every(
          (n) => n === 'NEVER' || n === 'SUCCESS' || n === 'FAILURE' || n === 'DELAY',
        );
        // RFC 3461 §4.1: NEVER alone, or a list of the others without repeats.
        if (
          !valid ||
          new Set(notify).size !== notify.length ||
          (notify.includes('NEVER') && notify.length > 1)
        ) {
          throw badValue(keyword);
        }
        params.notify = notify as DsnNotify[];
        break;
      }
      case 'ORCPT': {
        const semi = value?.indexOf(';') ?? -1;
        if (value === undefined || semi <= 0 || !ADDR_TYPE.test(value.slice(0, semi)))
          throw badValue(keyword);
        params.orcpt = { addrType: value.slice(0, semi), address: decodeXtext(value.slice(semi + 1)) };
        break;
      }
      default:
        extensions.push(value === undefined ? { keyword } : { keyword, value });
    }
  }
  if (extensions.length > 0) params.extensions = extensions;
  return params;
}

/** "FROM:" / "TO:" then optional spaces (tolerated, as most servers do), a path, parameters. */
function parsePathArgument(
  rest: string,
  prefix: 'FROM:' | 'TO:',
  enhanced: EnhancedStatusCode,
  ascii: boolean,
) {
  if (!startsWithIgnoringCase(rest, prefix)) {
    throw fail(501, '5.5.4', `Syntax: ${prefix === 'FROM:' ? 'MAIL FROM:<address>' : 'RCPT TO:<address>'}`);
  }
  let at = prefix.length;
  while (rest.charAt(at) === ' ') at++;
  const end = scanPathEnd(rest, at);
  if (end === -1) throw fail(501, enhanced, 'Bad address syntax');
  if (end < rest.length && rest.charAt(end) !== ' ') throw fail(501, enhanced, 'Bad address syntax');
  let path: Path;
  try {
    // The line was checked whole for CR, LF and NUL.
    path = parseCheckedPath(rest.slice(at, end), ascii);
  } catch (error) {
    if (error instanceof SmtpSyntaxError)
      throw fail(501, enhanced, error.reply.lines[0] ?? 'Bad address syntax');
    throw error;
  }
  return { path, params: rest.slice(end) };
}

function noArguments(verb: SimpleCommand['verb'], rest: string): SimpleCommand {
  if (rest.trim() !== '') throw fail(501, '5.5.4', `${verb} takes no arguments`);
  return { verb };
}

/**
 * Parse one command line (with or without its trailing CRLF). Verbs and parameter keywords
 * are case-insensitive.
 *
 * @throws SmtpSyntaxError carrying the reply a server should send: 500 5.5.1 for an unknown
 * command, 500 5.5.2 for a malformed line, 501 5.5.4 / 5.1.3 / 5.1.7 for bad arguments,
 * 555 5.5.4 for malformed MAIL/RCPT parameters.
 *
 * @example
 * ```ts
 * const cmd = parseCommand('MAIL FROM:<a@example.org> SIZE=1000 BODY=8BITMIME');
 * if (cmd.verb === 'MAIL') cmd.params.size; // 1000
 * ```
 */
export function parseCommand(line: string | Uint8Array): Command {
  let text: string;
  let asciiLine = false;
  if (typeof line === 'string') {
    text = line;
    if (text.endsWith('\n')) text = text.slice(0, text.endsWith('\r\n') ? -2 : -1);
  } else {
    let end = line.length;
    if (end > 0 && line[end - 1] === LF) end -= end > 1 && line[end - 2] === CR ? 2 : 1;
    const octets = classifyLine(line, end);
    if (octets === LINE_BREAK_OR_NUL) throw fail(500, '5.5.2', 'Syntax error: CR, LF or NUL in command');
    // Known ASCII, the line needs no more Unicode checks below (most lines are).
    asciiLine = octets === ASCII;
    try {
      text = strictUtf8.decode(end === line.length ? line : line.subarray(0, end));
    } catch {
      throw fail(500, '5.5.2', 'Command is not valid UTF-8');
    }
  }
  if (!asciiLine && hasLineBreakOrNul(text)) {
    throw fail(500, '5.5.2', 'Syntax error: CR, LF or NUL in command');
  }
  const space = text.indexOf(' ');
  const word = verbOf(space === -1 ? text : text.slice(0, space));
  const rest = space === -1 ? '' : text.slice(space + 1);
  if (word === undefined) throw fail(500, '5.5.1', 'Command unrecognized');
  const ascii = asciiLine || isAscii(rest);
  switch (word) {
    case 'EHLO':
    case 'HELO':
    case 'LHLO': {
      const domain = rest.trim();
      if (domain === '' || /[\s\x00-\x1f\x7f]/.test(domain))
        throw fail(501, '5.5.4', `Syntax: ${word} hostname`);
      return { verb: word, domain };
    }
    case 'MAIL': {
      const { path, params } = parsePathArgument(rest, 'FROM:', '5.1.7', ascii);
      if (path.kind === 'postmaster') throw fail(501, '5.1.7', 'Bad sender address syntax');
      return { verb: 'MAIL', reversePath: path, params: parseMailParameters(params) };
    }
    case 'RCPT': {
      const { path, params } = parsePathArgument(rest, 'TO:', '5.1.3', ascii);
      if (path.kind === 'null') throw fail(501, '5.1.3', 'Null recipient not allowed');
      return { verb: 'RCPT', forwardPath: path, params: parseRcptParameters(params) };
    }
    case 'BDAT': {
      // RFC 3030 §2: "BDAT" SP chunk-size [ SP end-marker ], end-marker = "LAST".
      const match = /^(\d{1,15})(?: ([Ll][Aa][Ss][Tt]))? *$/.exec(rest);
      if (!match) throw fail(501, '5.5.4', 'Syntax: BDAT size [LAST]');
      return { verb: 'BDAT', size: Number(match[1]), last: match[2] !== undefined };
    }
    case 'AUTH': {
      const words = rest.trim().split(/ +/);
      const [mechanism, initialResponse, extra] = words;
      if (mechanism === undefined || !SASL_MECHANISM.test(mechanism) || extra !== undefined) {
        throw fail(501, '5.5.4', 'Syntax: AUTH mechanism [initial-response]');
      }
      if (initialResponse === undefined) return { verb: 'AUTH', mechanism: mechanism.toUpperCase() };
      if (initialResponse !== '=' && !BASE64.test(initialResponse)) {
        throw fail(501, '5.5.2', 'Invalid base64 in initial response');
      }
      return { verb: 'AUTH', mechanism: mechanism.toUpperCase(), initialResponse };
    }
    case 'VRFY':
    case 'EXPN': {
      const argument = rest.trim();
      if (argument === '') throw fail(501, '5.5.4', `Syntax: ${word} string`);
      return { verb: word, argument };
    }
    case 'HELP':
    case 'NOOP': {
      const argument = rest.trim();
      return argument === '' ? { verb: word } : { verb: word, argument };
    }
    default:
      return noArguments(word, rest);
  }
}

function checkText(text: string, what: string): string {
  if (hasLineBreakOrNul(text)) throw new TypeError(`${what} must not contain CR, LF or NUL`);
  if (/[\x00-\x1f\x7f]/.test(text)) throw new TypeError(`${what} must not contain control characters`);
  return text;
}

function formatParameter(keyword: string, value: string | undefined): string {
  if (!ESMTP_KEYWORD.test(keyword)) throw new TypeError(`Not an ESMTP keyword: ${JSON.stringify(keyword)}`);
  if (value === undefined) return ` ${keyword}`;
  if (!ESMTP_VALUE.test(value)) throw new TypeError(`Not an ESMTP parameter value: ${JSON.stringify(value)}`);
  return ` ${keyword}=${value}`;
}

function formatExtensions(extensions: readonly EsmtpParameter[] | undefined): string {
  return (extensions ?? []).map((p) => formatParameter(p.keyword, p.value)).join('');
}

function formatMailParameters(params: MailParameters): string {
  let out = '';
  if (params.size !== undefined) {
    if (!Number.isSafeInteger(params.size) || params.size < 0)
      throw new RangeError('SIZE must be a non-negative integer');
    out += ` SIZE=${params.size}`;
  }
  if (params.body !== undefined) out += formatParameter('BODY', params.body);
  if (params.smtpUtf8) out += ' SMTPUTF8';
  if (params.ret !== undefined) out += formatParameter('RET', params.ret);
  if (params.envid !== undefined) out += formatParameter('ENVID', encodeXtext(params.envid));
  if (params.auth !== undefined) out += formatParameter('AUTH', encodeXtext(params.auth));
  if (params.requireTls) out += ' REQUIRETLS';
  return out + formatExtensions(params.extensions);
}

function formatRcptParameters(params: RcptParameters): string {
  let out = '';
  if (params.notify !== undefined) out += formatParameter('NOTIFY', params.notify.join(','));
  if (params.orcpt !== undefined) {
    if (!ADDR_TYPE.test(params.orcpt.addrType)) throw new TypeError('ORCPT addr-type must be an atom');
    out += formatParameter('ORCPT', `${params.orcpt.addrType};${encodeXtext(params.orcpt.address)}`);
  }
  return out + formatExtensions(params.extensions);
}

function formatLine(command: Command): string {
  switch (command.verb) {
    case 'EHLO':
    case 'HELO':
    case 'LHLO':
      if (command.domain === '' || /\s/.test(checkText(command.domain, 'Domain'))) {
        throw new TypeError('Domain must be one non-empty word');
      }
      return `${command.verb} ${command.domain}`;
    case 'MAIL':
      if (command.reversePath.kind === 'postmaster') throw new TypeError('MAIL FROM cannot be <Postmaster>');
      return `MAIL FROM:${formatPath(command.reversePath)}${formatMailParameters(command.params)}`;
    case 'RCPT':
      if (command.forwardPath.kind === 'null') throw new TypeError('RCPT TO cannot be the null path');
      return `RCPT TO:${formatPath(command.forwardPath)}${formatRcptParameters(command.params)}`;
    case 'BDAT':
      if (!Number.isSafeInteger(command.size) || command.size < 0) {
        throw new RangeError('BDAT size must be a non-negative integer');
      }
      return `BDAT ${command.size}${command.last ? ' LAST' : ''}`;
    case 'AUTH':
      if (!SASL_MECHANISM.test(command.mechanism)) throw new TypeError('Not a SASL mechanism name');
      if (command.initialResponse === undefined) return `AUTH ${command.mechanism}`;
      if (command.initialResponse !== '=' && !BASE64.test(command.initialResponse)) {
        throw new TypeError('The initial response must be base64 or "="');
      }
      return `AUTH ${command.mechanism} ${command.initialResponse}`;
    case 'VRFY':
    case 'EXPN':
      if (checkText(command.argument, 'Argument').trim() === '')
        throw new TypeError(`${command.verb} needs an argument`);
      return `${command.verb} ${command.argument}`;
    case 'HELP':
    case 'NOOP':
      return command.argument === undefined
        ? command.verb
        : `${command.verb} ${checkText(command.argument, 'Argument')}`;
    case 'DATA':
    case 'RSET':
    case 'QUIT':
    case 'STARTTLS':
      return command.verb;
    default:
      throw new TypeError(`Unknown verb: ${JSON.stringify((command as { verb?: unknown }).verb)}`);
  }
}

/**
 * Format a command as one line with its CRLF. MAIL/RCPT parameters are written in a fixed
 * order (the typed ones, then `extensions` in order).
 *
 * @throws TypeError if any field would put a CR, LF or NUL (or another character the grammar
 * forbids) onto the wire — command injection through an address or parameter is impossible.
 * @throws RangeError for sizes out of range.
 *
 * @example
 * ```ts
 * formatCommand({ verb: 'RCPT', forwardPath: parsePath('<b@example.org>'), params: {} });
 * // bytes of "RCPT TO:<b@example.org>\r\n"
 * ```
 */
export function formatCommand(command: Command): Uint8Array {
  const line = formatLine(command);
  // Defence in depth: every branch validated its fields; nothing line-breaking can pass.
  if (hasLineBreakOrNul(line)) throw new TypeError('Command must not contain CR, LF or NUL');
  return utf8(`${line}\r\n`);
}
