/**
 * The DKIM-Signature header field (RFC 6376 §3.5): building it for signing, parsing and
 * validating it for verification, and blanking its b= value (§3.7).
 */
import type { Canonicalization } from './body-canonicalizer';
import { latin1 } from './bytes';
import { parseTagList, stripFws } from './tag-list';

/** The tags our signer writes, in the order written. */
export interface SignatureFields {
  readonly algorithm: string;
  readonly headerCanonicalization: Canonicalization;
  readonly bodyCanonicalization: Canonicalization;
  readonly sdid: string;
  readonly auid?: string;
  readonly bodyLength?: number;
  readonly selector: string;
  readonly timestamp?: number;
  readonly expiration?: number;
  readonly headerNames: readonly string[];
  readonly bodyHash: string;
}

const FIELD_NAME = 'DKIM-Signature';
/** Stands in for b= while folding the unsigned field, so b= lands on its own line as it will when signed. */
const PLACEHOLDER = '0'.repeat(40);

/**
 * Formats the field. Without `signature`, the unsigned form that is hashed (§3.7: b=
 * empty, no final CRLF); with it, the field to prepend (ending with CRLF). Both fold
 * identically up to b=, so simple header canonicalisation sees the same bytes.
 *
 * Tags, order and folding are dkimpy's, which is how RFC 8463 A.3 was produced (v a c d
 * i l q s t x h bh b; h= names joined with " : "; lines folded at 58 columns, b= alone on
 * the last line(s)): with the same inputs, the field comes out byte for byte as published.
 */
export function formatSignatureField(fields: SignatureFields, signature?: string): string {
  const tags = [
    `v=1`,
    `a=${fields.algorithm}`,
    `c=${fields.headerCanonicalization}/${fields.bodyCanonicalization}`,
  ];
  tags.push(`d=${fields.sdid}`);
  if (fields.auid !== undefined) tags.push(`i=${fields.auid}`);
  if (fields.bodyLength !== undefined) tags.push(`l=${fields.bodyLength}`);
  tags.push('q=dns/txt', `s=${fields.selector}`);
  if (fields.timestamp !== undefined) tags.push(`t=${fields.timestamp}`);
  if (fields.expiration !== undefined) tags.push(`x=${fields.expiration}`);
  tags.push(`h=${fields.headerNames.join(' : ')}`, `bh=${fields.bodyHash}`, `b=${signature ?? PLACEHOLDER}`);
  const folded = fold(tags.join('; '), FIELD_NAME.length);
  if (signature !== undefined) return `${FIELD_NAME}: ${folded}\r\n`;
  return `${FIELD_NAME}: ${folded.slice(0, folded.length - PLACEHOLDER.length)}`;
}

/**
 * The signed field from its unsigned form and the b= value: the same text as
 * `formatSignatureField(fields, signature)`, without folding every tag again. b= is the last
 * tag and its value has no spaces, so the fold only continues the unsigned form's last line
 * and breaks hard at each full line. `undefined` where that might not hold (a b= value shorter
 * than the placeholder, or a space on the last line): format in full then.
 */
export function appendSignature(unsigned: string, signature: string): string | undefined {
  const max = 72 - FIELD_NAME.length;
  const lastBreak = unsigned.lastIndexOf('\r\n ');
  const lineStart = lastBreak === -1 ? FIELD_NAME.length + 2 : lastBreak + 3;
  // The unsigned form was folded with a placeholder b= value: a shorter signature might let
  // bh= and b= share a line where the placeholder did not.
  if (signature.length < PLACEHOLDER.length || unsigned.indexOf(' ', lineStart) !== -1) return undefined;
  let out = unsigned;
  let at = 0;
  let room = max - (unsigned.length - lineStart);
  while (signature.length - at > room) {
    out += `${signature.slice(at, at + room)}\r\n `;
    at += room;
    room = max;
  }
  return `${out}${signature.slice(at)}\r\n`;
}

/**
 * dkimpy's `fold()` as it was when RFC 8463 A.3 was generated: break at the last space
 * that keeps each line within 72 columns less the field name's length, or hard at that
 * width where there is none (inside b=).
 */
function fold(value: string, nameLength: number): string {
  const max = 72 - nameLength;
  if (value.length <= max) return value;
  // By index over the one string, joined once: no slice of a slice per line.
  const lines: string[] = [];
  let start = 0;
  while (value.length - start > max) {
    const space = value.lastIndexOf(' ', start + max - 1);
    if (space < start) {
      lines.push(value.slice(start, start + max));
      start += max;
    } else {
      lines.push(value.slice(start, space));
      start = space + 1;
    }
  }
  lines.push(value.slice(start));
  return lines.join('\r\n ');
}

/** A DKIM-Signature field's tags, checked (RFC 6376 §3.5, §6.1.1). */
export interface ParsedSignature {
  readonly version: string;
  readonly algorithm: string;
  readonly signature: Uint8Array;
  /** The b= text with whitespace removed (for Authentication-Results header.b). */
  readonly signatureText: string;
  readonly bodyHash: Uint8Array;
  readonly headerCanonicalization: Canonicalization;
  readonly bodyCanonicalization: Canonicalization;
  readonly sdid: string;
  readonly selector: string;
  readonly headerNames: readonly string[];
  readonly auid: string;
  readonly bodyLength?: number;
  readonly timestamp?: number;
  readonly expiration?: number;
}

/** Either the parsed signature or why it cannot be evaluated (with whatever tags were readable). */
export type ParseSignatureResult =
  | { readonly ok: true; readonly signature: ParsedSignature }
  | {
      readonly ok: false;
      readonly reason: string;
      readonly sdid?: string;
      readonly selector?: string;
      readonly algorithm?: string;
    };

const DIGITS = /^[0-9]{1,76}$/;
const BASE64 = /^[A-Za-z0-9+/]*={0,2}$/;

/** Parses the value of a DKIM-Signature field (the bytes after the colon). */
export function parseSignature(value: string): ParseSignatureResult {
  const parsed = parseTagList(value);
  if (!parsed.ok) return { ok: false, reason: `signature syntax: ${parsed.reason}` };
  const tags = parsed.tags;
  const sdid = tags.get('d');
  const selector = tags.get('s');
  const algorithm = tags.get('a');
  const fail = (reason: string): ParseSignatureResult => ({
    ok: false,
    reason,
    ...(sdid === undefined ? {} : { sdid }),
    ...(selector === undefined ? {} : { selector }),
    ...(algorithm === undefined ? {} : { algorithm }),
  });
  // §6.1.1: v, a, b, bh, d, h, s are required.
  for (const tag of ['v', 'a', 'b', 'bh', 'd', 'h', 's']) {
    if (!tags.has(tag)) return fail(`signature lacks required tag ${tag}=`);
  }
  if (tags.get('v') !== '1') return fail(`unsupported signature version v=${tags.get('v')}`);
  if (sdid === undefined || selector === undefined || algorithm === undefined) return fail('unreachable');
  const b = stripFws(tags.get('b') ?? '');
  const bh = stripFws(tags.get('bh') ?? '');
  if (!BASE64.test(b) || b === '') return fail('b= is not base64');
  if (!BASE64.test(bh) || bh === '') return fail('bh= is not base64');
  const c = (tags.get('c') ?? 'simple').toLowerCase();
  const [hc, bc = 'simple'] = c.split('/');
  if (!isCanon(hc) || !isCanon(bc)) return fail(`unknown canonicalization c=${c}`);
  const q = tags.get('q');
  if (
    q !== undefined &&
    !stripFws(q)
      .split(':')
      .some((m) => m.toLowerCase() === 'dns/txt')
  ) {
    return fail(`unsupported query method q=${q}`);
  }
  const headerNames = stripFws(tags.get('h') ?? '')
    .split(':')
    .map((h) => h.toLowerCase());
  if (headerNames.some((h) => h === '')) return fail('h= has an empty header name');
  const auidRaw = tags.get('i');
  const auid = auidRaw === undefined ? `@${sdid}` : stripFws(auidRaw);
  const numberTag = (name: string): number | undefined | null => {
    const v = tags.get(name);
    if (v === undefined) return undefined;
    const s = stripFws(v);
    return DIGITS.test(s) ? Number(s) : null;
  };
  const l = numberTag('l');
  const t = numberTag('t');
  const x = numberTag('x');
  if (l === null) return fail('l= is not a number');
  if (t === null) return fail('t= is not a number');
  if (x === null) return fail('x= is not a number');
  return {
    ok: true,
    signature: {
      version: '1',
      algorithm: algorithm.toLowerCase(),
      signature: Buffer.from(b, 'base64'),
      signatureText: b,
      bodyHash: Buffer.from(bh, 'base64'),
      headerCanonicalization: hc,
      bodyCanonicalization: bc,
      sdid,
      selector,
      headerNames,
      auid,
      ...(l === undefined ? {} : { bodyLength: l }),
      ...(t === undefined ? {} : { timestamp: t }),
      ...(x === undefined ? {} : { expiration: x }),
    },
  };
}

function isCanon(value: string | undefined): value is Canonicalization {
  return value === 'simple' || value === 'relaxed';
}

/**
 * The field with the b= tag's value deleted (RFC 6376 §3.7: "including all surrounding
 * whitespace"), and without its final CRLF: the exact input to the header hash.
 */
export function blankSignatureValue(raw: Uint8Array): Uint8Array {
  const text = latin1(raw);
  let end = text.length;
  if (text.endsWith('\r\n')) end -= 2;
  const colon = text.indexOf(':');
  let segmentStart = colon + 1;
  while (segmentStart <= end) {
    let segmentEnd = text.indexOf(';', segmentStart);
    if (segmentEnd === -1 || segmentEnd > end) segmentEnd = end;
    const eq = text.indexOf('=', segmentStart);
    if (eq !== -1 && eq < segmentEnd && text.slice(segmentStart, eq).replace(/[ \t\r\n]+/g, '') === 'b') {
      const out = new Uint8Array(eq + 1 + (end - segmentEnd));
      out.set(raw.subarray(0, eq + 1), 0);
      out.set(raw.subarray(segmentEnd, end), eq + 1);
      return out;
    }
    segmentStart = segmentEnd + 1;
  }
  return raw.subarray(0, end);
}
