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

import {
  beginRetaining,
  holdRetained,
  isRetaining,
  loadChunk,
  releaseRetained,
  retainAndScanSimple,
  retainedRoom,
  rewrite,
  SIMD_SCAN_CAPACITY,
  scanIrregular,
  stopRetaining,
} from './body-scan-simd';
import { CR, CRLF, CRLF_RUN, concatBytes, HTAB, LF, SP } from './bytes';

/** The two body canonicalisation algorithms of RFC 6376 §3.4. */
export type Canonicalization = 'simple' | 'relaxed';

/** Receives canonical body bytes; the array is only valid during the call. */
export type ByteSink = (bytes: Uint8Array) => void;

/**
 * A sink that can go back to a saved point, such as a hash whose state can be copied. Given
 * one, a simple-canonicalisation canonicaliser hashes a chunk of a large body before
 * scanning it, which is cheaper on bytes not in the CPU's cache yet; where the scan then
 * finds a bare CR or LF, it restores the sink and writes again from the saved point.
 * `update` may write to another canonicaliser: that one then scans before it hashes.
 */
export interface RewindableSink {
  update(bytes: Uint8Array): void;
  /** Saves the current state, replacing any saved before. */
  save(): void;
  /** Returns to the state saved last (called at most once per save). */
  restore(): void;
}

/** Runs shorter than this are copied into the scratch buffer instead of hashed in place. */
const COPY_LIMIT = 512;
const SCRATCH_BYTES = 16 * 1024;
const EMPTY = new Uint8Array(0);
/**
 * Scratch buffers of ended canonicalisers, for the next ones: a signer makes a canonicaliser
 * per message, and a new 16 KiB buffer each time (zeroed, then swept) costs more than hashing
 * a small message's body.
 */
const spareScratch: Uint8Array[] = [];
const MAX_SPARE_SCRATCH = 8;

function takeScratch(): Uint8Array {
  return spareScratch.pop() ?? new Uint8Array(SCRATCH_BYTES);
}

/** Largest piece processed at once. */
const WINDOW = SIMD_SCAN_CAPACITY;

/**
 * Bodies shorter than this never hash before scanning. A checkpoint (a copy of the hash
 * state) costs about 2.5 µs, as much as hashing 4 KiB, and buys nothing where the chunks are
 * in the CPU's cache already (fresh from a socket): past 256 KiB it costs under 1%.
 */
const SPECULATE_AFTER = 256 * 1024;
/** Hashing before scanning: not in this message, may begin, holding the retained area. */
const SPECULATION_OFF = 0;
const SPECULATION_READY = 1;
const SPECULATION_HOLDING = 2;

/**
 * Canonicalises a body fed in arbitrary chunks. `write` any number of times, then `end`
 * once. The output is identical however the input is split.
 * @example
 * ```ts
 * const hash = createHash('sha256');
 * const canon = new BodyCanonicalizer('relaxed', (bytes) => hash.update(bytes));
 * for await (const chunk of body) canon.write(chunk);
 * canon.end();
 * const bh = hash.digest('base64'); // the bh= tag
 * ```
 */
export class BodyCanonicalizer {
  readonly #relaxed: boolean;
  readonly #sink: ByteSink;
  readonly #rewindable: RewindableSink | undefined;
  /** Identifies this canonicaliser as the holder of the retained area (kept small: the module keeps it). */
  readonly #token = {};
  #speculation: number;
  /** The last chunk needed no careful path. */
  #regular = false;
  /** The state at the checkpoint (the rewindable sink's saved point). */
  #savedCrlfPending = 0;
  #savedCrPending = false;
  #savedEmittedAny = false;
  #savedLength = 0;
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
  #emittedAny = false;
  #ended = false;
  /** Allocated on first use: a regular body passes through without it. */
  #scratch: Uint8Array = EMPTY;
  #scratchLength = 0;
  /** Canonical bytes produced so far. */
  length = 0;

  constructor(canonicalization: Canonicalization, sink: ByteSink | RewindableSink) {
    this.#relaxed = canonicalization === 'relaxed';
    if (typeof sink === 'function') {
      this.#sink = sink;
      this.#rewindable = undefined;
    } else {
      this.#sink = (bytes) => sink.update(bytes);
      this.#rewindable = sink;
    }
    // Relaxed changes far more than line ends: a speculative hash would fail too often.
    this.#speculation =
      this.#rewindable !== undefined && !this.#relaxed ? SPECULATION_READY : SPECULATION_OFF;
  }

  /** Feeds the next piece of the body. */
  write(chunk: Uint8Array): void {
    if (this.#ended) throw new TypeError('BodyCanonicalizer.write() after end()');
    const n = chunk.byteLength;
    if (n === 0) return;
    if (n > WINDOW) {
      // Native scans run to the end of the array they are given: bound them, so a whole
      // message passed as one array is still processed in linear time.
      for (let i = 0; i < n; i += WINDOW) this.write(chunk.subarray(i, i + WINDOW));
      return;
    }
    if (this.#speculation !== SPECULATION_OFF && this.#speculate(chunk)) return;
    this.#scanThenWrite(chunk);
  }

  /** Canonicalises a chunk of at most WINDOW bytes: scans it, then hashes it. */
  #scanThenWrite(chunk: Uint8Array): void {
    const n = chunk.byteLength;
    this.#chunk = chunk;
    this.#crlfRealStart = -1;
    loadChunk(chunk);
    let pos = 0;
    this.#regular = !this.#crPending && !this.#wspPending;
    if (!this.#regular) pos = this.#slow(0, 0);
    while (pos < n) {
      const k = scanIrregular(chunk, pos, this.#relaxed);
      if (k === -1) {
        this.#fast(pos, n);
        break;
      }
      this.#regular = false;
      // Hand the whole lines before the irregular one to the fast path.
      let lineStart = k > pos ? lastLf(chunk, k - 1, pos) + 1 : pos;
      if (lineStart < pos) lineStart = pos;
      if (lineStart > pos) this.#fast(pos, lineStart);
      // When irregular lines come close together, stay on the careful path for a while:
      // restarting the scan per short line costs more than it saves.
      pos = this.#slow(lineStart, k - pos < 1024 ? k + 8192 : k);
    }
    this.#flushRun();
    this.#chunk = CRLF;
  }

  /**
   * Simple canonicalisation of a large body: hashes the chunk as if it were canonical (but for
   * its trailing line ends, withheld as usual), then copies it into the retained area and
   * scans it there. The hash has brought the chunk into the CPU's cache, so the copy and the
   * scan cost a third of what they cost before it. If the scan finds a bare CR or LF, the
   * sink goes back to the checkpoint and everything since is written the careful way.
   * Returns false when it did not take the chunk.
   */
  #speculate(chunk: Uint8Array): boolean {
    if (!this.#regular || this.length < SPECULATE_AFTER) return false;
    const n = chunk.byteLength;
    if (this.#speculation === SPECULATION_HOLDING && !isRetaining(this.#token)) {
      // Another canonicaliser has begun retaining: the bytes since the checkpoint are gone.
      this.#speculation = SPECULATION_OFF;
      return false;
    }
    if (this.#speculation !== SPECULATION_HOLDING || !retainedRoom(n)) this.#checkpoint();
    if (this.#speculation !== SPECULATION_HOLDING) return false;
    let start = 0;
    const crBefore = this.#crPending;
    if (crBefore) {
      // The last chunk ended in CR: that CR, with this chunk's LF if it starts with one, is a
      // line end (§3.4: a bare CR counts as one too).
      this.#crPending = false;
      this.#crlfPending++;
      if (chunk[0] === LF) start = 1;
    }
    // A CR at the very end may have its LF in the next chunk: hold it back.
    const finalCr = n - 1 >= start && chunk[n - 1] === CR;
    const end = finalCr ? n - 1 : n;
    this.#chunk = chunk;
    this.#crlfRealStart = -1;
    holdRetained(true);
    try {
      if (start < end) this.#fast(start, end);
      this.#flushRun();
    } finally {
      holdRetained(false);
    }
    this.#chunk = CRLF;
    if (finalCr) this.#crPending = true;
    const k = retainAndScanSimple(chunk, crBefore);
    // The scan flags a CR at the very end (its LF is not in the chunk): held back above.
    if (k === -1 || (k === n - 1 && finalCr)) return true;
    this.#rewind(n);
    this.#scanThenWrite(chunk);
    return true;
  }

  /** Saves the sink and this state, and begins retaining the chunks hashed from here. */
  #checkpoint(): void {
    if (!beginRetaining(this.#token)) {
      this.#speculation = SPECULATION_OFF;
      return;
    }
    this.#flushScratch();
    (this.#rewindable as RewindableSink).save();
    this.#savedCrlfPending = this.#crlfPending;
    this.#savedCrPending = this.#crPending;
    this.#savedEmittedAny = this.#emittedAny;
    this.#savedLength = this.length;
    this.#speculation = SPECULATION_HOLDING;
  }

  /**
   * Back to the checkpoint: restores the sink and this state, then writes the chunks retained
   * since, but the last `exceptLast` bytes, the careful way. Speculation ends for this body.
   */
  #rewind(exceptLast: number): void {
    const earlier = releaseRetained(exceptLast);
    (this.#rewindable as RewindableSink).restore();
    this.#scratchLength = 0;
    this.#crlfPending = this.#savedCrlfPending;
    this.#crPending = this.#savedCrPending;
    this.#emittedAny = this.#savedEmittedAny;
    this.length = this.#savedLength;
    this.#speculation = SPECULATION_OFF;
    for (let i = 0; i < earlier.byteLength; i += WINDOW) this.#scanThenWrite(earlier.subarray(i, i + WINDOW));
  }

  /** Ends the body: emits the final CRLF as §3.4.3/§3.4.4 require. */
  end(): void {
    if (this.#ended) return;
    this.#ended = true;
    stopRetaining(this.#token);
    this.#crPending = false;
    this.#wspPending = false;
    // simple: an empty body is CRLF, and a body not ending in CRLF gets one (§3.4.3).
    // relaxed: an empty body stays empty (RFC 6376 errata 1384); otherwise one CRLF.
    if (!this.#relaxed || this.#emittedAny) this.#emit(CRLF);
    this.#flushScratch();
    // Done with it: the next message's canonicaliser takes it (a sink never keeps the bytes).
    if (this.#scratch !== EMPTY) {
      if (spareScratch.length < MAX_SPARE_SCRATCH) spareScratch.push(this.#scratch);
      this.#scratch = EMPTY;
    }
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
    if (trailingSpace !== -1) this.#wspPending = true;
  }

  /**
   * Byte-by-byte from `i` until the first line end at or after `stopAt` has been consumed
   * (or the chunk ends), writing the canonical bytes straight into the scratch buffer.
   * Returns where it stopped. The same loop runs in WebAssembly where available
   * (`rewrite`, three times faster); this one is the fallback.
   */
  #slow(i: number, stopAt: number): number {
    this.#flushRun();
    const r = rewrite(
      this.#chunk,
      i,
      stopAt,
      this.#relaxed,
      this.#crPending,
      this.#wspPending,
      this.#crlfPending,
      this.#put,
    );
    if (r !== undefined) {
      this.#crPending = r.crPending;
      this.#wspPending = r.wspPending;
      this.#crlfPending = r.crlfPending;
      if (r.emitted) this.#emittedAny = true;
      this.#crlfRealStart = -1;
      return r.next;
    }
    const c = this.#chunk;
    const n = c.byteLength;
    const relaxed = this.#relaxed;
    if (this.#scratch === EMPTY) this.#scratch = takeScratch();
    const out = this.#scratch;
    const room = out.byteLength - 3;
    let o = this.#scratchLength;
    let counted = o;
    let crPending = this.#crPending;
    let wsp = this.#wspPending;
    let pending = this.#crlfPending;
    let emitted = false;
    while (i < n) {
      const b = c[i];
      if (crPending) {
        // CR then LF is one line end; a CR alone is one too (§3.4 lines end in CRLF).
        crPending = false;
        pending++;
        wsp = false;
        if (b === LF) i++;
        if (i > stopAt) break;
        continue;
      }
      if (b === CR) {
        crPending = true;
      } else if (b === LF) {
        pending++;
        wsp = false;
        if (++i > stopAt) break;
        continue;
      } else if (relaxed && (b === SP || b === HTAB)) {
        wsp = true;
      } else {
        while (pending > 0) {
          if (o >= room) {
            this.length += o - counted;
            this.#scratchLength = o;
            this.#flushScratch();
            o = counted = 0;
          }
          out[o++] = CR;
          out[o++] = LF;
          pending--;
        }
        if (o >= room) {
          this.length += o - counted;
          this.#scratchLength = o;
          this.#flushScratch();
          o = counted = 0;
        }
        if (wsp) {
          out[o++] = SP;
          wsp = false;
        }
        out[o++] = b;
        emitted = true;
      }
      i++;
    }
    if (emitted) this.#emittedAny = true;
    this.length += o - counted;
    this.#scratchLength = o;
    this.#crPending = crPending;
    this.#wspPending = wsp;
    this.#crlfPending = pending;
    // Line ends taken here are counted, not located: they are written out as copies.
    this.#crlfRealStart = -1;
    return i;
  }

  /** Takes canonical bytes made by the WebAssembly careful path (a view of its memory). */
  readonly #put = (bytes: Uint8Array): void => {
    const length = bytes.byteLength;
    if (length < COPY_LIMIT) {
      this.#copy(bytes, 0, length);
    } else {
      this.#flushScratch();
      this.length += length;
      this.#sink(bytes);
    }
  };

  #lineEndReal(p: number): void {
    this.#wspPending = false;
    if (this.#crlfPending === 0) this.#crlfRealStart = p;
    else if (this.#crlfRealStart === -1 || this.#crlfRealStart + 2 * this.#crlfPending !== p) {
      this.#crlfRealStart = -1;
    }
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

  /** Emits bytes that are not in the input (a collapsed space, withheld CRLFs). */
  #emit(bytes: Uint8Array): void {
    this.#flushRun();
    this.#emittedAny = true;
    this.#copy(bytes, 0, bytes.byteLength);
  }

  #flushRun(): void {
    const a = this.#runStart;
    if (a === -1) return;
    this.#runStart = -1;
    const b = this.#runEnd;
    if (b - a < COPY_LIMIT) {
      this.#copy(this.#chunk, a, b);
    } else {
      this.#flushScratch();
      this.length += b - a;
      this.#sink(this.#chunk.subarray(a, b));
    }
  }

  /**
   * Small pieces are gathered in a scratch buffer: one hash update per piece would cost
   * more than the hashing itself on text with many tabs or double spaces.
   */
  #copy(source: Uint8Array, a: number, b: number): void {
    const length = b - a;
    if (this.#scratch === EMPTY) this.#scratch = takeScratch();
    if (this.#scratchLength + length > this.#scratch.byteLength) this.#flushScratch();
    const scratch = this.#scratch;
    let o = this.#scratchLength;
    if (length > 32) {
      scratch.set(source.subarray(a, b), o);
      o += length;
    } else {
      for (let k = a; k < b; k++) scratch[o++] = source[k];
    }
    this.#scratchLength = o;
    this.length += length;
  }

  #flushScratch(): void {
    if (this.#scratchLength === 0) return;
    this.#sink(this.#scratch.subarray(0, this.#scratchLength));
    this.#scratchLength = 0;
  }
}

function lastLf(c: Uint8Array, from: number, floor: number): number {
  for (let i = from; i >= floor; i--) if (c[i] === LF) return i;
  return floor - 1;
}

/**
 * Canonicalises a whole body held in memory (tests, small messages).
 * @example
 * ```ts
 * const body = new TextEncoder().encode('Hi  there \r\n\r\n\r\n');
 * canonicalizeBody(body, 'relaxed'); // bytes of "Hi there\r\n"
 * ```
 */
export function canonicalizeBody(body: Uint8Array, canonicalization: Canonicalization): Uint8Array {
  const parts: Uint8Array[] = [];
  const canon = new BodyCanonicalizer(canonicalization, (bytes) => parts.push(bytes.slice()));
  canon.write(body);
  canon.end();
  return concatBytes(parts);
}
