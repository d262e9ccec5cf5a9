/**
 * Incremental reply decoding for clients: bytes in any split, whole replies out.
 */
import { concat, fromUtf8, LF } from './bytes';
import { SmtpError } from './errors';
import { buildReply, MAX_REPLY_LINE_LENGTH, parseReplyLine, type Reply, type ReplyLine } from './reply';

/** Options for {@link ReplyDecoder}. */
export interface ReplyDecoderOptions {
  /**
   * Longest reply line accepted, in octets including CRLF. Default 512 (RFC 5321 §4.5.3.1.5).
   * A longer line is a protocol error, detected without buffering more than this.
   */
  readonly maxLineLength?: number;
  /** Most lines one multiline reply may have. Default 128: bounds memory per reply. */
  readonly maxLines?: number;
}

/**
 * Decodes replies from a server byte stream. Feed bytes as they arrive, then call `next()`
 * until it returns `undefined` ("need more data"). Pipelined replies come out one by one.
 *
 * A malformed or overlong reply throws an `SmtpError` (`ERR_SMTP_PROTOCOL` or
 * `ERR_SMTP_LINE_TOO_LONG`); the stream cannot be trusted after that, so every later `next()`
 * throws the same error.
 *
 * @example
 * ```ts
 * const decoder = new ReplyDecoder();
 * decoder.feed(new TextEncoder().encode('250-mx.example.org\r\n250 OK\r\n'));
 * decoder.next(); // { code: 250, lines: ['mx.example.org', 'OK'] }
 * decoder.next(); // undefined
 * ```
 */
export class ReplyDecoder {
  readonly #maxLineLength: number;
  readonly #maxLines: number;
  #pending: Uint8Array = new Uint8Array(0);
  #scanned = 0;
  #lines: ReplyLine[] = [];
  #failure: SmtpError | undefined;

  /** @param options - Line and reply size limits. */
  constructor(options: ReplyDecoderOptions = {}) {
    this.#maxLineLength = options.maxLineLength ?? MAX_REPLY_LINE_LENGTH;
    this.#maxLines = options.maxLines ?? 128;
    if (!Number.isInteger(this.#maxLineLength) || this.#maxLineLength < 5) {
      throw new RangeError('maxLineLength must be an integer >= 5');
    }
    if (!Number.isInteger(this.#maxLines) || this.#maxLines < 1)
      throw new RangeError('maxLines must be >= 1');
  }

  /** Bytes received but not yet returned as part of a reply. */
  get bufferedLength(): number {
    return this.#pending.length;
  }

  /** Append received bytes. The decoder keeps a reference: don't mutate `chunk` afterwards. */
  feed(chunk: Uint8Array): void {
    this.#pending = concat(this.#pending, chunk);
  }

  /**
   * The next complete reply, or `undefined` if more bytes are needed.
   *
   * @throws SmtpError on a malformed reply, a line over the limit or too many lines.
   */
  next(): Reply | undefined {
    if (this.#failure) throw this.#failure;
    try {
      for (;;) {
        const lf = this.#pending.indexOf(LF, this.#scanned);
        if (lf === -1) {
          this.#scanned = this.#pending.length;
          if (this.#pending.length >= this.#maxLineLength) this.#tooLong();
          return undefined;
        }
        if (lf + 1 > this.#maxLineLength) this.#tooLong();
        const end = lf > 0 && this.#pending[lf - 1] === 0x0d ? lf - 1 : lf;
        const line = parseReplyLine(fromUtf8(this.#pending.subarray(0, end)));
        this.#pending = this.#pending.subarray(lf + 1);
        this.#scanned = 0;
        this.#lines.push(line);
        if (this.#lines.length > this.#maxLines) {
          throw new SmtpError(`Reply has more than ${this.#maxLines} lines`, 'ERR_SMTP_PROTOCOL');
        }
        if (line.last) {
          const lines = this.#lines;
          this.#lines = [];
          return buildReply(lines);
        }
      }
    } catch (error) {
      this.#failure =
        error instanceof SmtpError
          ? error
          : new SmtpError('Reply decoding failed', 'ERR_SMTP_PROTOCOL', { cause: error });
      this.#pending = new Uint8Array(0);
      throw this.#failure;
    }
  }

  #tooLong(): never {
    throw new SmtpError(
      `Reply line longer than ${this.#maxLineLength} octets (RFC 5321 §4.5.3.1.5)`,
      'ERR_SMTP_LINE_TOO_LONG',
    );
  }
}
