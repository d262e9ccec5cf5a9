/**
 * Incremental parser for the header section at the start of a message (RFC 5322 §2.2),
 * fed the message stream chunk by chunk. It stops at the empty line and reports where
 * in the current chunk the body begins, so the body can be streamed on without copying.
 * Bare CR and bare LF line ends are normalised to CRLF (RFC 6376 §3.4 canonicalises
 * CRLF lines; this is what a compliant MTA transmits).
 */
import { findIrregular } from './body-scan';
import { asBuffer, COLON, CR, HTAB, LF, SP } from './bytes';

const HEADER_END = Buffer.from('\r\n\r\n');

/** One header field as it appears in the message, folding and all. */
export interface HeaderField {
  /** Lower-cased field name (ASCII case-folding only); `''` for a line without a colon. */
  readonly name: string;
  /** The field's bytes, continuation lines included, ending with CRLF. */
  readonly raw: Uint8Array;
}

/** Largest buffer a decoder keeps from one message to the next. */
const KEPT_BUFFER_BYTES = 64 * 1024;

/** Default bound on the header section: a message without an empty line must not fill memory. */
export const DEFAULT_MAX_HEADER_BYTES = 1024 * 1024;

/** Feeds message bytes until the header section is complete. */
export class HeaderSectionDecoder {
  #buffer = new Uint8Array(0);
  #length = 0;
  #atLineStart = true;
  #crPending = false;
  #done = false;
  readonly #maxBytes: number;

  constructor(maxBytes: number = DEFAULT_MAX_HEADER_BYTES) {
    this.#maxBytes = maxBytes;
  }

  /**
   * Makes the decoder ready for the next message. It keeps its buffer unless that grew
   * large; fields returned for the last message become invalid.
   */
  reset(): void {
    if (this.#buffer.byteLength > KEPT_BUFFER_BYTES) this.#buffer = new Uint8Array(0);
    this.#length = 0;
    this.#atLineStart = true;
    this.#crPending = false;
    this.#done = false;
  }

  /** True once the empty line (or the end of input) has been seen. */
  get done(): boolean {
    return this.#done;
  }

  /**
   * Consumes `chunk`. Returns the offset in `chunk` where the body starts once the header
   * section has ended, or -1 when more input is needed. Throws `RangeError` past the bound.
   */
  feed(chunk: Uint8Array): number {
    if (this.#done) return 0;
    const n = chunk.byteLength;
    if (this.#length === 0 && this.#atLineStart && !this.#crPending && chunk[0] !== CR && chunk[0] !== LF) {
      // Common case: the whole header section is in the first chunk, CRLF throughout.
      const end = asBuffer(chunk).indexOf(HEADER_END);
      if (end > 0 && end + 2 <= this.#maxBytes && findIrregular(chunk, 0, end + 2, false) === -1) {
        if (this.#buffer.byteLength < end + 2) this.#buffer = new Uint8Array(Math.max(4096, end + 2));
        this.#buffer.set(chunk.subarray(0, end + 2));
        this.#length = end + 2;
        this.#done = true;
        return end + 4;
      }
    }
    for (let i = 0; i < n; i++) {
      const b = chunk[i];
      if (this.#crPending) {
        this.#crPending = false;
        if (b === LF) {
          if (this.#lineEnd()) return i + 1;
          continue;
        }
        if (this.#lineEnd()) return i;
      }
      if (b === CR) {
        this.#crPending = true;
      } else if (b === LF) {
        if (this.#lineEnd()) return i + 1;
      } else {
        this.#push(b);
        this.#atLineStart = false;
      }
    }
    return -1;
  }

  /** Ends input: a message with no empty line is all header (and an empty body). */
  finish(): void {
    if (this.#done) return;
    if (this.#crPending || !this.#atLineStart) {
      this.#crPending = false;
      this.#push(CR);
      this.#push(LF);
    }
    this.#done = true;
  }

  /** The header section's bytes, CRLF-normalised, without the empty line. */
  bytes(): Uint8Array {
    return this.#buffer.subarray(0, this.#length);
  }

  /** The header fields, top to bottom. */
  fields(): HeaderField[] {
    return splitHeaderFields(this.bytes());
  }

  /** Returns true when the line just ended was the empty line. */
  #lineEnd(): boolean {
    if (this.#atLineStart) {
      this.#done = true;
      return true;
    }
    this.#push(CR);
    this.#push(LF);
    this.#atLineStart = true;
    return false;
  }

  #push(b: number): void {
    if (this.#length === this.#buffer.byteLength) {
      if (this.#length >= this.#maxBytes) {
        throw new RangeError(`header section exceeds ${this.#maxBytes} bytes`);
      }
      const bigger = new Uint8Array(Math.min(this.#maxBytes + 2, Math.max(4096, this.#length * 2)));
      bigger.set(this.#buffer);
      this.#buffer = bigger;
    }
    this.#buffer[this.#length++] = b;
  }
}

/** Splits a CRLF-normalised header section into fields (a line starting with WSP continues one). */
export function splitHeaderFields(section: Uint8Array): HeaderField[] {
  const fields: HeaderField[] = [];
  const n = section.byteLength;
  let start = 0;
  let i = 0;
  while (i < n) {
    // Find the end of this line.
    let e = i;
    while (e < n && section[e] !== LF) e++;
    const next = e + 1;
    const following = section[next];
    if (next >= n || (following !== SP && following !== HTAB)) {
      fields.push(makeField(section.subarray(start, Math.min(next, n))));
      start = next;
    }
    i = next;
  }
  return fields;
}

function makeField(raw: Uint8Array): HeaderField {
  const colon = raw.indexOf(COLON);
  if (colon === -1) return { name: '', raw };
  let end = colon;
  while (end > 0 && (raw[end - 1] === SP || raw[end - 1] === HTAB)) end--;
  return { name: lowerCaseName(raw, end), raw };
}

/**
 * The field name with ASCII letters lower-cased, other bytes as Latin-1 (one char each).
 * Names are short: building the string here beats a Buffer round trip and `toLowerCase()`
 * (which would also fold non-ASCII letters).
 */
function lowerCaseName(raw: Uint8Array, end: number): string {
  let name = '';
  for (let i = 0; i < end; i++) {
    const b = raw[i];
    name += String.fromCharCode(b >= 0x41 && b <= 0x5a ? b + 0x20 : b);
  }
  return name;
}
