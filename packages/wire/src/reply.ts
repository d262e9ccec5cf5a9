/**
 * SMTP replies (RFC 5321 §4.2) with enhanced status codes (RFC 3463, RFC 2034).
 */
import { fromUtf8, hasLineBreakOrNul, utf8 } from './bytes';
import { SmtpError } from './errors';

/**
 * An enhanced mail system status code (RFC 3463 §2): `class.subject.detail`, e.g. `'5.1.1'`.
 * The class is 2, 4 or 5 and matches the first digit of the reply code it rides on.
 */
export type EnhancedStatusCode = `${2 | 4 | 5}.${number}.${number}`;

/**
 * One SMTP reply, possibly multiline.
 *
 * `lines` hold each line's text without the code, separator and enhanced code; a reply always
 * has at least one line, which may be empty (`250 `). When `enhanced` is set it applies to
 * every line (RFC 2034 §4 puts it on each line of a multiline reply).
 */
export interface Reply {
  /** Three-digit reply code, 200..599 (RFC 5321 §4.2). */
  readonly code: number;
  /** The enhanced status code, when the reply carries one (RFC 3463). */
  readonly enhanced?: EnhancedStatusCode;
  /** Text of each line, in order. */
  readonly lines: readonly string[];
}

/** RFC 5321 §4.5.3.1.5: a reply line is at most 512 octets including the CRLF. */
export const MAX_REPLY_LINE_LENGTH = 512;

const ENHANCED = /^([245])\.(\d{1,3})\.(\d{1,3})(?: |$)/;

/** A reply code that RFC 5321 §4.2 allows: 2..5, 0..5, 0..9. */
function isReplyCode(code: number): boolean {
  return Number.isInteger(code) && code >= 200 && code <= 599 && Math.floor(code / 10) % 10 <= 5;
}

/** One parsed reply line. Exported for the decoder, not from the package. */
export interface ReplyLine {
  readonly code: number;
  readonly last: boolean;
  readonly text: string;
}

/** Parse one reply line (no CRLF). Throws `SmtpError` (ERR_SMTP_PROTOCOL) if malformed. */
export function parseReplyLine(line: string): ReplyLine {
  const code = Number(line.slice(0, 3));
  if (!/^[2-5][0-5][0-9]/.test(line) || !isReplyCode(code)) {
    throw new SmtpError(`Malformed reply line: ${JSON.stringify(line.slice(0, 64))}`, 'ERR_SMTP_PROTOCOL');
  }
  const sep = line.charAt(3);
  // RFC 5321 §4.2.1 wants "code SP text"; a bare "250" is tolerated like an empty final line.
  if (sep === '') return { code, last: true, text: '' };
  if (sep !== ' ' && sep !== '-') {
    throw new SmtpError(`Malformed reply line: ${JSON.stringify(line.slice(0, 64))}`, 'ERR_SMTP_PROTOCOL');
  }
  return { code, last: sep === ' ', text: line.slice(4) };
}

/** Build a Reply from its lines, splitting out the enhanced code. */
export function buildReply(lines: readonly ReplyLine[]): Reply {
  const first = lines[0];
  if (first === undefined) throw new SmtpError('Empty reply', 'ERR_SMTP_PROTOCOL');
  for (const line of lines) {
    if (line.code !== first.code) {
      throw new SmtpError(`Multiline reply mixes codes ${first.code} and ${line.code}`, 'ERR_SMTP_PROTOCOL');
    }
  }
  const match = ENHANCED.exec(first.text);
  // RFC 3463 §2: the class digit must match the reply code's first digit, else it is just text.
  if (match && Number(match[1]) === Math.floor(first.code / 100)) {
    const enhanced = `${match[1]}.${Number(match[2])}.${Number(match[3])}` as EnhancedStatusCode;
    const raw = `${match[1]}.${match[2]}.${match[3]}`;
    const texts = lines.map((line) => {
      if (line.text === raw) return '';
      if (line.text.startsWith(`${raw} `)) return line.text.slice(raw.length + 1);
      return line.text;
    });
    return { code: first.code, enhanced, lines: texts };
  }
  return { code: first.code, lines: lines.map((line) => line.text) };
}

/**
 * Parse a complete reply: one or more lines separated by CRLF (a trailing CRLF is optional;
 * a bare LF is accepted as a line end, a reply has no data to smuggle).
 *
 * @throws SmtpError with code `ERR_SMTP_PROTOCOL` if the text is not one well-formed reply.
 *
 * @example
 * ```ts
 * parseReply('250-mx.example.org\r\n250 2.0.0 OK\r\n');
 * // { code: 250, lines: ['mx.example.org', '2.0.0 OK'] }  (enhanced only if on the first line)
 * ```
 */
export function parseReply(input: string | Uint8Array): Reply {
  let text = typeof input === 'string' ? input : fromUtf8(input);
  if (text.endsWith('\n')) text = text.slice(0, text.endsWith('\r\n') ? -2 : -1);
  const rawLines = text.split('\n').map((line) => (line.endsWith('\r') ? line.slice(0, -1) : line));
  const lines = rawLines.map(parseReplyLine);
  lines.forEach((line, i) => {
    if (line.last !== (i === lines.length - 1)) {
      throw new SmtpError('Reply continuation marks do not match its lines', 'ERR_SMTP_PROTOCOL');
    }
  });
  return buildReply(lines);
}

/**
 * Format a reply for the wire: `code-text` lines and a final `code text` line, each ending
 * CRLF, the enhanced code (if any) on every line (RFC 2034 §4).
 *
 * @throws TypeError if a line contains CR, LF or NUL, or the code is not a reply code.
 * @throws RangeError if a formatted line would exceed 512 octets (RFC 5321 §4.5.3.1.5).
 *
 * @example
 * ```ts
 * formatReply({ code: 550, enhanced: '5.1.1', lines: ['No such user'] });
 * // bytes of "550 5.1.1 No such user\r\n"
 * ```
 */
export function formatReply(reply: Reply): Uint8Array {
  if (!isReplyCode(reply.code)) throw new TypeError(`Not a reply code: ${String(reply.code)}`);
  if (reply.enhanced !== undefined) {
    const match = ENHANCED.exec(reply.enhanced);
    if (!match || match[0] !== reply.enhanced || Number(match[1]) !== Math.floor(reply.code / 100)) {
      throw new TypeError(`Enhanced status code ${reply.enhanced} does not fit reply code ${reply.code}`);
    }
  }
  const texts = reply.lines.length === 0 ? [''] : reply.lines;
  let out = '';
  texts.forEach((text, i) => {
    if (hasLineBreakOrNul(text)) throw new TypeError('Reply text must not contain CR, LF or NUL');
    const sep = i === texts.length - 1 ? ' ' : '-';
    const body =
      reply.enhanced === undefined ? text : text === '' ? reply.enhanced : `${reply.enhanced} ${text}`;
    const line = `${reply.code}${sep}${body}\r\n`;
    if (utf8(line).length > MAX_REPLY_LINE_LENGTH) {
      throw new RangeError(`Reply line longer than ${MAX_REPLY_LINE_LENGTH} octets (RFC 5321 §4.5.3.1.5)`);
    }
    out += line;
  });
  return utf8(out);
}
