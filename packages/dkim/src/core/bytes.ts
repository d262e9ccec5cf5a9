/** Byte constants and small helpers shared by the canonicalisers and parsers. */

/** Carriage return. */
export const CR = 0x0d;
/** Line feed. */
export const LF = 0x0a;
/** Space. */
export const SP = 0x20;
/** Horizontal tab. */
export const HTAB = 0x09;
/** Colon. */
export const COLON = 0x3a;

/** `\r\n` repeated, so runs of withheld empty lines go to the hash in one call. */
export const CRLF_RUN: Uint8Array = new Uint8Array(512).map((_, i) => (i % 2 === 0 ? CR : LF));
/** `\r\n`. */
export const CRLF: Uint8Array = CRLF_RUN.subarray(0, 2);

/**
 * UTF-8 encodes `text` (header text we build is ASCII; i= may carry UTF-8 per RFC 8616).
 * `Buffer.from` takes small strings from Node's pool: ten times faster than TextEncoder.
 */
export function utf8(text: string): Uint8Array {
  return Buffer.from(text, 'utf8');
}

/** Decodes bytes as Latin-1 (one char per byte): lossless for parsing ASCII syntax in 8-bit headers. */
export function latin1(bytes: Uint8Array): string {
  return Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength).toString('latin1');
}

/** A `Buffer` view of `bytes` (no copy), for native `indexOf`. */
export function asBuffer(bytes: Uint8Array): Buffer {
  return Buffer.isBuffer(bytes) ? bytes : Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength);
}

/** Concatenates byte arrays into one. */
export function concatBytes(parts: readonly Uint8Array[]): Uint8Array {
  let length = 0;
  for (const part of parts) length += part.byteLength;
  const out = new Uint8Array(length);
  let offset = 0;
  for (const part of parts) {
    out.set(part, offset);
    offset += part.byteLength;
  }
  return out;
}
