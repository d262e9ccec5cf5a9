/**
 * The message body stage: DATA (RFC 5321 §4.1.1.4, ended by CRLF.CRLF and nothing else) and
 * BDAT chunks (RFC 3030 §2, exactly `size` octets each). Streams the unstuffed body out as
 * `body` actions, never whole, and enforces SIZE while it streams (RFC 1870 §6.2). The session
 * owns the protocol state; this file owns the body's bytes and its refusal.
 */
import { type CommandDecoder, DataDecoder, type DataDecoderOptions, type Reply } from '@smtpkit/wire';
import type { ResolvedExtensions, ResolvedLimits } from './options';
import type { ServerAction } from './session-actions';
import type { ServerState } from './state';

/** RFC 1870 §6.2 / RFC 3463: the body went over the limit. */
const TOO_BIG: Reply = {
  code: 552,
  enhanced: '5.3.4',
  lines: ['Message size exceeds fixed maximum message size'],
};

/** How a BDAT chunk ended, once all its octets were read. @internal */
export type BdatOutcome =
  /** The BDAT command itself was refused: answer `reply` and go back to `resume`. */
  | { readonly kind: 'refused'; readonly reply: Reply; readonly resume: ServerState }
  /** The last chunk, or the body is already refused: finish the message. */
  | { readonly kind: 'end' }
  /** More chunks to come: `size` octets so far. */
  | { readonly kind: 'more'; readonly size: number };

/** The body of the current mail transaction, for one connection. @internal */
export class BodyStage {
  /** Whether the backend's body stream is open (from DATA or the first BDAT to its end). */
  open = false;
  /** Why the message will be refused once its body is read, if it will be. */
  refusal: Reply | undefined;
  private size = 0;
  private data: DataDecoder | undefined;
  // The BDAT chunk being read.
  private bdatRemaining = 0;
  private bdatLast = false;
  private bdatRefusal: Reply | undefined;
  private bdatResume: ServerState = 'rcpt';
  /** The options of every message's DataDecoder, made once per connection. */
  private readonly decoderOptions: DataDecoderOptions;

  constructor(
    private readonly ext: ResolvedExtensions,
    private readonly limits: ResolvedLimits,
    bareLineEndings: 'reject' | 'normalize',
    private readonly push: (action: ServerAction) => void,
  ) {
    this.decoderOptions = this.enforcesSize()
      ? { bareLineEndings, maxSize: limits.maxMessageSize }
      : { bareLineEndings };
  }

  /** Opens the backend's body stream for a new message. */
  openStream(): void {
    this.open = true;
    this.size = 0;
    this.refusal = undefined;
    this.push({ type: 'data-open' });
  }

  // ---- DATA -------------------------------------------------------------------------------

  /** DATA was accepted: `early` is what the client pipelined after the command. */
  beginData(early: Uint8Array): void {
    const body = new DataDecoder(this.decoderOptions);
    this.data = body;
    // Bytes pipelined after DATA are the start of the body.
    if (early.length > 0) body.feed(early);
    this.openStream();
  }

  /** Bytes from the client while in the `data` state. */
  feedData(bytes: Uint8Array): void {
    if (!this.data) throw new TypeError('DATA bytes without a DATA body in progress');
    this.data.feed(bytes);
  }

  /**
   * Streams what was fed. `undefined` while the body goes on; at CRLF.CRLF, the bytes that
   * followed it (the next commands).
   */
  readData(): Uint8Array | undefined {
    const body = this.data;
    if (!body) throw new TypeError('readData() without a DATA body in progress');
    for (;;) {
      const item = body.next();
      if (item === undefined) return undefined;
      if (item.type === 'data') {
        this.chunk(item.data);
        continue;
      }
      const rest = body.takeBuffered();
      this.data = undefined;
      if (!item.result.ok && !this.refusal) this.refusal = item.result.reply;
      return rest;
    }
  }

  // ---- BDAT (RFC 3030) --------------------------------------------------------------------

  /**
   * A BDAT command: read `size` octets whatever happens; with `refusal`, drop them and answer
   * that (a 503 still consumes the chunk, RFC 3030 §2). `resume` is the state to go back to.
   */
  beginBdat(size: number, last: boolean, resume: ServerState, refusal: Reply | undefined): void {
    this.bdatRemaining = size;
    this.bdatLast = last;
    this.bdatResume = resume;
    this.bdatRefusal = refusal;
  }

  /**
   * Reads the chunk's octets. `undefined` until all arrived. With `rawLines` (XCLIENT-trusted
   * connections read lines, not commands) the chunk is framed here: exactly `size` bytes.
   */
  readBdat(decoder: CommandDecoder, rawLines: boolean): BdatOutcome | undefined {
    if (rawLines) {
      if (this.bdatRemaining > 0) {
        const input = decoder.takeBuffered();
        if (input.length === 0) return undefined;
        const take = Math.min(this.bdatRemaining, input.length);
        if (take < input.length) decoder.feed(input.subarray(take));
        this.bdatRemaining -= take;
        if (!this.bdatRefusal) this.chunk(take === input.length ? input : input.subarray(0, take));
        if (this.bdatRemaining > 0) return undefined;
      }
    } else {
      for (;;) {
        const item = decoder.next();
        if (item === undefined) return undefined;
        if (item.type !== 'bdat-data') throw new TypeError('CommandDecoder did not frame the BDAT chunk');
        if (!this.bdatRefusal) this.chunk(item.data);
        if (item.end) break;
      }
    }
    if (this.bdatRefusal) return { kind: 'refused', reply: this.bdatRefusal, resume: this.bdatResume };
    // RFC 3030 §2: a refused chunk ends the transaction; the client must start over.
    if (this.bdatLast || this.refusal) return { kind: 'end' };
    return { kind: 'more', size: this.size };
  }

  // ---- both -------------------------------------------------------------------------------

  private enforcesSize(): boolean {
    return this.ext.size || this.limits.maxMessageSize > 0;
  }

  private chunk(chunk: Uint8Array): void {
    if (chunk.length === 0) return;
    this.size += chunk.length;
    if (this.refusal) return;
    // RFC 1870 §6.2: over the limit, the rest of the body is read and dropped, then 552.
    if (this.enforcesSize() && this.size > this.limits.maxMessageSize) {
      this.refusal = TOO_BIG;
      return;
    }
    this.push({ type: 'body', chunk });
  }
}
