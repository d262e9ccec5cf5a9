import { formatRfc5322Date } from '../date';
import { encodeXtext } from '../xtext';
import type { DsnAction, DsnRecipient, DsnRet, TypedAddress } from './types';

/** Input of {@link formatDsn}. Everything that would need a clock or randomness is passed in. */
export interface FormatDsnOptions {
  /** The reporting MTA's host name (RFC 3464 §2.2.2 Reporting-MTA, `dns` type). */
  readonly reportingMta: string;
  /** The original reverse-path: the DSN's `To:` and envelope recipient. Must not be null (`''`). */
  readonly to: string;
  /** `From:` of the report; default `MAILER-DAEMON@<reportingMta>`. */
  readonly from?: string;
  /** RFC 3461 ENVID of the original transaction (§2.2.1 Original-Envelope-Id), xtext-decoded. */
  readonly envelopeId?: string;
  /** When the original message arrived (§2.2.5 Arrival-Date). */
  readonly arrivalDate?: Date;
  /** The report's own `Date:`. */
  readonly date: Date;
  /** The multipart boundary: random, 1–70 characters of RFC 2046 §5.1.1 `bchars`. */
  readonly boundary: string;
  /** The report's `Message-ID` without angle brackets. */
  readonly messageId: string;
  /** The recipients reported on; at least one. */
  readonly recipients: readonly DsnRecipient[];
  /** RFC 3461 RET. Default `HDRS` (no RET given: RFC 3461 §4.3 leaves it to us; headers are the safe choice). */
  readonly ret?: DsnRet;
  /** The original message (headers and body); absent: no third part. Streamed, never held whole. */
  readonly content?: Uint8Array | AsyncIterable<Uint8Array>;
  /** The original had 8-bit content (8BITMIME/SMTPUTF8): the returned part is labelled `8bit`. */
  readonly eightBit?: boolean;
  /** Extra lines for the human-readable part. */
  readonly explanation?: string;
  /**
   * RFC 6533 (internationalized DSN): use `message/global-delivery-status` and, for the returned
   * content, `message/global-headers` / `message/global`, so UTF-8 addresses and headers are
   * allowed. Use it when the original was sent with SMTPUTF8.
   */
  readonly global?: boolean;
}

const encoder = new TextEncoder();
const BOUNDARY = /^[0-9A-Za-z'()+_,\-./:=?]{0,69}[0-9A-Za-z'()+_,\-./:=?]$/;

function assertLine(name: string, value: string): void {
  // A CR or LF would let a reply text or an address write header fields of its own.
  if (/[\r\n]/.test(value)) throw new TypeError(`formatDsn: ${name} contains CR or LF`);
}

function typed(value: string | TypedAddress): TypedAddress {
  return typeof value === 'string' ? { type: 'rfc822', address: value } : value;
}

/** Folds a field at spaces so lines stay under RFC 5322 §2.1.1's 78 characters where possible. */
export function foldField(name: string, value: string): string {
  const words = value.split(' ');
  let line = `${name}:`;
  let out = '';
  for (const word of words) {
    const piece = ` ${word}`;
    if (line.length + piece.length > 78 && line.length > name.length + 1) {
      out += `${line}\r\n`;
      line = piece;
    } else {
      line += piece;
    }
  }
  return `${out}${line}\r\n`;
}

const SUBJECT: Record<DsnAction, string> = {
  failed: 'Undelivered Mail Returned to Sender',
  delayed: 'Delayed Mail (still being retried)',
  delivered: 'Successful Mail Delivery Report',
  relayed: 'Mail Relayed Without Further Delivery Reports',
  expanded: 'Mail Delivered to an Expanded List',
};

function humanText(options: FormatDsnOptions): string {
  const lines = [`This is the mail system at host ${options.reportingMta}.`, ''];
  const by = (action: DsnAction) => options.recipients.filter((r) => r.action === action);
  const failed = by('failed');
  const delayed = by('delayed');
  const ok = [...by('delivered'), ...by('relayed'), ...by('expanded')];
  const line = (r: DsnRecipient) =>
    `<${typed(r.finalRecipient).address}>${r.diagnosticCode ? `: ${r.diagnosticCode}` : ` (${r.status})`}`;
  if (failed.length) {
    lines.push('Your message could not be delivered to one or more recipients:', '');
    for (const r of failed) lines.push(line(r));
    lines.push('');
  }
  if (delayed.length) {
    lines.push(
      'Delivery to the following recipients has been delayed; the mail system will keep trying:',
      '',
    );
    for (const r of delayed) {
      const until = r.willRetryUntil ? ` (until ${formatRfc5322Date(r.willRetryUntil)})` : '';
      lines.push(`${line(r)}${until}`);
    }
    lines.push('');
  }
  if (ok.length) {
    lines.push('Your message was delivered to:', '');
    for (const r of ok) lines.push(`<${typed(r.finalRecipient).address}> (${r.action})`);
    lines.push('');
  }
  if (options.explanation) lines.push(...options.explanation.split(/\r?\n/), '');
  return `${lines.join('\r\n')}`;
}

/**
 * The `message/delivery-status` body (RFC 3464 §2.1): per-message fields, then one block per recipient.
 * @example
 * ```ts
 * formatDeliveryStatus({
 *   reportingMta: 'mx.example.net', to: 'alice@example.org', date: new Date(),
 *   boundary: 'b1', messageId: 'dsn.1@mx.example.net',
 *   recipients: [{ finalRecipient: 'bob@example.com', action: 'failed', status: '5.1.1' }],
 * });
 * // 'Reporting-MTA: dns; mx.example.net\r\n\r\nFinal-Recipient: rfc822; bob@example.com\r\nAction: failed\r\nStatus: 5.1.1\r\n'
 * ```
 */
export function formatDeliveryStatus(options: FormatDsnOptions): string {
  let out = `Reporting-MTA: dns; ${options.reportingMta}\r\n`;
  if (options.envelopeId !== undefined) {
    // §2.2.1: the ENVID as xtext, exactly as it would travel in the ESMTP parameter.
    out += `Original-Envelope-Id: ${encodeXtext(options.envelopeId)}\r\n`;
  }
  if (options.arrivalDate) out += `Arrival-Date: ${formatRfc5322Date(options.arrivalDate)}\r\n`;
  for (const r of options.recipients) {
    out += '\r\n';
    if (r.originalRecipient) {
      // §2.3.1: the ORCPT value, which RFC 3461 §4.2 carries as xtext.
      out += `Original-Recipient: ${r.originalRecipient.type}; ${encodeXtext(r.originalRecipient.address)}\r\n`;
    }
    const final = typed(r.finalRecipient);
    out += `Final-Recipient: ${final.type}; ${final.address}\r\n`;
    out += `Action: ${r.action}\r\n`;
    out += `Status: ${r.status}\r\n`;
    if (r.remoteMta) out += `Remote-MTA: dns; ${r.remoteMta}\r\n`;
    if (r.diagnosticCode) out += foldField('Diagnostic-Code', `smtp; ${r.diagnosticCode}`);
    if (r.lastAttemptDate) out += `Last-Attempt-Date: ${formatRfc5322Date(r.lastAttemptDate)}\r\n`;
    if (r.willRetryUntil) out += `Will-Retry-Until: ${formatRfc5322Date(r.willRetryUntil)}\r\n`;
  }
  return out;
}

function validate(options: FormatDsnOptions): void {
  if (!options.to) throw new TypeError('formatDsn: never send a DSN to a null reverse-path (RFC 3461 §6.2)');
  if (!BOUNDARY.test(options.boundary))
    throw new TypeError('formatDsn: boundary is not RFC 2046 §5.1.1 bchars');
  if (options.recipients.length === 0) throw new TypeError('formatDsn: no recipients to report on');
  assertLine('reportingMta', options.reportingMta);
  assertLine('to', options.to);
  assertLine('messageId', options.messageId);
  if (options.from) assertLine('from', options.from);
  if (options.envelopeId !== undefined) assertLine('envelopeId', options.envelopeId);
  for (const r of options.recipients) {
    const final = typed(r.finalRecipient);
    assertLine('finalRecipient', `${final.type}${final.address}`);
    if (r.originalRecipient) assertLine('originalRecipient', r.originalRecipient.type);
    assertLine('status', r.status);
    if (!/^[245]\.\d{1,3}\.\d{1,3}$/.test(r.status)) throw new TypeError(`formatDsn: bad status ${r.status}`);
    if (r.remoteMta) assertLine('remoteMta', r.remoteMta);
    if (r.diagnosticCode) assertLine('diagnosticCode', r.diagnosticCode);
  }
}

function toIterable(content: Uint8Array | AsyncIterable<Uint8Array>): AsyncIterable<Uint8Array> {
  if (content instanceof Uint8Array) {
    return (async function* () {
      yield content;
    })();
  }
  return content;
}

/**
 * Streams the original message up to and including the blank line that ends its header
 * (RFC 5322 §2.1), then stops reading: RET=HDRS must not pull a large body through memory.
 * Yields the header with CRLF line ends and a final empty line.
 */
async function* headerSection(content: AsyncIterable<Uint8Array>): AsyncGenerator<Uint8Array> {
  // Tracks the last octets seen so an end-of-header split across chunks is still found.
  let tail: number[] = [];
  for await (const chunk of content) {
    for (let i = 0; i < chunk.length; i++) {
      tail.push(chunk[i]!);
      if (tail.length > 4) tail = tail.slice(-4);
      const n = tail.length;
      const lflf = n >= 2 && tail[n - 1] === 0x0a && tail[n - 2] === 0x0a;
      const crlfcrlf =
        n >= 4 &&
        tail[n - 1] === 0x0a &&
        tail[n - 2] === 0x0d &&
        tail[n - 3] === 0x0a &&
        tail[n - 4] === 0x0d;
      if (lflf || crlfcrlf) {
        yield chunk.subarray(0, i + 1);
        return;
      }
    }
    yield chunk;
  }
  // A message with no body: the header ran to the end; close it with an empty line.
  const n = tail.length;
  if (n === 0 || tail[n - 1] !== 0x0a) yield encoder.encode('\r\n');
  yield encoder.encode('\r\n');
}

/** Passes the whole message through, ending it with a line break if it had none. */
async function* wholeMessage(content: AsyncIterable<Uint8Array>): AsyncGenerator<Uint8Array> {
  let last = -1;
  for await (const chunk of content) {
    if (chunk.length) last = chunk[chunk.length - 1]!;
    yield chunk;
  }
  if (last !== 0x0a) yield encoder.encode('\r\n');
  // RFC 2046 §5.1.1: the CRLF before the closing delimiter belongs to the delimiter, so one more
  // keeps the returned message byte-exact.
  yield encoder.encode('\r\n');
}

/**
 * Builds an RFC 3464 delivery status notification: a `multipart/report;
 * report-type=delivery-status` (RFC 6522) with a human-readable part, the
 * `message/delivery-status` part and, per RET (RFC 3461 §4.3), the original headers as
 * `text/rfc822-headers` or the whole message as `message/rfc822`. The result is a stream; the
 * original content is read chunk by chunk (for HDRS only until the end of its header).
 *
 * The envelope of the DSN itself must use a null reverse-path (RFC 3461 §6.2, RFC 5321 §4.5.5),
 * and a DSN is never sent to a null reverse-path: `to: ''` is a `TypeError`.
 *
 * @example
 * ```ts
 * const dsn = formatDsn({
 *   reportingMta: 'mx.example.net', to: 'alice@example.org', date: new Date(),
 *   boundary: 'b1', messageId: 'dsn.1@mx.example.net',
 *   recipients: [{ finalRecipient: 'bob@example.com', action: 'failed', status: '5.1.1',
 *     diagnosticCode: '550 5.1.1 No such user' }],
 *   ret: 'HDRS', content: originalMessageBytes,
 * });
 * for await (const chunk of dsn) process.stdout.write(chunk);
 * ```
 */
export async function* formatDsn(options: FormatDsnOptions): AsyncGenerator<Uint8Array> {
  validate(options);
  const { boundary } = options;
  const actions = new Set(options.recipients.map((r) => r.action));
  const subjectAction: DsnAction = actions.has('failed')
    ? 'failed'
    : actions.has('delayed')
      ? 'delayed'
      : [...actions][0]!;
  const from = options.from ?? `MAILER-DAEMON@${options.reportingMta}`;
  let head = '';
  head += `From: Mail Delivery System <${from}>\r\n`;
  head += `To: <${options.to}>\r\n`;
  head += `Subject: ${SUBJECT[subjectAction]}\r\n`;
  head += `Date: ${formatRfc5322Date(options.date)}\r\n`;
  head += `Message-ID: <${options.messageId}>\r\n`;
  // RFC 3834 §5: automatic responses say so, which keeps vacation responders from answering.
  head += 'Auto-Submitted: auto-replied\r\n';
  head += 'MIME-Version: 1.0\r\n';
  head += `Content-Type: multipart/report; report-type=delivery-status;\r\n\tboundary="${boundary}"\r\n`;
  head += '\r\n';
  head += 'This is a MIME-encapsulated message.\r\n\r\n';
  head += `--${boundary}\r\n`;
  head += 'Content-Description: Notification\r\nContent-Type: text/plain; charset=utf-8\r\n\r\n';
  head += humanText(options);
  head += `\r\n--${boundary}\r\n`;
  const global = options.global === true;
  head += `Content-Description: Delivery report\r\nContent-Type: message/${global ? 'global-' : ''}delivery-status\r\n\r\n`;
  head += formatDeliveryStatus(options);
  yield encoder.encode(head);
  if (options.content !== undefined) {
    const ret = options.ret ?? 'HDRS';
    const cte = options.eightBit ? '8bit' : '7bit';
    if (ret === 'FULL') {
      yield encoder.encode(
        `\r\n--${boundary}\r\nContent-Description: Undelivered Message\r\nContent-Type: message/${global ? 'global' : 'rfc822'}\r\nContent-Transfer-Encoding: ${cte}\r\n\r\n`,
      );
      yield* wholeMessage(toIterable(options.content));
    } else {
      yield encoder.encode(
        `\r\n--${boundary}\r\nContent-Description: Undelivered Message Headers\r\nContent-Type: ${global ? 'message/global-headers' : 'text/rfc822-headers'}\r\nContent-Transfer-Encoding: ${cte}\r\n\r\n`,
      );
      yield* headerSection(toIterable(options.content));
    }
  } else {
    yield encoder.encode('\r\n');
  }
  yield encoder.encode(`--${boundary}--\r\n`);
}
