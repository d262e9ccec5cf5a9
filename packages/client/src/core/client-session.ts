/**
 * The sans-I/O ESMTP client: commands in, bytes out; bytes in, events out. No sockets,
 * timers or clock reads here — the Node layer (src/node/) moves the bytes, runs the timers
 * and performs the TLS handshake. All grammar comes from `@smtpkit/wire`.
 */
import {
  type Command,
  formatCommand,
  type MailParameters,
  type Path,
  type RcptParameters,
  type Reply,
  ReplyDecoder,
} from '@smtpkit/wire';
import { SmtpClientError } from './errors';
import { phaseOfStage, type ReplyStage } from './phases';
import { type ClientState, type ClientVerb, COMMAND_TABLE } from './states';

const encoder = new TextEncoder();

/** The verb a reply answers; `DATA-END` is the reply to the final dot (RFC 5321 §4.1.1.4). */
export type ReplyVerb = ClientVerb | 'DATA-END';

/** What {@link ClientSession.receive} reports. */
export type SessionEvent =
  /** The server's greeting (RFC 5321 §4.3.1). */
  | { readonly type: 'greeting'; readonly reply: Reply }
  /** The reply to the oldest command still awaiting one (RFC 2920 §3.1: replies come in order). */
  | { readonly type: 'reply'; readonly verb: ReplyVerb; readonly reply: Reply; readonly last: boolean }
  /** A reply nobody asked for; a `421` here means the server is closing. */
  | { readonly type: 'unsolicited'; readonly reply: Reply }
  /** Bytes that arrived after the `220` to STARTTLS and were thrown away (RFC 3207 §4.2). */
  | { readonly type: 'discarded'; readonly bytes: number }
  /** The server broke the protocol; the session is closed and the connection must be dropped. */
  | { readonly type: 'protocol-error'; readonly error: SmtpClientError };

interface Pending {
  readonly verb: ReplyVerb;
  readonly stage: ReplyStage;
  /** For BDAT: whether this was the LAST chunk; for DATA-END/LMTP: whether it is the last reply. */
  readonly last: boolean;
}

/** Options for {@link ClientSession}. */
export interface ClientSessionOptions {
  /** Speak LMTP (RFC 2033): one reply per accepted recipient after the data. */
  readonly lmtp?: boolean | undefined;
}

/**
 * The client half of an SMTP session as a state machine (see {@link ClientState} and the
 * transition table in `states.ts`). Each command method checks the command is legal now,
 * queues the reply it expects and returns the bytes for the host to write. `receive` matches
 * replies to those commands in order and returns events.
 *
 * @example
 * ```ts
 * const session = new ClientSession();
 * session.receive(bytes('220 mx.example ESMTP\r\n')); // [{ type: 'greeting', ... }]
 * socket.write(session.ehlo('client.example'));
 * ```
 */
export class ClientSession {
  private decoder = new ReplyDecoder();
  private readonly queue: Pending[] = [];
  private queueHead = 0;
  private confirmed: ClientState = 'greeting';
  private projected: ClientState = 'greeting';
  private greeted = false;
  private barrier = false;
  private readonly lmtp: boolean;

  /** @param options - `lmtp`. */
  constructor(options: ClientSessionOptions = {}) {
    this.lmtp = options.lmtp === true;
  }

  /** The state confirmed by the server's replies so far. */
  get state(): ClientState {
    return this.confirmed;
  }

  /** How many replies are still awaited. */
  get pendingReplies(): number {
    return this.queue.length - this.queueHead;
  }

  /** What the oldest awaited reply is for (for the host's timer), or `undefined`. */
  get awaiting(): ReplyStage | undefined {
    if (!this.greeted && this.confirmed === 'greeting') return 'greeting';
    return this.queue[this.queueHead]?.stage;
  }

  /** Whether this session speaks LMTP. */
  get isLmtp(): boolean {
    return this.lmtp;
  }

  /** `EHLO domain` (RFC 5321 §4.1.1.1); `LHLO` for LMTP. */
  ehlo(domain: string): Uint8Array {
    return this.send({ verb: this.lmtp ? 'LHLO' : 'EHLO', domain }, 'ehlo');
  }

  /** `HELO domain`, the fallback when EHLO is refused with 500/502 (RFC 5321 §4.1.4). */
  helo(domain: string): Uint8Array {
    return this.send({ verb: 'HELO', domain }, 'ehlo');
  }

  /** `STARTTLS` (RFC 3207). After its 220 the session ignores input until {@link tlsStarted}. */
  startTls(): Uint8Array {
    return this.send({ verb: 'STARTTLS' }, 'tls');
  }

  /**
   * `AUTH mechanism [initial-response]` (RFC 4954 §4). `initialResponse` is already base64
   * (`=` for an empty one). A `334` reply leaves the session in `auth`: answer with
   * {@link authResponse}.
   */
  auth(mechanism: string, initialResponse?: string): Uint8Array {
    return this.send(
      initialResponse === undefined
        ? { verb: 'AUTH', mechanism }
        : { verb: 'AUTH', mechanism, initialResponse },
      'auth',
    );
  }

  /** One base64 line answering a `334` challenge, or `*` to cancel (RFC 4954 §4). */
  authResponse(line: string): Uint8Array {
    if (this.confirmed !== 'auth' || this.pendingReplies !== 0) {
      throw new Error(`ClientSession: no AUTH challenge to answer (state ${this.confirmed})`);
    }
    if (!/^[A-Za-z0-9+/=*]*$/.test(line)) throw new TypeError('AUTH response must be base64 or "*"');
    this.queue.push({ verb: 'AUTH', stage: 'auth', last: false });
    this.barrier = true;
    return encoder.encode(`${line}\r\n`);
  }

  /** `MAIL FROM:<reverse-path> [params]` (RFC 5321 §4.1.1.2). */
  mail(reversePath: Path, params: MailParameters = {}): Uint8Array {
    return this.send({ verb: 'MAIL', reversePath, params }, 'mail');
  }

  /** `RCPT TO:<forward-path> [params]` (RFC 5321 §4.1.1.3). */
  rcpt(forwardPath: Path, params: RcptParameters = {}): Uint8Array {
    return this.send({ verb: 'RCPT', forwardPath, params }, 'rcpt');
  }

  /** `DATA` (RFC 5321 §4.1.1.4). After its 354, send the dot-stuffed body and call {@link endData}. */
  data(): Uint8Array {
    return this.send({ verb: 'DATA' }, 'dataInit');
  }

  /**
   * Queues the reply (or, for LMTP, one reply per accepted recipient, RFC 2033 §4.2) to the
   * end of data. The host writes the dot-stuffer's final bytes (`CRLF.CRLF`) itself.
   */
  endData(replies = 1): void {
    if (this.confirmed !== 'body')
      throw new Error(`ClientSession: no DATA body open (state ${this.confirmed})`);
    this.expectEnd('DATA-END', replies);
    this.projected = 'ready';
    this.barrier = true;
  }

  /**
   * `BDAT size [LAST]` (RFC 3030 §2): returns the command line; the host writes exactly
   * `size` bytes right after it. `replies` is how many replies a LAST chunk draws (LMTP:
   * one per accepted recipient).
   */
  bdat(size: number, last: boolean, replies = 1): Uint8Array {
    const line = this.send({ verb: 'BDAT', size, last }, last ? 'dataEnd' : 'dataBlock', last);
    if (last && replies !== 1) {
      this.queue.pop();
      this.expectEnd('BDAT', replies);
    }
    return line;
  }

  /** `RSET` (RFC 5321 §4.1.1.5): ends any transaction. */
  rset(): Uint8Array {
    return this.send({ verb: 'RSET' }, 'command');
  }

  /** `NOOP` (RFC 5321 §4.1.1.9), e.g. to check a pooled connection is alive. */
  noop(): Uint8Array {
    return this.send({ verb: 'NOOP' }, 'command');
  }

  /** `QUIT` (RFC 5321 §4.1.1.10). */
  quit(): Uint8Array {
    return this.send({ verb: 'QUIT' }, 'quit');
  }

  /** Whether `verb` may be sent now (checked against the state after all in-flight commands). */
  canSend(verb: ClientVerb): boolean {
    if (this.confirmed === 'closed' || this.confirmed === 'tls') return false;
    if (this.confirmed === 'auth') return false;
    if (this.confirmed === 'greeting') return verb === 'QUIT' && this.greeted;
    // RFC 2920 §3.1: EHLO, STARTTLS, AUTH (and the end of data) must be the last command in
    // a group; nothing may follow until their reply arrives.
    if (this.barrier && this.pendingReplies > 0) return false;
    return COMMAND_TABLE[verb].from.includes(this.projected);
  }

  /**
   * Call once the TLS handshake after STARTTLS finished: the decoder starts afresh and the
   * session waits for a new EHLO (RFC 3207 §4.2: forget everything learned before TLS).
   */
  tlsStarted(): void {
    if (this.confirmed !== 'tls') throw new Error(`ClientSession: tlsStarted() in state ${this.confirmed}`);
    this.decoder = new ReplyDecoder();
    this.confirmed = 'connected';
    this.projected = 'connected';
  }

  /** Call when the connection is gone; nothing more can be sent. */
  closed(): void {
    this.confirmed = 'closed';
    this.projected = 'closed';
  }

  /**
   * Feeds bytes from the server. Returns the events they complete, in order. Never throws
   * for anything the peer sends: protocol violations come back as a `protocol-error` event.
   */
  receive(chunk: Uint8Array): SessionEvent[] {
    const events: SessionEvent[] = [];
    if (this.confirmed === 'tls' || this.confirmed === 'closed') {
      if (chunk.length > 0) events.push({ type: 'discarded', bytes: chunk.length });
      return events;
    }
    try {
      this.decoder.feed(chunk);
      for (;;) {
        const reply = this.decoder.next();
        if (reply === undefined) break;
        this.onReply(reply, events);
        if (this.stateIs('tls')) {
          // RFC 3207 §4.2 and the 2021 STARTTLS command-injection class: whatever followed
          // the 220 in the same read was sent in plaintext and must not be trusted.
          const rest = this.decoder.bufferedLength;
          this.decoder = new ReplyDecoder();
          if (rest > 0) events.push({ type: 'discarded', bytes: rest });
          break;
        }
        if (this.stateIs('closed')) break;
      }
    } catch (cause) {
      this.closed();
      events.push({
        type: 'protocol-error',
        error: new SmtpClientError(
          `malformed reply from server: ${cause instanceof Error ? cause.message : String(cause)}`,
          'ERR_SMTP_PROTOCOL',
          this.phaseNow(),
          { cause },
        ),
      });
    }
    return events;
  }

  // A method, so TypeScript does not narrow `confirmed` across calls that change it.
  private stateIs(state: ClientState): boolean {
    return this.confirmed === state;
  }

  private phaseNow() {
    const stage = this.awaiting;
    return stage === undefined ? 'noop' : phaseOfStage(stage);
  }

  private send(
    command: Command & { readonly verb: ClientVerb },
    stage: ReplyStage,
    last = false,
  ): Uint8Array {
    const verb = command.verb;
    if (!this.canSend(verb)) {
      throw new Error(`ClientSession: cannot send ${verb} in state ${this.projected}`);
    }
    // formatCommand throws TypeError on CR/LF/NUL in any field: no command injection.
    const line = formatCommand(command);
    this.queue.push({ verb, stage, last });
    const to = COMMAND_TABLE[verb].to;
    if (to !== undefined) this.projected = to;
    if (verb === 'BDAT' && last) this.projected = 'ready';
    this.barrier =
      verb === 'EHLO' ||
      verb === 'HELO' ||
      verb === 'LHLO' ||
      verb === 'STARTTLS' ||
      verb === 'AUTH' ||
      verb === 'QUIT' ||
      (verb === 'BDAT' && last);
    return line;
  }

  private expectEnd(verb: ReplyVerb, replies: number): void {
    if (!Number.isSafeInteger(replies) || replies < 1)
      throw new RangeError('replies must be a positive integer');
    for (let i = 1; i <= replies; i++) this.queue.push({ verb, stage: 'dataEnd', last: i === replies });
  }

  private shift(): Pending | undefined {
    const head = this.queue[this.queueHead];
    if (head === undefined) return undefined;
    this.queueHead += 1;
    if (this.queueHead > 64 && this.queueHead * 2 > this.queue.length) {
      this.queue.splice(0, this.queueHead);
      this.queueHead = 0;
    }
    return head;
  }

  private onReply(reply: Reply, events: SessionEvent[]): void {
    if (!this.greeted) {
      this.greeted = true;
      // RFC 5321 §4.3.1: 220 opens the session; 554 (or anything else) refuses it, and only
      // QUIT is then meaningful.
      if (reply.code === 220) {
        this.confirmed = 'connected';
        this.projected = 'connected';
      }
      events.push({ type: 'greeting', reply });
      return;
    }
    const pending = this.shift();
    if (pending === undefined) {
      if (reply.code === 421) this.closed();
      events.push({ type: 'unsolicited', reply });
      return;
    }
    const positive = reply.code >= 200 && reply.code < 300;
    switch (pending.verb) {
      case 'EHLO':
      case 'HELO':
      case 'LHLO':
        this.confirmed = positive ? 'ready' : 'connected';
        break;
      case 'STARTTLS':
        this.confirmed = reply.code === 220 ? 'tls' : 'ready';
        break;
      case 'AUTH':
        this.confirmed = reply.code === 334 ? 'auth' : 'ready';
        break;
      case 'MAIL':
        if (positive) this.confirmed = 'mail';
        break;
      case 'RCPT':
        if (positive) this.confirmed = 'rcpt';
        break;
      case 'DATA':
        // RFC 2920 §3.1: a 354 can come even though every RCPT failed; the host then
        // sends an empty body and the final dot.
        if (reply.code === 354) this.confirmed = 'body';
        break;
      case 'BDAT':
        // RFC 3030 §2: after a failed chunk the transaction is dead; the host must RSET.
        if (positive && pending.last) this.confirmed = 'ready';
        else if (this.confirmed === 'rcpt' || this.confirmed === 'mail') this.confirmed = 'bdat';
        break;
      case 'DATA-END':
        if (pending.last) this.confirmed = 'ready';
        break;
      case 'RSET':
        if (positive) this.confirmed = 'ready';
        break;
      case 'NOOP':
        break;
      case 'QUIT':
        this.closed();
        break;
    }
    // RFC 5321 §3.8: 421 means the server is closing the channel, whatever it answered.
    if (reply.code === 421) this.closed();
    if (this.pendingReplies === 0 && this.confirmed !== 'closed') this.projected = this.confirmed;
    events.push({ type: 'reply', verb: pending.verb, reply, last: pending.last });
  }
}
