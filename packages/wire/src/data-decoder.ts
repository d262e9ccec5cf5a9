/**
 * Receiving DATA (RFC 5321 §4.1.1.4, §4.5.2): unstuffs, and ends ONLY on CRLF "." CRLF.
 * Bare CR or LF is refused (default) or normalised, like Postfix's smtpd_forbid_bare_newline:
 * every SMTP-smuggling variant (`\n.\n`, `\r.\r`, `\r\n.\n`, `\n.\r\n`, ...) ends nothing.
 */
import { loadForScan, scanLoaded } from './body-scan-simd';
import { concat } from './bytes';
import { skipUnstuff, unstuffState, wordView } from './line-scan';
import type { Reply } from './reply';

/** What to do with a bare CR or LF inside message data. */
export type BareLineEndingPolicy = 'reject' | 'normalize';

/** Options for {@link DataDecoder}. */
export interface DataDecoderOptions {
  /**
   * `'reject'` (default): a bare CR or LF makes the result a refusal (550 5.5.2) at the end of
   * data, and no further data is returned. `'normalize'`: each bare CR or LF becomes CRLF.
   * Either way only CRLF "." CRLF ends the data.
   */
  readonly bareLineEndings?: BareLineEndingPolicy;
  /**
   * Largest message in octets (after unstuffing); beyond it the result is a refusal
   * (552 5.3.4) and nothing past the first `maxSize` octets is returned. Default: no limit.
   */
  readonly maxSize?: number;
}

/** How DATA ended: accept the message, or refuse it with `reply`. */
export type DataResult =
  | {
      /** Accept the message: reply 250 once it is stored. */
      readonly ok: true;
      /** Octets of message data (after unstuffing). */
      readonly size: number;
    }
  | {
      /** Refuse the message with `reply`. */
      readonly ok: false;
      /** Why: a bare CR/LF under the `'reject'` policy, or over `maxSize`. */
      readonly reason: 'bare-line-ending' | 'too-large';
      /** The reply to send instead of 250 (550 5.5.2 or 552 5.3.4). */
      readonly reply: Reply;
      /** Octets of message data seen (after unstuffing). */
      readonly size: number;
    };

/** An item from {@link DataDecoder.next}. */
export type DataDecoderItem =
  /**
   * Message octets, unstuffed, with CRLF line endings; the message ends with CRLF. The array
   * may share memory with fed chunks: treat it as read-only.
   */
  | {
      /** Discriminant. */
      readonly type: 'data';
      /** The octets. */
      readonly data: Uint8Array;
    }
  /** The end of data. When `result.ok` is false, discard every `data` item. */
  | {
      /** Discriminant. */
      readonly type: 'end';
      /** Accept or refuse. */
      readonly result: DataResult;
    };

const CR = 0x0d;
const LF = 0x0a;
const DOT = 0x2e;
const EMPTY = new Uint8Array(0);

// States between octets. "Real" line starts follow CRLF (or the start of data); only there
// can "." CRLF end the data. "Soft" line starts follow a bare CR or LF.
const MID = 0; // inside a line
const START = 1; // at a real line start
const SOFT_START = 2; // at a line start after a bare CR/LF
const HELD_CR = 3; // a CR was seen and is held back until the next octet shows what it is
const DOT_HELD = 4; // "." at a real line start, held back
const DOT_CR_HELD = 5; // "." CR at a real line start, held back: LF next ends the data
const SOFT_DOT_HELD = 6; // "." at a soft line start, held back
type State = 0 | 1 | 2 | 3 | 4 | 5 | 6;

// Output is recorded as ranges of the current chunk [start, end), or one of these inserted
// sequences (a held CR from the previous chunk, a CRLF replacing a bare CR/LF, a kept ".").
const INSERT_CR = -1;
const INSERT_CRLF = -2;
const INSERT_DOT = -3;
const INSERTS: Readonly<Record<number, Uint8Array>> = {
  [INSERT_CR]: Uint8Array.of(CR),
  [INSERT_CRLF]: Uint8Array.of(CR, LF),
  [INSERT_DOT]: Uint8Array.of(DOT),
};

/**
 * Decodes the message data a client sends after `354`. Feed bytes, then call `next()` until
 * it returns `undefined`. After the `end` item, bytes after the terminator (pipelined
 * commands) are in {@link DataDecoder.takeBuffered}. Any split of the input gives the same
 * octets and the same end. Nothing is buffered beyond the returned items: at most a CR or
 * "." CR is held back as state.
 *
 * Unstuffing (RFC 5321 §4.5.2): a line starting with "." loses that ".". A lone "." line that
 * ends with a bare CR or LF is not a terminator and is kept as content.
 *
 * @example
 * ```ts
 * const decoder = new DataDecoder();
 * decoder.feed(new TextEncoder().encode('Subject: hi\r\n\r\n..dot\r\n.\r\nQUIT\r\n'));
 * decoder.next(); // { type: 'data', data: 'Subject: hi\r\n\r\n.dot\r\n' }
 * decoder.next(); // { type: 'end', result: { ok: true, size: 21 } }
 * decoder.takeBuffered(); // 'QUIT\r\n'
 * ```
 */
export class DataDecoder {
  readonly #normalize: boolean;
  readonly #maxSize: number;
  #state: State = START;
  #ended = false;
  #bare = false;
  #tooLarge = false;
  #size = 0;
  #rest: Uint8Array = EMPTY;
  #items: DataDecoderItem[] = [];
  #head = 0;
  // Output of the chunk being processed: [start, end) pairs, or [INSERT_*, octets to keep].
  #ranges: number[] = [];
  #inserts = false;
  // Ranges from this index on came after a refusal (bare CR/LF or over maxSize): dropped.
  #cut = Number.POSITIVE_INFINITY;

  /** @param options - Bare line ending policy and size limit. */
  constructor(options: DataDecoderOptions = {}) {
    const policy = options.bareLineEndings ?? 'reject';
    if (policy !== 'reject' && policy !== 'normalize')
      throw new TypeError(`Unknown bareLineEndings: ${String(policy)}`);
    this.#normalize = policy === 'normalize';
    this.#maxSize = options.maxSize ?? Number.POSITIVE_INFINITY;
    if (!(this.#maxSize >= 0)) throw new RangeError('maxSize must be >= 0');
  }

  /** `true` once the terminator has been seen. */
  get ended(): boolean {
    return this.#ended;
  }

  /** Append received bytes. The decoder keeps references into `chunk`: don't mutate it afterwards. */
  feed(chunk: Uint8Array): void {
    if (this.#ended) {
      this.#rest = concat(this.#rest, chunk);
      return;
    }
    if (chunk.length === 0) return;
    const end = this.#process(chunk);
    this.#flush(chunk);
    if (end >= 0) {
      this.#ended = true;
      this.#rest = chunk.subarray(end);
      this.#items.push({ type: 'end', result: this.#result() });
    }
  }

  /** The next data piece or the end, or `undefined` if more bytes are needed. */
  next(): DataDecoderItem | undefined {
    if (this.#head >= this.#items.length) {
      if (this.#head > 0) {
        this.#items = [];
        this.#head = 0;
      }
      return undefined;
    }
    return this.#items[this.#head++];
  }

  /** Remove and return buffered bytes after the terminator (empty before the end). */
  takeBuffered(): Uint8Array {
    const rest = this.#rest;
    this.#rest = EMPTY;
    return rest;
  }

  #result(): DataResult {
    const size = this.#size;
    if (this.#bare) {
      return {
        ok: false,
        reason: 'bare-line-ending',
        // Postfix's wording for smtpd_forbid_bare_newline; RFC 5321 §2.3.8 forbids bare CR/LF.
        reply: {
          code: 550,
          enhanced: '5.5.2',
          lines: ['Message contains bare CR or LF (see RFC 5321 section 2.3.8)'],
        },
        size,
      };
    }
    if (this.#tooLarge) {
      return {
        ok: false,
        reason: 'too-large',
        reply: { code: 552, enhanced: '5.3.4', lines: ['Message size exceeds fixed maximum message size'] },
        size,
      };
    }
    return { ok: true, size };
  }

  /** Record octets [start, end) of the chunk as output, counting them against the limit. */
  #emit(start: number, end: number): void {
    if (end <= start) return;
    const room = this.#maxSize - this.#size;
    this.#size += end - start;
    if (this.#bare || this.#tooLarge) return;
    // Over the limit: return exactly the first maxSize octets, whatever the split.
    if (end - start > room) {
      if (room > 0) this.#ranges.push(start, start + room);
      this.#refuse();
      return;
    }
    this.#ranges.push(start, end);
  }

  /** Over maxSize from here on: keep nothing recorded after this point. */
  #refuse(): void {
    if (!this.#tooLarge) {
      this.#tooLarge = true;
      this.#cut = Math.min(this.#cut, this.#ranges.length);
    }
  }

  /**
   * Account for ranges skipUnstuff pushed from index `from` on, covering `covered` octets of
   * input minus `removed` dots: size, and the exact point where maxSize was crossed.
   */
  #account(from: number, covered: number, removed: number): void {
    const before = this.#size;
    this.#size += covered - removed;
    if (this.#size <= this.#maxSize || this.#bare || this.#tooLarge) return;
    const ranges = this.#ranges;
    let size = before;
    for (let k = from; k < ranges.length; k += 2) {
      const length = ranges[k + 1]! - ranges[k]!;
      if (size + length > this.#maxSize) {
        // Keep exactly up to the limit (as #emit does), drop the rest.
        ranges[k + 1] = ranges[k]! + (this.#maxSize - size);
        this.#tooLarge = true;
        this.#cut = Math.min(this.#cut, k + 2);
        return;
      }
      size += length;
    }
  }

  /** Record an inserted sequence as output. */
  #insert(kind: number): void {
    const length = INSERTS[kind]!.length;
    const room = this.#maxSize - this.#size;
    this.#size += length;
    if (this.#bare || this.#tooLarge) return;
    this.#inserts = true;
    // The second slot is how much of the inserted sequence to keep (less only at maxSize).
    if (length > room) {
      if (room > 0) this.#ranges.push(kind, room);
      this.#refuse();
      return;
    }
    this.#ranges.push(kind, length);
  }

  /** A bare CR or LF: note it; under 'normalize' it becomes CRLF. */
  #bareLineEnding(): void {
    if (this.#normalize) {
      this.#insert(INSERT_CRLF);
    } else if (!this.#bare) {
      this.#bare = true;
      this.#cut = Math.min(this.#cut, this.#ranges.length);
    }
  }

  /** Turn this chunk's output into one data item: zero-copy for one range, else one copy. */
  #flush(chunk: Uint8Array): void {
    const ranges = this.#ranges;
    if (ranges.length > this.#cut) ranges.length = this.#cut;
    // Everything in later chunks comes after the refusal.
    if (this.#bare || this.#tooLarge) this.#cut = 0;
    const n = ranges.length;
    if (n === 0) return;
    let data: Uint8Array;
    if (n === 2 && ranges[0]! >= 0) {
      data = chunk.subarray(ranges[0]!, ranges[1]!);
    } else if (!this.#inserts) {
      // Only deletions (unstuffed dots): copy the chunk once and close the gaps in place.
      // Copy explicitly: Buffer#slice would return a view and the gaps would be closed in the caller's chunk.
      const base = ranges[0]!;
      data = new Uint8Array(ranges[n - 1]! - base);
      data.set(chunk.subarray(base, ranges[n - 1]!));
      let at = ranges[1]! - base;
      for (let k = 2; k < n; k += 2) {
        const start = ranges[k]!;
        const end = ranges[k + 1]!;
        data.copyWithin(at, start - base, end - base);
        at += end - start;
      }
      data = data.subarray(0, at);
    } else {
      let total = 0;
      for (let k = 0; k < n; k += 2) total += ranges[k]! < 0 ? ranges[k + 1]! : ranges[k + 1]! - ranges[k]!;
      data = new Uint8Array(total);
      let at = 0;
      for (let k = 0; k < n; k += 2) {
        const piece =
          ranges[k]! < 0
            ? INSERTS[ranges[k]!]!.subarray(0, ranges[k + 1]!)
            : chunk.subarray(ranges[k]!, ranges[k + 1]!);
        data.set(piece, at);
        at += piece.length;
      }
    }
    this.#ranges = [];
    this.#inserts = false;
    this.#items.push({ type: 'data', data });
  }

  /**
   * Run the state machine over one chunk. Returns the index just past the terminator, or -1.
   * Octets passed through unchanged are recorded as ranges of `chunk` starting at `seg`.
   */
  #process(chunk: Uint8Array): number {
    const len = chunk.length;
    const words = wordView(chunk);
    const simd = loadForScan(chunk);
    let state = this.#state;
    let seg = 0; // start of the current run of octets passed through unchanged
    let i = 0;
    while (i < len) {
      switch (state) {
        case MID: {
          // The common path: skip text, ordinary CRLFs and stuffed dots in bulk.
          const from = this.#ranges.length;
          let start = i;
          if (simd) {
            // Jump over plain lines to the first one with work (a dot, a bare line end),
            // or to the last line end; never onto the LF of a CRLF.
            const q = scanLoaded(i);
            start = q === -1 ? Math.max(i, len - 2) : q;
            if (start > i && chunk[start] === LF) start--;
          }
          const skipped = skipUnstuff(chunk, words, start, seg, this.#ranges);
          const q = skipped >>> 1;
          this.#account(from, unstuffState.seg - seg, unstuffState.removed);
          seg = unstuffState.seg;
          if (skipped & 1) {
            // q is a line start after a CRLF that needs a look, or the end of the chunk.
            i = q;
            state = START;
            break;
          }
          if (q === len) {
            i = len;
            break;
          }
          if (chunk[q] === CR && q + 1 === len) {
            // CR at the end of the chunk: hold it until the next octet arrives.
            this.#emit(seg, q);
            seg = len;
            i = len;
            state = HELD_CR;
            break;
          }
          // A bare CR (not followed by LF) or a bare LF.
          this.#emit(seg, q);
          this.#bareLineEnding();
          seg = q + 1;
          i = q + 1;
          state = SOFT_START;
          break;
        }
        case START:
          if (chunk[i] === DOT) {
            this.#emit(seg, i);
            i++;
            seg = i;
            state = DOT_HELD;
          } else {
            state = MID;
          }
          break;
        case SOFT_START:
          if (chunk[i] === DOT) {
            this.#emit(seg, i);
            i++;
            seg = i;
            state = SOFT_DOT_HELD;
          } else {
            state = MID;
          }
          break;
        case HELD_CR:
          // The held CR comes from the previous chunk (seg is 0 here).
          if (chunk[i] === LF) {
            this.#insert(INSERT_CR);
            i++;
            state = START;
          } else {
            this.#bareLineEnding();
            state = SOFT_START;
          }
          break;
        case DOT_HELD: {
          const c = chunk[i];
          if (c === CR) {
            i++;
            seg = i;
            state = DOT_CR_HELD;
          } else if (c === LF) {
            // "." then a bare LF: not a terminator; the lone "." stays content.
            this.#insert(INSERT_DOT);
            this.#bareLineEnding();
            i++;
            seg = i;
            state = SOFT_START;
          } else {
            // Dot-stuffing: the leading "." is dropped (RFC 5321 §4.5.2).
            state = MID;
          }
          break;
        }
        case DOT_CR_HELD:
          if (chunk[i] === LF) {
            this.#state = START;
            return i + 1;
          }
          // "." then a bare CR: not a terminator either.
          this.#insert(INSERT_DOT);
          this.#bareLineEnding();
          seg = i;
          state = SOFT_START;
          break;
        case SOFT_DOT_HELD: {
          const c = chunk[i];
          // A lone "." line is kept; otherwise the "." was stuffing and is dropped.
          if (c === CR || c === LF) this.#insert(INSERT_DOT);
          state = MID;
          break;
        }
      }
    }
    this.#emit(seg, len);
    this.#state = state;
    return -1;
  }
}
