/**
 * Envelope validation and the stored record format. The record is versioned JSON: every
 * string is quoted and escaped, so a CR/LF in an address, ORCPT, ENVID or metadata value is
 * data and can never start a new field (the class of Exim's "21Nails" CVE-2020-28021, where a
 * line-based spool let a crafted address add spool lines). Decoding re-validates the shape.
 */
import { QueueCorruptRecordError } from '../errors.js';
import type {
  DsnNotifyCondition,
  Envelope,
  EnvelopeRecipient,
  JsonValue,
  OriginalRecipient,
} from '../types.js';

const encoder = new TextEncoder();
const notifyConditions: readonly DsnNotifyCondition[] = ['SUCCESS', 'FAILURE', 'DELAY'];
// C0 controls, DEL and C1 controls: a mailbox never contains them (RFC 5321 §4.1.2 atext and
// qtextSMTP exclude them; RFC 6531 §3.3 extends those with UTF-8 text, not controls).
const controlCharacter = /[\u0000-\u001f\u007f-\u009f]/;
// RFC 5321 §4.5.3.1.3: a path is at most 256 octets including the angle brackets.
const maxAddressOctets = 254;
const recordVersion = 1;

/** Validates one address; throws `TypeError` naming `what`. */
function checkAddress(address: unknown, what: string, allowEmpty: boolean): asserts address is string {
  if (typeof address !== 'string') throw new TypeError(`${what} must be a string`);
  if (address === '' && allowEmpty) return;
  if (address === '') throw new TypeError(`${what} must not be empty`);
  if (controlCharacter.test(address)) {
    throw new TypeError(`${what} contains a control character (CR, LF, NUL, ...)`);
  }
  // Spaces and angle brackets are legal inside a quoted local part ("a b"@example.com), so only a
  // whole path in brackets or surrounding whitespace is refused: those are caller mistakes.
  if (/^\s|\s$/.test(address) || (address.startsWith('<') && address.endsWith('>'))) {
    throw new TypeError(`${what} must be a bare mailbox: no angle brackets around it, no surrounding spaces`);
  }
  if (encoder.encode(address).length > maxAddressOctets) {
    throw new TypeError(`${what} is longer than ${maxAddressOctets} octets (RFC 5321 §4.5.3.1.3)`);
  }
}

function isPlainObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

function checkJson(value: unknown, path: string, depth: number): void {
  if (depth > 32) throw new TypeError(`${path} nests too deeply`);
  if (value === null || typeof value === 'string' || typeof value === 'boolean') return;
  if (typeof value === 'number') {
    if (!Number.isFinite(value)) throw new TypeError(`${path} must be a finite number`);
    return;
  }
  if (Array.isArray(value)) {
    for (const [i, item] of value.entries()) checkJson(item, `${path}[${i}]`, depth + 1);
    return;
  }
  if (isPlainObject(value)) {
    for (const [key, item] of Object.entries(value)) checkJson(item, `${path}.${key}`, depth + 1);
    return;
  }
  throw new TypeError(`${path} must be a JSON value`);
}

function checkRecipient(value: unknown, i: number): asserts value is EnvelopeRecipient {
  const what = `envelope.recipients[${i}]`;
  if (!isPlainObject(value)) throw new TypeError(`${what} must be an object`);
  checkAddress(value.address, `${what}.address`, false);
  const notify = value.notify;
  if (notify !== undefined && notify !== 'NEVER') {
    if (!Array.isArray(notify) || notify.length === 0) {
      throw new TypeError(`${what}.notify must be 'NEVER' or a non-empty list (RFC 3461 §4.1)`);
    }
    for (const condition of notify) {
      if (!notifyConditions.includes(condition as DsnNotifyCondition)) {
        throw new TypeError(`${what}.notify has an unknown condition ${JSON.stringify(condition)}`);
      }
    }
  }
  const orcpt = value.orcpt;
  if (orcpt !== undefined) {
    if (!isPlainObject(orcpt) || typeof orcpt.type !== 'string' || typeof orcpt.address !== 'string') {
      throw new TypeError(`${what}.orcpt must be { type, address } strings (RFC 3461 §4.2)`);
    }
  }
}

/**
 * Checks an envelope a caller wants to enqueue. Throws `TypeError` on anything a correct caller
 * would not pass: no recipients, an address with a control character or angle brackets, an
 * unknown DSN value, metadata that is not JSON.
 * @example
 * ```ts
 * validateEnvelope({ reversePath: 'alice@example.com', recipients: [{ address: 'bob@example.org' }] });
 * validateEnvelope({ reversePath: '<alice@example.com>', recipients: [{ address: 'bob@example.org' }] }); // TypeError
 * ```
 */
export function validateEnvelope(envelope: unknown): asserts envelope is Envelope {
  if (!isPlainObject(envelope)) throw new TypeError('envelope must be an object');
  checkAddress(envelope.reversePath, 'envelope.reversePath', true);
  const recipients = envelope.recipients;
  if (!Array.isArray(recipients) || recipients.length === 0) {
    throw new TypeError('envelope.recipients must be a non-empty array');
  }
  for (const [i, recipient] of recipients.entries()) checkRecipient(recipient, i);
  if (envelope.envid !== undefined && typeof envelope.envid !== 'string') {
    throw new TypeError('envelope.envid must be a string');
  }
  if (envelope.ret !== undefined && envelope.ret !== 'FULL' && envelope.ret !== 'HDRS') {
    throw new TypeError("envelope.ret must be 'FULL' or 'HDRS' (RFC 3461 §4.3)");
  }
  if (envelope.requireTls !== undefined && typeof envelope.requireTls !== 'boolean') {
    throw new TypeError('envelope.requireTls must be a boolean');
  }
  if (envelope.smtpUtf8 !== undefined && typeof envelope.smtpUtf8 !== 'boolean') {
    throw new TypeError('envelope.smtpUtf8 must be a boolean');
  }
  const body = envelope.body;
  if (body !== undefined && body !== '7BIT' && body !== '8BITMIME' && body !== 'BINARYMIME') {
    throw new TypeError("envelope.body must be '7BIT', '8BITMIME' or 'BINARYMIME'");
  }
  if (envelope.metadata !== undefined) {
    if (!isPlainObject(envelope.metadata)) throw new TypeError('envelope.metadata must be an object');
    checkJson(envelope.metadata, 'envelope.metadata', 0);
  }
}

/**
 * The destination domain of an address, lowercased: what follows the last `@`, or `''` for a
 * domainless `postmaster` (RFC 5321 §4.5.1). Address literals keep their brackets.
 * @example
 * ```ts
 * recipientDomain('Bob@Example.ORG'); // 'example.org'
 * recipientDomain('postmaster'); // ''
 * recipientDomain('bob@[192.0.2.1]'); // '[192.0.2.1]'
 * ```
 */
export function recipientDomain(address: string): string {
  const at = address.lastIndexOf('@');
  return at < 0 ? '' : address.slice(at + 1).toLowerCase();
}

/** Copies only the known fields, so what is stored is exactly what the type describes. */
function normalizeRecipient(recipient: EnvelopeRecipient): EnvelopeRecipient {
  const out: { -readonly [K in keyof EnvelopeRecipient]: EnvelopeRecipient[K] } = {
    address: recipient.address,
  };
  if (recipient.notify !== undefined) {
    out.notify = recipient.notify === 'NEVER' ? 'NEVER' : [...recipient.notify];
  }
  if (recipient.orcpt !== undefined) {
    const orcpt: OriginalRecipient = { type: recipient.orcpt.type, address: recipient.orcpt.address };
    out.orcpt = orcpt;
  }
  return out;
}

/**
 * A copy of a valid envelope holding only the known fields.
 * @example
 * ```ts
 * const stored = normalizeEnvelope(envelope); // no extra fields, metadata deep-copied
 * ```
 */
export function normalizeEnvelope(envelope: Envelope): Envelope {
  const out: { -readonly [K in keyof Envelope]: Envelope[K] } = {
    reversePath: envelope.reversePath,
    recipients: envelope.recipients.map(normalizeRecipient),
  };
  if (envelope.envid !== undefined) out.envid = envelope.envid;
  if (envelope.ret !== undefined) out.ret = envelope.ret;
  if (envelope.requireTls !== undefined) out.requireTls = envelope.requireTls;
  if (envelope.smtpUtf8 !== undefined) out.smtpUtf8 = envelope.smtpUtf8;
  if (envelope.body !== undefined) out.body = envelope.body;
  if (envelope.metadata !== undefined) {
    out.metadata = JSON.parse(JSON.stringify(envelope.metadata)) as { [key: string]: JsonValue };
  }
  return out;
}

/**
 * Encodes a valid envelope as the stored record (versioned JSON text).
 * @example
 * ```ts
 * const record = encodeEnvelope({ reversePath: 'alice@example.com', recipients: [{ address: 'bob@example.org' }] });
 * // '{"v":1,"reversePath":"alice@example.com","recipients":[{"address":"bob@example.org"}]}'
 * ```
 */
export function encodeEnvelope(envelope: Envelope): string {
  return JSON.stringify({ v: recordVersion, ...normalizeEnvelope(envelope) });
}

/**
 * Decodes a stored record; throws `QueueCorruptRecordError` if it is not a valid envelope record.
 * @example
 * ```ts
 * const envelope = decodeEnvelope(row.envelope); // QueueCorruptRecordError if damaged
 * envelope.recipients[0]?.address;
 * ```
 */
export function decodeEnvelope(record: string): Envelope {
  let parsed: unknown;
  try {
    parsed = JSON.parse(record);
  } catch (cause) {
    throw new QueueCorruptRecordError('envelope is not JSON', { cause });
  }
  if (!isPlainObject(parsed) || parsed.v !== recordVersion) {
    throw new QueueCorruptRecordError('envelope record has an unknown version');
  }
  const { v: _version, ...envelope } = parsed;
  try {
    validateEnvelope(envelope);
  } catch (cause) {
    throw new QueueCorruptRecordError(cause instanceof Error ? cause.message : 'invalid envelope', { cause });
  }
  return normalizeEnvelope(envelope);
}
