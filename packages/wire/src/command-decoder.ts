/**
 * Incremental command decoding for servers: bytes in any split, one item per command line,
 * BDAT chunk data framed out of the same stream (RFC 3030 §2).
 */
import { CR, concat, fromUtf8, LF } from './bytes';
import { type Command, MAX_COMMAND_LINE_LENGTH, parseCommand } from './command';
import { SmtpSyntaxError } from './errors';

/** Options for {@link CommandDecoder}. */
export interface CommandDecoderOptions {
  /**
   * Longest command line, octets including CRLF. Default 512 (RFC 5321 §4.5.3.1.4). Extensions
   * a server announces raise what clients may send (RFC 1870 SIZE +26, RFC 3461 DSN: ENVID +100
   * on MAIL, ORCPT +500 on RCPT); set this to match.
   */
  readonly maxCommandLength?: number;
  /**
   * Longest `AUTH` command line (it may carry an initial response), octets including CRLF.
   * Default 12288 (RFC 4954 §4).
   */
  readonly maxAuthCommandLength?: number;
  /**
   * Longest line read with `nextLine()` (e.g. an AUTH continuation), octets including CRLF.
   * Default 1000 (RFC 5321 §4.5.3.1.6); `nextLine()` can override it per call.
   */
  readonly maxTextLineLength?: number;
  /**
   * Whether BDAT is understood (the server announces CHUNKING, RFC 3030). Default `true`:
   * after a BDAT command the next `size` octets come out as `bdat-data` items. When `false`,
   * BDAT is an unrecognised command (500 5.5.1) and no octets are set aside.
   */
  readonly chunking?: boolean;
}

/** An item from {@link CommandDecoder.next}. */
export type CommandDecoderItem =
  /** A command line that parsed. */
  | {
      /** Discriminant. */
      readonly type: 'command';
      /** The parsed command. */
      readonly command: Command;
    }
  /**
   * A line that did not parse or was too long; send `error.reply` and carry on with the next
   * item. An overlong line is reported as soon as it passes the limit and is skipped up to its
   * LF without being buffered.
   */
  | {
      /** Discriminant. */
      readonly type: 'error';
      /** The error; `error.reply` is what to send. */
      readonly error: SmtpSyntaxError;
    }
  /**
   * Octets of the BDAT chunk announced by the preceding `BDAT` command. `end` is `true` on
   * the piece that completes the chunk (`data` may be empty, e.g. for `BDAT 0 LAST`).
   */
  | {
      /** Discriminant. */
      readonly type: 'bdat-data';
      /** Chunk octets (may share memory with fed chunks: read-only). */
      readonly data: Uint8Array;
      /** `true` on the piece that completes the chunk. */
      readonly end: boolean;
    };

/** An item from {@link CommandDecoder.nextLine}. */
export type TextLineItem =
  /** One line without its line ending, decoded as UTF-8. */
  | {
      /** Discriminant. */
      readonly type: 'line';
      /** The line's text. */
      readonly line: string;
    }
  /** The line was longer than the limit (skipped without buffering). */
  | {
      /** Discriminant. */
      readonly type: 'error';
      /** The error; `error.reply` is what to send. */
      readonly error: SmtpSyntaxError;
    };

const TOO_LONG = Symbol('too long');
const EMPTY = new Uint8Array(0);

function lineTooLong(): SmtpSyntaxError {
  // RFC 5321 §4.5.3.1.10 lists "500 Line too long"; X.5.2 is RFC 3463's syntax error.
  return new SmtpSyntaxError(
    { code: 500, enhanced: '5.5.2', lines: ['Line too long'] },
    { code: 'ERR_SMTP_LINE_TOO_LONG' },
  );
}

function checkLimit(name: string, value: number): number {
  if (!Number.isInteger(value) || value < 8) throw new RangeError(`${name} must be an integer >= 8`);
  return value;
}

/** `true` if the bytes start with "AUTH " in any case. */
function startsWithAuth(buf: Uint8Array): boolean {
  return (
    buf.length >= 5 &&
    (buf[0]! | 0x20) === 0x61 &&
    (buf[1]! | 0x20) === 0x75 &&
    (buf[2]! | 0x20) === 0x74 &&
    (buf[3]! | 0x20) === 0x68 &&
    buf[4] === 0x20
  );
}

/**
 * Decodes a client's command stream. Feed bytes as they arrive, then call `next()` until it
 * returns `undefined` ("need more data"); pipelined commands (RFC 2920) come out one by one,
 * and any split of the input gives the same items. Lines end with CRLF; a bare LF is accepted
 * as a command line end (as most servers do; outside DATA it cannot smuggle anything).
 * Buffering is bounded by the line limits.
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
  readonly #maxAuthCommandLength: number;
  readonly #maxTextLineLength: number;
  readonly #chunking: boolean;
  #buf: Uint8Array = EMPTY;
  #scanned = 0;
  #discarding = false;
  /** Octets of the current BDAT chunk still to hand out; -1 when not in a chunk. */
  #bdatRemaining = -1;

  /** @param options - Line limits and whether BDAT is understood. */
  constructor(options: CommandDecoderOptions = {}) {
    this.#maxCommandLength = checkLimit(
      'maxCommandLength',
      options.maxCommandLength ?? MAX_COMMAND_LINE_LENGTH,
    );
    this.#maxAuthCommandLength = checkLimit('maxAuthCommandLength', options.maxAuthCommandLength ?? 12288);
    this.#maxTextLineLength = checkLimit('maxTextLineLength', options.maxTextLineLength ?? 1000);
    this.#chunking = options.chunking ?? true;
  }

  /** Bytes received and not yet returned. */
  get bufferedLength(): number {
    return this.#buf.length;
  }

  /** `true` while the octets of a BDAT chunk are being handed out. */
  get inBdatChunk(): boolean {
    return this.#bdatRemaining >= 0;
  }

  /** Append received bytes. The decoder keeps a reference: don't mutate `chunk` afterwards. */
  feed(chunk: Uint8Array): void {
    this.#buf = concat(this.#buf, chunk);
  }

  /** The next command, error or BDAT data piece, or `undefined` if more bytes are needed. */
  next(): CommandDecoderItem | undefined {
    if (this.#bdatRemaining >= 0) return this.#nextBdatData();
    const line = this.#readLine((buf) =>
      startsWithAuth(buf) ? this.#maxAuthCommandLength : this.#maxCommandLength,
    );
    if (line === undefined) return undefined;
    if (line === TOO_LONG) return { type: 'error', error: lineTooLong() };
    let command: Command;
    try {
      command = parseCommand(line);
    } catch (error) {
      if (error instanceof SmtpSyntaxError) return { type: 'error', error };
      throw error;
    }
    if (command.verb === 'BDAT') {
      if (!this.#chunking) {
        return {
          type: 'error',
          error: new SmtpSyntaxError({ code: 500, enhanced: '5.5.1', lines: ['Command unrecognized'] }),
        };
      }
      this.#bdatRemaining = command.size;
    }
    return { type: 'command', command };
  }

  /**
   * The next raw text line (an AUTH continuation, RFC 4954 §4), or `undefined` if more bytes
   * are needed.
   *
   * @param maxLength - Limit for this line, octets including CRLF; default `maxTextLineLength`.
   * @throws Error if called while a BDAT chunk is being handed out (a caller bug).
   */
  nextLine(maxLength: number = this.#maxTextLineLength): TextLineItem | undefined {
    if (this.#bdatRemaining >= 0) throw new Error('nextLine() called inside a BDAT chunk');
    const line = this.#readLine(() => maxLength);
    if (line === undefined) return undefined;
    if (line === TOO_LONG) return { type: 'error', error: lineTooLong() };
    return { type: 'line', line: fromUtf8(line) };
  }

  /** Remove and return every buffered byte not yet returned (see the class notes). */
  takeBuffered(): Uint8Array {
    const rest = this.#discarding ? EMPTY : this.#buf;
    this.#buf = EMPTY;
    this.#scanned = 0;
    this.#discarding = false;
    return rest;
  }

  #nextBdatData(): CommandDecoderItem | undefined {
    const remaining = this.#bdatRemaining;
    if (remaining > 0 && this.#buf.length === 0) return undefined;
    const n = Math.min(remaining, this.#buf.length);
    const data = this.#buf.subarray(0, n);
    this.#buf = this.#buf.subarray(n);
    this.#bdatRemaining = remaining - n;
    const end = this.#bdatRemaining === 0;
    if (end) this.#bdatRemaining = -1;
    return { type: 'bdat-data', data, end };
  }

  /** One line without its CRLF (or bare LF), TOO_LONG once per overlong line, or undefined. */
  #readLine(limitFor: (buf: Uint8Array) => number): Uint8Array | typeof TOO_LONG | undefined {
    if (this.#discarding) {
      const lf = this.#buf.indexOf(LF);
      if (lf === -1) {
        this.#buf = EMPTY;
        return undefined;
      }
      this.#buf = this.#buf.subarray(lf + 1);
      this.#discarding = false;
    }
    const buf = this.#buf;
    const lf = buf.indexOf(LF, this.#scanned);
    if (lf === -1) {
      if (buf.length >= limitFor(buf)) {
        // No LF within the limit: report now, then drop bytes up to the next LF.
        this.#buf = EMPTY;
        this.#scanned = 0;
        this.#discarding = true;
        return TOO_LONG;
      }
      this.#scanned = buf.length;
      return undefined;
    }
    // Usually the line was all there was (a client waiting for the reply).
    this.#buf = lf + 1 === buf.length ? EMPTY : buf.subarray(lf + 1);
    this.#scanned = 0;
    if (lf + 1 > limitFor(buf)) return TOO_LONG;
    return buf.subarray(0, lf > 0 && buf[lf - 1] === CR ? lf - 1 : lf);
  }
}
