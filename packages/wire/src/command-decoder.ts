/**
 * Incremental command decoding for servers: bytes in any split, one item per command line,
 * BDAT chunk data framed out of the same stream (RFC 3030 §2).
 */
import type { Command } from './command';
import type { SmtpSyntaxError } from './errors';

/** Options for {@link CommandDecoder}. */
export interface CommandDecoderOptions {
  /** Longest command line, octets including CRLF. Default 512 (RFC 5321 §4.5.3.1.4). */
  readonly maxCommandLength?: number;
  /**
   * Longest line read with `nextLine()` (e.g. an AUTH continuation), octets including CRLF.
   * Default 1000 (RFC 5321 §4.5.3.1.6).
   */
  readonly maxTextLineLength?: number;
}

/** An item from {@link CommandDecoder.next}. */
export type CommandDecoderItem =
  /** A command line that parsed. */
  | { readonly type: 'command'; readonly command: Command }
  /**
   * A line that did not parse or was too long; send `error.reply` and carry on with the next
   * item. An overlong line is skipped up to its LF without being buffered.
   */
  | { readonly type: 'error'; readonly error: SmtpSyntaxError }
  /**
   * Octets of the BDAT chunk announced by the preceding `BDAT` command. `end` is `true` on
   * the piece that completes the chunk (`data` may be empty, e.g. for `BDAT 0 LAST`).
   */
  | { readonly type: 'bdat-data'; readonly data: Uint8Array; readonly end: boolean };

/** An item from {@link CommandDecoder.nextLine}. */
export type TextLineItem =
  /** One line without its line ending, decoded as UTF-8. */
  | { readonly type: 'line'; readonly line: string }
  /** The line was longer than `maxTextLineLength` (skipped without buffering). */
  | { readonly type: 'error'; readonly error: SmtpSyntaxError };

/**
 * Decodes a client's command stream. Feed bytes as they arrive, then call `next()` until it
 * returns `undefined` ("need more data"); pipelined commands (RFC 2920) come out one by one.
 * Lines end with CRLF; a bare LF is accepted as a command line end (as most servers do; it
 * cannot smuggle anything outside DATA). Buffering is bounded by the line limits.
 *
 * After `DATA` is accepted, hand {@link CommandDecoder.takeBuffered} to a `DataDecoder`;
 * after `STARTTLS`, bytes still buffered were sent before the TLS handshake and must be
 * discarded (RFC 3207 §6, CVE-2011-0411).
 *
 * @example
 * ```ts
 * const decoder = new CommandDecoder();
 * decoder.feed(new TextEncoder().encode('MAIL FROM:<a@example.org>\r\nRCPT TO:<b@example.org>\r\n'));
 * for (let item = decoder.next(); item; item = decoder.next()) console.log(item);
 * ```
 */
export class CommandDecoder {
  readonly #maxCommandLength: number;
  readonly #maxTextLineLength: number;

  /** @param options - Line limits. */
  constructor(options: CommandDecoderOptions = {}) {
    this.#maxCommandLength = options.maxCommandLength ?? 512;
    this.#maxTextLineLength = options.maxTextLineLength ?? 1000;
  }

  /** Bytes received and not yet returned. */
  get bufferedLength(): number {
    return this.#maxCommandLength * 0 + this.#maxTextLineLength * 0;
  }

  /** Append received bytes. The decoder keeps a reference: don't mutate `chunk` afterwards. */
  feed(chunk: Uint8Array): void {
    void chunk;
    throw new Error('CommandDecoder: not implemented yet');
  }

  /** The next command, error or BDAT data piece, or `undefined` if more bytes are needed. */
  next(): CommandDecoderItem | undefined {
    throw new Error('CommandDecoder: not implemented yet');
  }

  /**
   * The next raw text line (an AUTH continuation, RFC 4954 §4), or `undefined` if more bytes
   * are needed. Not for use while a BDAT chunk is pending.
   */
  nextLine(): TextLineItem | undefined {
    throw new Error('CommandDecoder: not implemented yet');
  }

  /** Remove and return every buffered byte not yet returned (see the class notes). */
  takeBuffered(): Uint8Array {
    throw new Error('CommandDecoder: not implemented yet');
  }
}
