import { parseRfc5322Date } from '../date';
import {
  decodeTransferEncoding,
  type HeaderField,
  headerValue,
  parseContentType,
  parseHeaderFields,
  splitEntity,
  splitMultipart,
} from '../mime';
import { decodeXtext } from '../xtext';
import type { DsnAction, TypedAddress } from './types';

/** A typed text field such as `Diagnostic-Code: smtp; 550 ...` or `Remote-MTA: dns; mx.example`. */
export interface TypedText {
  /** The type before the `;`, lower-cased (`smtp`, `dns`, `rfc822`, `x-unix`, …). */
  readonly type: string;
  readonly text: string;
}

/** One per-recipient block of a parsed DSN (RFC 3464 §2.3). */
export interface ParsedDsnRecipient {
  /** §2.3.1 Original-Recipient, xtext-decoded. */
  readonly originalRecipient?: TypedAddress;
  /** §2.3.2 Final-Recipient (required; a block without one is dropped). */
  readonly finalRecipient: TypedAddress;
  /** §2.3.3 Action, lower-cased; `undefined` if missing or not one of the five. */
  readonly action?: DsnAction;
  /** §2.3.4 Status, e.g. `5.1.1` (any comment removed). */
  readonly status?: string;
  /** §2.3.5 Remote-MTA. */
  readonly remoteMta?: TypedText;
  /** §2.3.6 Diagnostic-Code. */
  readonly diagnosticCode?: TypedText;
  /** §2.3.7 Last-Attempt-Date. */
  readonly lastAttemptDate?: Date;
  /** §2.3.8 Final-Log-ID. */
  readonly finalLogId?: string;
  /** §2.3.9 Will-Retry-Until. */
  readonly willRetryUntil?: Date;
  /** Every field of the block as written (extension fields included). */
  readonly fields: readonly HeaderField[];
}

/** A parsed delivery status notification. */
export interface ParsedDsn {
  /** §2.2.2 Reporting-MTA. */
  readonly reportingMta?: TypedText;
  /** §2.2.1 Original-Envelope-Id, xtext-decoded. */
  readonly originalEnvelopeId?: string;
  /** §2.2.3 DSN-Gateway. */
  readonly dsnGateway?: TypedText;
  /** §2.2.4 Received-From-MTA. */
  readonly receivedFromMta?: TypedText;
  /** §2.2.5 Arrival-Date. */
  readonly arrivalDate?: Date;
  /** The per-message fields as written. */
  readonly fields: readonly HeaderField[];
  /** The per-recipient blocks. */
  readonly recipients: readonly ParsedDsnRecipient[];
  /** The first `text/plain` part (the human-readable explanation), decoded. */
  readonly humanReadable?: string;
  /** The returned content: `headers` (text/rfc822-headers) or the full `message` (message/rfc822). */
  readonly returned?: { readonly kind: 'headers' | 'message'; readonly text: string };
}

const ACTIONS: ReadonlySet<string> = new Set(['failed', 'delayed', 'delivered', 'relayed', 'expanded']);

function typedText(value: string | undefined): TypedText | undefined {
  if (value === undefined) return undefined;
  const semi = value.indexOf(';');
  if (semi < 0) return { type: 'unknown', text: value.trim() };
  return { type: value.slice(0, semi).trim().toLowerCase(), text: value.slice(semi + 1).trim() };
}

function typedAddress(value: string | undefined, xtext: boolean): TypedAddress | undefined {
  const t = typedText(value);
  if (!t) return undefined;
  // Some MTAs write Final-Recipient in angle brackets; RFC 3464 §2.3.2 does not, so strip them.
  // An xtext ORCPT value is taken as written ('<' and '>' are plain xtext characters).
  const address = xtext ? t.text : t.text.replace(/^<(.*)>$/, '$1');
  return { type: t.type === 'unknown' ? 'rfc822' : t.type, address: xtext ? decodeXtext(address) : address };
}

function date(value: string | undefined): Date | undefined {
  return value === undefined ? undefined : parseRfc5322Date(value);
}

/** Splits a delivery-status body into its field groups (RFC 3464 §2.1: separated by empty lines). */
function groups(body: string): HeaderField[][] {
  return body
    .split(/\r?\n(?:[ \t]*\r?\n)+/)
    .map((block) => parseHeaderFields(block))
    .filter((fields) => fields.length > 0);
}

function parseRecipient(fields: HeaderField[]): ParsedDsnRecipient | undefined {
  const get = (name: string) => headerValue(fields, name);
  const finalRecipient = typedAddress(get('Final-Recipient'), false);
  if (!finalRecipient) return undefined;
  const action = get('Action')
    ?.replace(/\(.*\)/, '')
    .trim()
    .toLowerCase();
  const status = get('Status')
    ?.replace(/\(.*\)/, '')
    .trim();
  return {
    ...(get('Original-Recipient') !== undefined && {
      originalRecipient: typedAddress(get('Original-Recipient'), true),
    }),
    finalRecipient,
    ...(action !== undefined && ACTIONS.has(action) && { action: action as DsnAction }),
    ...(status !== undefined && { status }),
    ...(get('Remote-MTA') !== undefined && { remoteMta: typedText(get('Remote-MTA')) }),
    ...(get('Diagnostic-Code') !== undefined && { diagnosticCode: typedText(get('Diagnostic-Code')) }),
    ...(date(get('Last-Attempt-Date')) && { lastAttemptDate: date(get('Last-Attempt-Date')) }),
    ...(get('Final-Log-ID') !== undefined && { finalLogId: get('Final-Log-ID') }),
    ...(date(get('Will-Retry-Until')) && { willRetryUntil: date(get('Will-Retry-Until')) }),
    fields,
  };
}

interface Found {
  status?: string;
  humanReadable?: string;
  returned?: { kind: 'headers' | 'message'; text: string };
}

/** Walks multipart entities (a report may be nested in multipart/mixed by gateways). */
function walk(entity: string, found: Found, depth: number): void {
  if (depth > 8) return;
  const { header, body } = splitEntity(entity);
  const fields = parseHeaderFields(header);
  const ct = parseContentType(headerValue(fields, 'Content-Type') ?? 'text/plain');
  const cte = headerValue(fields, 'Content-Transfer-Encoding');
  if (ct.type.startsWith('multipart/') && ct.params.boundary) {
    for (const part of splitMultipart(body, ct.params.boundary)) walk(part, found, depth + 1);
  } else if (ct.type === 'message/delivery-status' || ct.type === 'message/global-delivery-status') {
    found.status ??= decodeTransferEncoding(body, cte);
  } else if (ct.type === 'text/plain' && found.status === undefined) {
    found.humanReadable ??= decodeTransferEncoding(body, cte);
  } else if (ct.type === 'text/rfc822-headers' || ct.type === 'message/global-headers') {
    found.returned ??= { kind: 'headers', text: decodeTransferEncoding(body, cte) };
  } else if (ct.type === 'message/rfc822' || ct.type === 'message/global') {
    found.returned ??= { kind: 'message', text: decodeTransferEncoding(body, cte) };
  }
}

/**
 * Parses an incoming delivery status notification (RFC 3464, in an RFC 6522 multipart/report;
 * RFC 6533 `message/global-delivery-status` too). Returns `undefined` when the message holds
 * no delivery-status part: most mail is not a DSN, and that is an answer, not an error.
 *
 * @example
 * ```ts
 * const dsn = parseDsn(bounceBytes);
 * for (const r of dsn?.recipients ?? []) if (r.action === 'failed') unsubscribe(r.finalRecipient.address);
 * ```
 */
export function parseDsn(message: string | Uint8Array): ParsedDsn | undefined {
  const text = typeof message === 'string' ? message : new TextDecoder().decode(message);
  const found: Found = {};
  walk(text, found, 0);
  if (found.status === undefined) return undefined;
  const [perMessage = [], ...perRecipient] = groups(found.status);
  const get = (name: string) => headerValue(perMessage, name);
  const envid = get('Original-Envelope-Id');
  const recipients = perRecipient.map(parseRecipient).filter((r): r is ParsedDsnRecipient => r !== undefined);
  return {
    ...(get('Reporting-MTA') !== undefined && { reportingMta: typedText(get('Reporting-MTA')) }),
    ...(envid !== undefined && { originalEnvelopeId: decodeXtext(envid) }),
    ...(get('DSN-Gateway') !== undefined && { dsnGateway: typedText(get('DSN-Gateway')) }),
    ...(get('Received-From-MTA') !== undefined && { receivedFromMta: typedText(get('Received-From-MTA')) }),
    ...(date(get('Arrival-Date')) && { arrivalDate: date(get('Arrival-Date')) }),
    fields: perMessage,
    recipients,
    ...(found.humanReadable !== undefined && { humanReadable: found.humanReadable }),
    ...(found.returned && { returned: found.returned }),
  };
}
