/**
 * Which header fields a signature covers (RFC 6376 §5.4) and the exact bytes the header
 * hash is computed over (§3.7).
 */
import type { Canonicalization } from './body-canonicalizer';
import { canonicalizeHeaderInto } from './header-canonicalization';
import type { HeaderField } from './header-section';

/**
 * RFC 6376 §5.4.1's recommended set, plus Message-ID and the MIME fields, whose change
 * alters what the recipient sees.
 */
export const DEFAULT_SIGNED_HEADERS: readonly string[] = [
  'from',
  'reply-to',
  'subject',
  'date',
  'to',
  'cc',
  'resent-date',
  'resent-from',
  'resent-to',
  'resent-cc',
  'in-reply-to',
  'references',
  'list-id',
  'list-help',
  'list-unsubscribe',
  'list-subscribe',
  'list-post',
  'list-owner',
  'list-archive',
  'message-id',
  'mime-version',
  'content-type',
  'content-transfer-encoding',
  'content-disposition',
];

/**
 * Fields signed one more time than they occur (§5.4.2): the extra entry signs "no further
 * instance", so a second From, Subject, ... added in transit breaks the signature.
 */
export const DEFAULT_OVERSIGNED_HEADERS: readonly string[] = [
  'from',
  'to',
  'cc',
  'subject',
  'date',
  'reply-to',
  'message-id',
  'mime-version',
  'content-type',
  'content-transfer-encoding',
];

/**
 * The default h= list for a message: each field of {@link DEFAULT_SIGNED_HEADERS} that is
 * present, once per instance, plus one extra for oversigned names. From is always
 * signed (§5.4: it MUST be), even when absent.
 */
export function defaultHeaderList(
  fields: readonly HeaderField[],
  signed: readonly string[] = DEFAULT_SIGNED_HEADERS,
  oversigned: readonly string[] = DEFAULT_OVERSIGNED_HEADERS,
): string[] {
  const counts = new Map<string, number>();
  for (const field of fields) counts.set(field.name, (counts.get(field.name) ?? 0) + 1);
  const list: string[] = [];
  for (const name of signed) {
    const count = counts.get(name) ?? (name === 'from' ? 1 : 0);
    if (count === 0) continue;
    const times = count + (oversigned.includes(name) ? 1 : 0);
    for (let i = 0; i < times; i++) list.push(name);
  }
  if (!list.includes('from')) list.unshift('from');
  return list;
}

/** Where {@link headerHashInput} builds its result; grown on demand, reused call to call. */
let scratch = Buffer.allocUnsafe(8 * 1024);

/**
 * Concatenates the canonicalised fields named in `names` (instances taken bottom-up,
 * §5.4.2; a name with no instance left contributes nothing, §5.4) followed by the
 * canonicalised DKIM-Signature field with its b= blanked and no final CRLF (§3.7).
 *
 * The field may be given as text (the signer's own, encoded as UTF-8 here). The result
 * is a view of a buffer that the next call overwrites: hash or sign it straight away.
 * Allocating a fresh array per signature cost more than the canonicalisation itself.
 */
export function headerHashInput(
  fields: readonly HeaderField[],
  names: readonly string[],
  canonicalization: Canonicalization,
  signatureField: Uint8Array | string,
): Uint8Array {
  const taken = new Array<boolean>(fields.length).fill(false);
  const chosen: Uint8Array[] = [];
  // Canonical forms are never longer than the field plus a CRLF: one array holds them all.
  let room = 2;
  for (const name of names) {
    // The last instance not yet taken (§5.4.2: bottom-up).
    let index = fields.length - 1;
    while (index >= 0 && (taken[index] || fields[index].name !== name)) index--;
    if (index === -1) continue;
    taken[index] = true;
    chosen.push(fields[index].raw);
    room += fields[index].raw.byteLength + 2;
  }
  const signatureBytes =
    typeof signatureField === 'string'
      ? Buffer.byteLength(signatureField, 'utf8')
      : signatureField.byteLength;
  room += signatureBytes;
  // The text form is encoded after the output area, then canonicalised into it.
  if (scratch.byteLength < room + signatureBytes) scratch = Buffer.allocUnsafe(2 * (room + signatureBytes));
  const out = scratch;
  let at = 0;
  for (const raw of chosen) at = canonicalizeHeaderInto(raw, canonicalization, out, at);
  let field: Uint8Array;
  if (typeof signatureField === 'string') {
    out.write(signatureField, room, 'utf8');
    field = out.subarray(room, room + signatureBytes);
  } else {
    field = signatureField;
  }
  at = canonicalizeHeaderInto(field, canonicalization, out, at);
  return out.subarray(0, at);
}
