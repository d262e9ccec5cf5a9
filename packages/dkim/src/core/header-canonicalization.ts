/** Header canonicalisation, RFC 6376 §3.4.1 (simple) and §3.4.2 (relaxed), over bytes. */
import type { Canonicalization } from './body-canonicalizer';
import { COLON, CR, HTAB, LF, SP } from './bytes';

/**
 * Canonicalises one header field. `raw` is the field as it appears (ending with CRLF, or
 * without it for the DKIM-Signature field being signed/verified, §3.7).
 * 8-bit bytes pass through unchanged: only ASCII letters of the name are lower-cased.
 * @example
 * ```ts
 * const field = new TextEncoder().encode('Subject :  Hello \r\n   world\r\n');
 * canonicalizeHeader(field, 'relaxed'); // bytes of "subject:Hello world\r\n"
 * ```
 */
export function canonicalizeHeader(raw: Uint8Array, canonicalization: Canonicalization): Uint8Array {
  if (canonicalization === 'simple') return raw;
  const out = new Uint8Array(raw.byteLength + 2);
  return out.subarray(0, canonicalizeHeaderInto(raw, canonicalization, out, 0));
}

/**
 * {@link canonicalizeHeader} written into `out` at `at` (room for `raw.byteLength + 2` bytes
 * is enough); returns where it ended. Lets a caller build the whole header hash input in one
 * array.
 * @internal
 */
export function canonicalizeHeaderInto(
  raw: Uint8Array,
  canonicalization: Canonicalization,
  out: Uint8Array,
  at: number,
): number {
  if (canonicalization === 'simple') {
    out.set(raw, at);
    return at + raw.byteLength;
  }
  return relaxedHeaderInto(raw, out, at);
}

function relaxedHeaderInto(raw: Uint8Array, out: Uint8Array, at: number): number {
  const n = raw.byteLength;
  let o = at;
  let i = 0;
  const hasCrlfEnd = n >= 2 && raw[n - 2] === CR && raw[n - 1] === LF;
  const end = hasCrlfEnd ? n - 2 : n;
  // Name: lower-case, drop whitespace before the colon.
  for (; i < end && raw[i] !== COLON; i++) {
    const b = raw[i];
    if (b === SP || b === HTAB || b === CR || b === LF) continue;
    out[o++] = b >= 0x41 && b <= 0x5a ? b + 0x20 : b;
  }
  if (i < end) out[o++] = raw[i++];
  // Value: unfold, collapse WSP runs to one SP, drop leading and trailing WSP.
  let pendingSpace = false;
  let started = false;
  for (; i < end; i++) {
    const b = raw[i];
    if (b === CR || b === LF) continue;
    if (b === SP || b === HTAB) {
      pendingSpace = started;
      continue;
    }
    if (pendingSpace) {
      out[o++] = SP;
      pendingSpace = false;
    }
    out[o++] = b;
    started = true;
  }
  if (hasCrlfEnd) {
    out[o++] = CR;
    out[o++] = LF;
  }
  return o;
}
