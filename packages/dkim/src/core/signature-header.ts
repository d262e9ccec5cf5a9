/**
 * The DKIM-Signature header field (RFC 6376 §3.5): building it for signing, parsing and
 * validating it for verification, and blanking its b= value (§3.7).
 */
import type { Canonicalization } from './body-canonicalizer';
import { latin1 } from './bytes';
import { parseTagList, stripFws } from './tag-list';

/** Lines of the generated field stay within RFC 5322 §2.1.1's 78 characters. */
const LINE = 78;

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

/**
 * Formats the field with an empty b= (the form that is hashed, §3.7), folded between
 * tags and between header names. Tags come in the order dkimpy (and RFC 8463 A.3) use:
 * v a c d i l q s t x h bh b; h= names are joined with " : " as in RFC 8463 A.3.
 */
export function formatSignatureField(fields: SignatureFields): string {
  const atoms: string[] = [
    'v=1;',
    `a=${fields.algorithm};`,
    `c=${fields.headerCanonicalization}/${fields.bodyCanonicalization};`,
    `d=${fields.sdid};`,
  ];
  if (fields.auid !== undefined) atoms.push(`i=${fields.auid};`);
  if (fields.bodyLength !== undefined) atoms.push(`l=${fields.bodyLength};`);
  atoms.push('q=dns/txt;', `s=${fields.selector};`);
  if (fields.timestamp !== undefined) atoms.push(`t=${fields.timestamp};`);
  if (fields.expiration !== undefined) atoms.push(`x=${fields.expiration};`);
  const names = fields.headerNames;
  for (let i = 0; i < names.length; i++) {
    const last = i === names.length - 1;
    atoms.push(`${i === 0 ? 'h=' : ''}${names[i]}${last ? ';' : ''}`);
    if (!last) atoms.push(':');
  }
  atoms.push(`bh=${fields.bodyHash};`);
  let text = 'DKIM-Signature:';
  let column = text.length;
  for (const atom of atoms) {
    if (column + 1 + atom.length > LINE) {
      text += `\r\n ${atom}`;
      column = 1 + atom.length;
    } else {
      text += ` ${atom}`;
      column += 1 + atom.length;
    }
  }
  // b= starts its own line so adding the value never refolds the tags before it.
  return `${text}\r\n b=`;
}

/** Appends the base64 signature to a field from {@link formatSignatureField}, folded. */
export function appendSignatureValue(unsigned: string, signature: string): string {
  let out = unsigned;
  let room = LINE - 3;
  let i = 0;
  while (i < signature.length) {
    if (i > 0) {
      out += '\r\n ';
      room = LINE - 1;
    }
    out += signature.slice(i, i + room);
    i += room;
  }
  return `${out}\r\n`;
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
