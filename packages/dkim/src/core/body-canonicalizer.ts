/**
 * Streaming body canonicalisation, RFC 6376 §3.4.3 (simple) and §3.4.4 (relaxed), over
 * bytes. Output goes to a sink (a hash's `update`) in the largest subarrays possible:
 * verbatim runs of the input are passed through without copying; only changed bytes (a
 * collapsed space, a normalised line end, withheld empty lines) are written separately.
 *
 * Line ends: a bare CR or bare LF counts as CRLF, so what is hashed is what a compliant
 * MTA puts on the wire. Empty lines at the end of the body are withheld until content
 * follows and dropped at the end (§3.4.3, §3.4.4).
 */

import { findIrregular } from './body-scan';
import { CR, CRLF, CRLF_RUN, HTAB, LF, SP, SPACE } from './bytes';

/** The two body canonicalisation algorithms of RFC 6376 §3.4. */
export type Canonicalization = 'simple' | 'relaxed';

/** Receives canonical body bytes; the array is only valid during the call. */
export type ByteSink = (bytes: Uint8Array) => void;

/**
 * Canonicalises a body fed in arbitrary chunks. `write` any number of times, then `end`
 * once. The output is identical however the input is split.
 */
export class BodyCanonicalizer {
  readonly #relaxed: boolean;
  readonly #sink: ByteSink;
  #chunk: Uint8Array = CRLF;
  #runStart = -1;
  #runEnd = -1;
  /** Line ends seen but not yet emitted (they may be trailing empty lines). */
  #crlfPending = 0;
  /** Where those line ends sit in the current chunk as real CRLFs, contiguous; else -1. */
  #crlfRealStart = -1;
  /** The previous byte was a CR (possibly at the end of the previous chunk). */
  #crPending = false;
  /** Relaxed: whitespace seen in the current line, not yet emitted. */
  #wspPending = false;
  /** Where that whitespace began in the current chunk, or -1. */
  #wspStart = -1;
  #emittedAny = false;
  #ended = false;
  /** Canonical bytes produced so far. */
  length = 0;

  constructor(canonicalization: Canonicalization, sink: ByteSink) {
    this.#relaxed = canonicalization === 'relaxed';
    this.#sink = sink;
  }

  /** Feeds the next piece of the body. */
  write(chunk: Uint8Array): void {
    if (this.#ended) throw new TypeError('BodyCanonicalizer.write() after end()');
    const n = chunk.byteLength;
    if (n === 0) return;
    this.#chunk = chunk;
    this.#crlfRealStart = -1;
    this.#wspStart = -1;
    let pos = 0;
    if (this.#crPending || this.#wspPending) pos = this.#slow(0, 0);
    while (pos < n) {
      const k = findIrregular(chunk, pos, n, this.#relaxed);
      if (k === -1) {
        this.#fast(pos, n);
        break;
      }
      // Hand the whole lines before the irregular one to the fast path.
      let lineStart = k > pos ? lastLf(chunk, k - 1, pos) + 1 : pos;
      if (lineStart < pos) lineStart = pos;
      if (lineStart > pos) this.#fast(pos, lineStart);
      pos = this.#slow(lineStart, k);
    }
    this.#flushRun();
    this.#chunk = CRLF;
  }

  /** Ends the body: emits the final CRLF as §3.4.3/§3.4.4 require. */
  end(): void {
    if (this.#ended) return;
    this.#ended = true;
    this.#crPending = false;
    this.#wspPending = false;
    // simple: an empty body is CRLF, and a body not ending in CRLF gets one (§3.4.3).
    // relaxed: an empty body stays empty (RFC 6376 errata 1384); otherwise one CRLF.
    if (!this.#relaxed || this.#emittedAny) this.#emit(CRLF);
  }

  /** Handles a region known to be canonical already, except its trailing line ends/space. */
  #fast(s: number, e: number): void {
    const c = this.#chunk;
    let end = e;
    let trailingSpace = -1;
    if (this.#relaxed && c[end - 1] === SP) {
      end--;
      trailingSpace = end;
    }
    let trailing = 0;
    while (end - 2 >= s && c[end - 1] === LF && c[end - 2] === CR) {
      end -= 2;
      trailing++;
    }
    let f = s;
    while (f + 1 < end && c[f] === CR && c[f + 1] === LF) {
      this.#lineEndReal(f);
      f += 2;
    }
    if (f < end) {
      this.#flushLineEnds(f);
      this.#emitRange(f, end);
    }
    for (let i = 0; i < trailing; i++) this.#lineEndReal(end + 2 * i);
    if (trailingSpace !== -1) {
      this.#wspPending = true;
      this.#wspStart = trailingSpace;
    }
  }

  /**
   * Byte-by-byte from `i` until the first line end at or after `stopAt` has been consumed
   * (or the chunk ends). Returns where it stopped.
   */
  #slow(i: number, stopAt: number): number {
    const c = this.#chunk;
    const n = c.byteLength;
    const relaxed = this.#relaxed;
    while (i < n) {
      const b = c[i];
      if (this.#crPending) {
        this.#crPending = false;
        if (b === LF) {
          if (i > 0) this.#lineEndReal(i - 1);
          else this.#lineEndSynthetic();
          i++;
        } else {
          this.#lineEndSynthetic();
        }
        if (i > stopAt) return i;
        continue;
      }
      if (b === CR) {
        this.#crPending = true;
      } else if (b === LF) {
        this.#lineEndSynthetic();
        if (i >= stopAt) return i + 1;
      } else if (relaxed && (b === SP || b === HTAB)) {
        if (!this.#wspPending) {
          this.#wspPending = true;
          this.#wspStart = i;
        }
      } else {
        this.#content(i);
      }
      i++;
    }
    return i;
  }

  /** Emits byte `i` as line content, after any withheld line ends and whitespace. */
  #content(i: number): void {
    const c = this.#chunk;
    if (this.#wspPending) {
      const w = this.#wspStart;
      this.#flushLineEnds(w === -1 ? i : w);
      if (w !== -1 && i - w === 1 && c[w] === SP) {
        this.#emitRange(w, i + 1);
      } else {
        this.#emit(SPACE);
        this.#emitRange(i, i + 1);
      }
      this.#wspPending = false;
      this.#wspStart = -1;
    } else {
      this.#flushLineEnds(i);
      this.#emitRange(i, i + 1);
    }
  }

  #lineEndReal(p: number): void {
    this.#wspPending = false;
    if (this.#crlfPending === 0) this.#crlfRealStart = p;
    else if (this.#crlfRealStart === -1 || this.#crlfRealStart + 2 * this.#crlfPending !== p) {
      this.#crlfRealStart = -1;
    }
    this.#crlfPending++;
  }

  #lineEndSynthetic(): void {
    this.#wspPending = false;
    this.#crlfRealStart = -1;
    this.#crlfPending++;
  }

  /** Content follows: the withheld line ends were not trailing after all. */
  #flushLineEnds(at: number): void {
    let count = this.#crlfPending;
    if (count === 0) return;
    this.#crlfPending = 0;
    const start = this.#crlfRealStart;
    this.#crlfRealStart = -1;
    if (start !== -1 && start + 2 * count === at) {
      this.#emitRange(start, at);
      return;
    }
    while (count > 0) {
      const take = Math.min(count, CRLF_RUN.byteLength >>> 1);
      this.#emit(CRLF_RUN.subarray(0, take * 2));
      count -= take;
    }
  }

  #emitRange(a: number, b: number): void {
    this.#emittedAny = true;
    if (this.#runStart !== -1 && this.#runEnd === a) {
      this.#runEnd = b;
      return;
    }
    this.#flushRun();
    this.#runStart = a;
    this.#runEnd = b;
  }

  #emit(bytes: Uint8Array): void {
    this.#flushRun();
    this.#emittedAny = true;
    this.length += bytes.byteLength;
    this.#sink(bytes);
  }

  #flushRun(): void {
    if (this.#runStart === -1) return;
    const part = this.#chunk.subarray(this.#runStart, this.#runEnd);
    this.#runStart = -1;
    this.length += part.byteLength;
    this.#sink(part);
  }
}

function lastLf(c: Uint8Array, from: number, floor: number): number {
  for (let i = from; i >= floor; i--) if (c[i] === LF) return i;
  return floor - 1;
}

/** Canonicalises a whole body held in memory (tests, small messages). */
export function canonicalizeBody(body: Uint8Array, canonicalization: Canonicalization): Uint8Array {
  const parts: Uint8Array[] = [];
  const canon = new BodyCanonicalizer(canonicalization, (bytes) => parts.push(bytes.slice()));
  canon.write(body);
  canon.end();
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
