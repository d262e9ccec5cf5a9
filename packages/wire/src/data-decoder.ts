/**
 * Receiving DATA (RFC 5321 §4.1.1.4, §4.5.2): unstuffs, and ends ONLY on CRLF "." CRLF.
 * Bare CR or LF is refused (default) or normalised, like Postfix's smtpd_forbid_bare_newline:
 * every SMTP-smuggling variant (`\n.\n`, `\r.\r`, `\r\n.\n`, ...) ends nothing.
 */
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
  | { readonly ok: true; readonly size: number }
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
  /** Message octets, unstuffed, with CRLF line endings; the last one ends with CRLF. */
  | { readonly type: 'data'; readonly data: Uint8Array }
  /** The end of data. When `result.ok` is false, discard every `data` item. */
  | { readonly type: 'end'; readonly result: DataResult };

/**
 * Decodes the message data a client sends after `354`. Feed bytes, then call `next()` until
 * it returns `undefined`. After the `end` item, bytes after the terminator (pipelined
 * commands) are in {@link DataDecoder.takeBuffered}.
 */
export class DataDecoder {
  readonly #policy: BareLineEndingPolicy;

  /** @param options - Bare line ending policy and size limit. */
  constructor(options: DataDecoderOptions = {}) {
    this.#policy = options.bareLineEndings ?? 'reject';
  }

  /** Append received bytes. The decoder keeps a reference: don't mutate `chunk` afterwards. */
  feed(chunk: Uint8Array): void {
    void chunk;
    throw new Error(`DataDecoder (${this.#policy}): not implemented yet`);
  }

  /** The next data piece or the end, or `undefined` if more bytes are needed. */
  next(): DataDecoderItem | undefined {
    throw new Error('DataDecoder: not implemented yet');
  }

  /** `true` once the terminator has been seen. */
  get ended(): boolean {
    return false;
  }

  /** Remove and return buffered bytes after the terminator (empty before the end). */
  takeBuffered(): Uint8Array {
    throw new Error('DataDecoder: not implemented yet');
  }
}
