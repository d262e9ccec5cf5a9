/**
 * Sending DATA (RFC 5321 §4.5.2): dot-stuffing, line ending policy, the CRLF "." CRLF
 * terminator.
 */
import { concatAll } from './bytes';
import { SmtpError } from './errors';
import { skipText, wordView } from './line-scan';

/** Options for {@link DataEncoder} and {@link encodeData}. */
export interface DataEncoderOptions {
  /**
   * `'normalize'` (default): a bare CR or LF in the message becomes CRLF. `'reject'`: it
   * throws an `SmtpError` with code `ERR_SMTP_BARE_LINE_ENDING` (RFC 5321 §2.3.8).
   */
  readonly bareLineEndings?: 'normalize' | 'reject';
}

const CR = 0x0d;
const LF = 0x0a;
const DOT = 0x2e;
const EMPTY = new Uint8Array(0);
const CRLF_BYTES = Uint8Array.of(CR, LF);
const DOT_BYTES = Uint8Array.of(DOT);
const TERMINATOR = Uint8Array.of(DOT, CR, LF);
const CRLF_TERMINATOR = Uint8Array.of(CR, LF, DOT, CR, LF);

const MID = 0;
const START = 1;
const HELD_CR = 2;

/**
 * A streaming dot-stuffer: `encode()` each chunk of the message, then `end()`. The output is
 * what goes on the wire after `354`, including the final CRLF "." CRLF (a missing final CRLF
 * is added). Any split of the input gives the same output bytes.
 *
 * @example
 * ```ts
 * const encoder = new DataEncoder();
 * socket.write(encoder.encode(new TextEncoder().encode('Subject: hi\r\n\r\n.hidden\r\n')));
 * socket.write(encoder.end()); // ...'..hidden\r\n.\r\n'
 * ```
 */
export class DataEncoder {
  readonly #normalize: boolean;
  #state: 0 | 1 | 2 = START;
  #ended = false;

  /** @param options - Bare line ending policy. */
  constructor(options: DataEncoderOptions = {}) {
    const policy = options.bareLineEndings ?? 'normalize';
    if (policy !== 'reject' && policy !== 'normalize')
      throw new TypeError(`Unknown bareLineEndings: ${String(policy)}`);
    this.#normalize = policy === 'normalize';
  }

  /**
   * Stuff one chunk. Returns the bytes to send now (possibly empty; may share memory with
   * `chunk`).
   *
   * @throws SmtpError `ERR_SMTP_BARE_LINE_ENDING` under the `'reject'` policy.
   * @throws Error if called after `end()`.
   */
  encode(chunk: Uint8Array): Uint8Array {
    if (this.#ended) throw new Error('DataEncoder: encode() after end()');
    const len = chunk.length;
    if (len === 0) return EMPTY;
    const pieces: Uint8Array[] = [];
    const view = wordView(chunk);
    let state = this.#state;
    let seg = 0;
    let i = 0;
    while (i < len) {
      if (state === START) {
        // RFC 5321 §4.5.2: a line starting with "." gets one more ".".
        if (chunk[i] === DOT) {
          if (i > seg) pieces.push(chunk.subarray(seg, i));
          pieces.push(DOT_BYTES);
          seg = i;
        }
        state = MID;
        continue;
      }
      if (state === HELD_CR) {
        // A CR held from the previous chunk; seg is 0.
        if (chunk[0] === LF) {
          pieces.push(CRLF_BYTES);
          i = 1;
          seg = 1;
        } else {
          this.#bare();
          pieces.push(CRLF_BYTES);
        }
        state = START;
        continue;
      }
      const skipped = skipText(chunk, view, i);
      const q = skipped >>> 1;
      if (skipped & 1) {
        i = q;
        state = START;
        continue;
      }
      if (q === len) break;
      if (chunk[q] === CR && q + 1 === len) {
        if (q > seg) pieces.push(chunk.subarray(seg, q));
        seg = len;
        state = HELD_CR;
        break;
      }
      // A bare CR or LF.
      this.#bare();
      if (q > seg) pieces.push(chunk.subarray(seg, q));
      pieces.push(CRLF_BYTES);
      seg = q + 1;
      i = q + 1;
      state = START;
    }
    if (seg < len) pieces.push(chunk.subarray(seg));
    this.#state = state;
    return pieces.length === 0 ? EMPTY : concatAll(pieces);
  }

  /**
   * Finish: the bytes that complete the data, ending with CRLF "." CRLF.
   *
   * @throws SmtpError `ERR_SMTP_BARE_LINE_ENDING` if the message ended with a bare CR under
   * the `'reject'` policy.
   */
  end(): Uint8Array {
    if (this.#ended) throw new Error('DataEncoder: end() called twice');
    this.#ended = true;
    if (this.#state === HELD_CR) {
      this.#bare();
      return CRLF_TERMINATOR.slice();
    }
    // At a line start the last line already ended with CRLF (or the message is empty).
    return this.#state === START ? TERMINATOR.slice() : CRLF_TERMINATOR.slice();
  }

  #bare(): void {
    if (!this.#normalize) {
      throw new SmtpError(
        'Message data contains a bare CR or LF (RFC 5321 §2.3.8)',
        'ERR_SMTP_BARE_LINE_ENDING',
      );
    }
  }
}

/**
 * Dot-stuff a whole body, as an async iterable of wire chunks ending with CRLF "." CRLF.
 * The body is streamed, never concatenated.
 *
 * @example
 * ```ts
 * for await (const bytes of encodeData(fs.createReadStream('message.eml'))) socket.write(bytes);
 * ```
 */
export async function* encodeData(
  body: Uint8Array | AsyncIterable<Uint8Array> | Iterable<Uint8Array>,
  options: DataEncoderOptions = {},
): AsyncGenerator<Uint8Array, void, undefined> {
  const encoder = new DataEncoder(options);
  const chunks = body instanceof Uint8Array ? [body] : body;
  for await (const chunk of chunks) {
    const out = encoder.encode(chunk);
    if (out.length > 0) yield out;
  }
  yield encoder.end();
}
