/**
 * Receiving DATA (RFC 5321 §4.1.1.4, §4.5.2): unstuffs, and ends ONLY on CRLF "." CRLF.
 * Bare CR or LF is refused (default) or normalised, like Postfix's smtpd_forbid_bare_newline:
 * every SMTP-smuggling variant (`\n.\n`, `\r.\r`, `\r\n.\n`, `\n.\r\n`, ...) ends nothing.
 */
import { concat } from './bytes';
import { CrLfScanner } from './line-scan';
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
   * (552 5.3.4) and no further data is returned. Default: no limit.
   */
  readonly maxSize?: number;
}

/** How DATA ended: accept the message, or refuse it with `reply`. */
export type DataResult =
  | {
      readonly ok: true;
      /** Octets of message data (after unstuffing). */
      readonly size: number;
    }
  | {
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
  | { readonly type: 'data'; readonly data: Uint8Array }
  /** The end of data. When `result.ok` is false, discard every `data` item. */
  | { readonly type: 'end'; readonly result: DataResult };

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

const CR_BYTES = Uint8Array.of(CR);
const CRLF_BYTES = Uint8Array.of(CR, LF);
const DOT_BYTES = Uint8Array.of(DOT);

/**
 * Decodes the message data a client sends after `354`. Feed bytes, then call `next()` until
 * it returns `undefined`. After the `end` item, bytes after the terminator (pipelined
 * commands) are in {@link DataDecoder.takeBuffered}. Any split of the input gives the same
 * octets and the same end.
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
  // Output pieces of the chunk being processed.
  #pieces: Uint8Array[] = [];

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
    this.#flush();
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
    const item = this.#items[this.#head]!;
    this.#items[this.#head++] = undefined as unknown as DataDecoderItem;
    return item;
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

  /** Queue one output piece, counting it against the size limit. */
  #emit(piece: Uint8Array): void {
    if (piece.length === 0) return;
    this.#size += piece.length;
    if (this.#size > this.#maxSize) this.#tooLarge = true;
    if (this.#bare || this.#tooLarge) return;
    this.#pieces.push(piece);
  }

  /** A bare CR or LF: note it; under 'normalize' it becomes CRLF. */
  #bareLineEnding(): void {
    if (this.#normalize) this.#emit(CRLF_BYTES);
    else this.#bare = true;
  }

  /** Turn this chunk's pieces into one data item (zero-copy when there is one piece). */
  #flush(): void {
    const pieces = this.#pieces;
    if (pieces.length === 0) return;
    let data: Uint8Array;
    if (pieces.length === 1) {
      data = pieces[0]!;
    } else {
      let total = 0;
      for (const p of pieces) total += p.length;
      data = new Uint8Array(total);
      let at = 0;
      for (const p of pieces) {
        data.set(p, at);
        at += p.length;
      }
    }
    this.#pieces = [];
    this.#items.push({ type: 'data', data });
  }

  /**
   * Run the state machine over one chunk. Returns the index just past the terminator, or -1.
   * Octets copied through unchanged are emitted as subarrays of `chunk` (from `seg`).
   */
  #process(chunk: Uint8Array): number {
    const len = chunk.length;
    const scanner = new CrLfScanner(chunk);
    let state = this.#state;
    let seg = 0; // start of the current run of octets passed through unchanged
    let i = 0;
    while (i < len) {
      switch (state) {
        case MID: {
          const q = scanner.find(i);
          if (q === -1) {
            i = len;
            break;
          }
          if (chunk[q] === CR) {
            if (q + 1 === len) {
              // CR at the end of the chunk: hold it until the next octet arrives.
              this.#emit(chunk.subarray(seg, q));
              seg = len;
              i = len;
              state = HELD_CR;
              break;
            }
            if (chunk[q + 1] === LF) {
              i = q + 2;
              state = START;
              break;
            }
          }
          // A bare CR (not followed by LF) or a bare LF.
          this.#emit(chunk.subarray(seg, q));
          this.#bareLineEnding();
          seg = q + 1;
          i = q + 1;
          state = SOFT_START;
          break;
        }
        case START:
          if (chunk[i] === DOT) {
            this.#emit(chunk.subarray(seg, i));
            i++;
            seg = i;
            state = DOT_HELD;
          } else {
            state = MID;
          }
          break;
        case SOFT_START:
          if (chunk[i] === DOT) {
            this.#emit(chunk.subarray(seg, i));
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
            this.#emit(CR_BYTES);
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
            this.#emit(DOT_BYTES);
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
          this.#emit(DOT_BYTES);
          this.#bareLineEnding();
          seg = i;
          state = SOFT_START;
          break;
        case SOFT_DOT_HELD: {
          const c = chunk[i];
          // A lone "." line is kept; otherwise the "." was stuffing and is dropped.
          if (c === CR || c === LF) this.#emit(DOT_BYTES);
          state = MID;
          break;
        }
      }
    }
    if (seg < len) this.#emit(chunk.subarray(seg, len));
    this.#state = state;
    return -1;
  }
}
