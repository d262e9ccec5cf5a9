/**
 * The sans-I/O SMTP/LMTP server session: bytes from the client in, actions out (bytes to
 * write, backend calls to make, body chunks to stream, TLS to start, the connection to close).
 * No sockets, timers, clock or randomness: the Node layer performs every action and reports
 * back. Ordering rules live in ./state.ts; grammar lives in @smtpkit/wire.
 */
import {
  type Command,
  CommandDecoder,
  isSmtpSyntaxError,
  type MailParameters,
  type Path,
  parseCommand,
  type RcptParameters,
  type Reply,
} from '@smtpkit/wire';
import { ActionQueue } from './action-queue';
import { AuthExchange } from './auth-exchange';
import { BodyStage } from './body-stage';
import { authMechanismsOffered, capabilities, type OfferContext, startTlsOffered } from './capabilities';
import { CommandCounters } from './command-counters';
import { checkMailParams, checkRcptParams } from './envelope-params';
import { INFORMATIONAL_REPLIES } from './fixed-replies';
import {
  type ResolvedExtensions,
  type ResolvedLimits,
  resolveExtensions,
  resolveLimits,
  type ServerSessionOptions,
} from './options';
import { replyForFailure } from './replies';
import type { ChannelBinding } from './sasl';
import type { BackendCall, ServerAction } from './session-actions';
import type { SessionIo } from './session-io';
import { isCommandState, type ServerState, TRANSITIONS, type TransitionRow } from './state';
import { isXclientLine, parseXclient, rawLineTooLong } from './xclient';

export type { BackendCall, ServerAction } from './session-actions';
export type { XclientAttributes } from './xclient';

/** The body ended normally: the same call every time. */
const DATA_END: BackendCall = { kind: 'data-end' };

/**
 * One SMTP or LMTP server connection as a state machine.
 *
 * @example
 * ```ts
 * const session = new ServerSession({ hostname: 'mx.example.org', nonce: () => crypto.randomUUID() });
 * session.start();
 * session.receive(new TextEncoder().encode('EHLO client.example\r\n'));
 * for (let a = session.nextAction(); a; a = session.nextAction()) {
 *   if (a.type === 'send') socket.write(a.bytes);
 *   else if (a.type === 'call') session.resolveCall(); // accept everything
 * }
 * ```
 */
export class ServerSession {
  /** The protocol state. */
  state: ServerState = 'initial';
  /** The name the client gave in EHLO/HELO/LHLO. */
  heloName: string | undefined;
  /** The username the client authenticated as (RFC 4954), after AUTH succeeded. */
  authenticatedAs: string | undefined;
  /** Whether the connection is TLS (implicit or after STARTTLS). */
  secure: boolean;
  /** The TLS channel's binding data (TLS 1.3), for SCRAM-SHA-256-PLUS. */
  channelBinding: ChannelBinding | undefined;
  /**
   * Increments on every complete command line and every finished body: the Node layer resets
   * its stage timer only when this changes, never on a mere byte (slowloris).
   */
  progress = 0;

  private readonly hostname: string;
  private readonly lmtp: boolean;
  private readonly ext: ResolvedExtensions;
  private readonly limits: ResolvedLimits;
  private readonly options: ServerSessionOptions;
  private readonly out: ActionQueue;
  private readonly decoder: CommandDecoder;
  /** XCLIENT needs the raw line, so trusted connections read lines and parse them here. */
  private readonly rawLines: boolean;
  private esmtp = false;
  private readonly counters: CommandCounters;
  private shuttingDown = false;
  // The mail transaction.
  private mailParams: MailParameters | undefined;
  private recipients = 0;
  /** MAIL's parameters while the backend decides on them. */
  private pendingMailParams: MailParameters | undefined;
  /** Why the body in the backend's hands will be refused, if it will be (see finishBody). */
  private bodyRefusal: Reply | undefined;
  private readonly io: SessionIo;
  private readonly auth: AuthExchange;
  private readonly body: BodyStage;

  /** @param options - See {@link ServerSessionOptions}. */
  constructor(options: ServerSessionOptions) {
    if (!options.hostname || /[\s\0]/.test(options.hostname)) {
      throw new TypeError('ServerSession: hostname must be a non-empty name without spaces');
    }
    if (typeof options.nonce !== 'function') throw new TypeError('ServerSession: nonce must be a function');
    this.options = options;
    this.hostname = options.hostname;
    this.lmtp = options.lmtp ?? false;
    this.ext = resolveExtensions(options.extensions);
    this.limits = resolveLimits(options.limits);
    this.secure = options.secure ?? false;
    this.channelBinding = options.channelBinding;
    this.out = new ActionQueue(this.ext.enhancedStatusCodes);
    this.counters = new CommandCounters(this.limits);
    this.rawLines = options.xclient ?? false;
    this.decoder = new CommandDecoder({
      maxCommandLength: this.limits.maxCommandLineLength,
      maxTextLineLength: this.rawLines
        ? Math.max(this.limits.maxAuthLineLength, this.limits.maxCommandLineLength)
        : this.limits.maxAuthLineLength,
    });
    this.io = {
      send: (code, enhanced, text) => this.out.send(code, enhanced, text),
      sendReply: (reply) => this.out.sendReply(reply),
      call: (call, onResolve, onReject) => this.out.call(call, onResolve, onReject),
      close: () => this.close(),
    };
    this.body = new BodyStage(this.ext, this.limits, options.bareLineEndings ?? 'reject', (action) =>
      this.out.push(action),
    );
    this.auth = new AuthExchange(this.io, this.hostname, this.limits, () => options.nonce(), {
      enter: () => {
        this.state = 'auth';
      },
      leave: () => {
        if (this.state === 'auth') this.state = 'ready';
      },
      succeeded: (username) => {
        this.authenticatedAs = username;
      },
    });
  }

  /** Bytes received but not yet acted on (the Node layer pauses reading above a limit). */
  get bufferedBytes(): number {
    return this.decoder.bufferedLength;
  }

  /** Whether a backend call is outstanding. */
  get waiting(): boolean {
    return this.out.pending !== undefined;
  }

  /** Which timer applies now: a command line, a body, the TLS handshake, or none. */
  get timerStage(): 'command' | 'data' | 'tls' | 'none' {
    if (this.out.pending || this.state === 'closed') return 'none';
    if (this.state === 'data' || this.state === 'bdat') return 'data';
    if (this.state === 'tls') return 'tls';
    return 'command';
  }

  /** Queues the greeting (RFC 5321 §4.3.1: 220). Call once, first. */
  start(): void {
    const banner = this.options.banner ?? (this.lmtp ? 'LMTP' : 'ESMTP');
    this.out.send(220, undefined, `${this.hostname} ${banner}`);
  }

  /**
   * Refuses the connection with `reply` (e.g. the backend's `openSession` threw, or a limit
   * was hit) and closes: RFC 5321 §3.1 lets a server answer the connection with 554 or 421.
   */
  refuse(reply: Reply): void {
    this.out.sendReply(reply);
    this.close();
  }

  /** Feeds bytes from the client. */
  receive(bytes: Uint8Array): void {
    if (this.state === 'closed') return;
    // RFC 3207 §4.2 (CVE-2011-0411): nothing sent before the handshake may be acted on.
    if (this.state === 'tls') return;
    if (this.state === 'data') this.body.feedData(bytes);
    else this.decoder.feed(bytes);
    this.pump();
  }

  /** The next action, or `undefined` when the session waits for input or a call. */
  nextAction(): ServerAction | undefined {
    return this.out.next();
  }

  /** Completes the outstanding backend call successfully, with its value if any. */
  resolveCall(value?: unknown): void {
    // A call that outlived the session (aborted at a shutdown deadline) has nowhere to go.
    if (this.state === 'closed' && !this.out.pending) return;
    const pending = this.out.takePending();
    pending.onResolve(value);
    this.pump();
  }

  /** Completes the outstanding backend call with the error it threw. */
  rejectCall(error: unknown): void {
    if (this.state === 'closed' && !this.out.pending) return;
    const pending = this.out.takePending();
    pending.onReject(error);
    this.pump();
  }

  /** The TLS handshake after STARTTLS succeeded: the session starts over (RFC 3207 §4.2). */
  tlsEstablished(channelBinding?: ChannelBinding): void {
    if (this.state !== 'tls') throw new TypeError('tlsEstablished() without STARTTLS');
    this.secure = true;
    this.channelBinding = channelBinding;
    this.decoder.takeBuffered();
    this.heloName = undefined;
    this.esmtp = false;
    this.state = 'initial';
    this.progress++;
  }

  /** The stage timer ran out: `421 4.4.2` and close (RFC 5321 §4.5.3.2). */
  timeout(): void {
    if (this.state === 'closed') return;
    this.out.send(421, '4.4.2', `${this.hostname} Error: timeout exceeded`);
    this.close();
  }

  /**
   * Graceful shutdown: when no transaction is in flight, `421 4.3.2` now; otherwise after the
   * current transaction ends.
   */
  shutdown(): void {
    this.shuttingDown = true;
    if (this.state === 'closed') return;
    if (!this.out.pending && (this.state === 'initial' || this.state === 'ready' || this.state === 'auth')) {
      this.out.send(421, '4.3.2', `${this.hostname} Service shutting down`);
      this.close();
    }
  }

  /** The shutdown deadline passed: `421 4.3.2` whatever the state, and close. */
  abort(): void {
    if (this.state === 'closed') return;
    this.out.pending = undefined;
    this.out.send(421, '4.3.2', `${this.hostname} Service shutting down`);
    this.close();
  }

  /** The client closed its side or the connection failed. */
  closed(): void {
    this.state = 'closed';
    this.out.pending = undefined;
  }

  // ---- the loop ---------------------------------------------------------------------------

  private pump(): void {
    while (!this.out.pending) {
      const state = this.state;
      if (state === 'closed' || state === 'tls') return;
      if (state === 'data') {
        if (!this.pumpData()) return;
      } else if (state === 'bdat') {
        if (!this.pumpBdat()) return;
      } else if (state === 'auth' || this.rawLines) {
        const item = this.decoder.nextLine();
        if (item === undefined) return;
        this.progress++;
        if (item.type === 'error') {
          if (state === 'auth') this.auth.end();
          this.out.sendReply(item.error.reply);
          this.countBad();
        } else if (state === 'auth') this.auth.line(item.line);
        else this.onRawCommandLine(item.line);
      } else {
        const item = this.decoder.next();
        if (item === undefined) return;
        this.progress++;
        if (item.type === 'command') this.dispatch(item.command);
        else if (item.type === 'error') {
          this.out.sendReply(item.error.reply);
          this.countBad();
        } else {
          // BDAT octets with no BDAT accepted: impossible by the decoder's contract.
          throw new TypeError('CommandDecoder returned BDAT data outside a BDAT chunk');
        }
      }
    }
  }

  /** A command line read raw (XCLIENT-trusted connections): XCLIENT here, the rest by wire. */
  private onRawCommandLine(line: string): void {
    if (isXclientLine(line)) {
      this.onXclient(line);
      return;
    }
    if (rawLineTooLong(line, this.limits)) {
      this.out.send(500, '5.5.2', 'Line too long');
      this.countBad();
      return;
    }
    let command: Command;
    try {
      command = parseCommand(line);
    } catch (error) {
      if (!isSmtpSyntaxError(error)) throw error;
      this.out.sendReply(error.reply);
      this.countBad();
      return;
    }
    this.dispatch(command);
  }

  /** Whether the state table lets the command in (`TRANSITIONS.MAIL`, ...); else 503 5.5.1. */
  private allowed(row: TransitionRow): boolean {
    const state = this.state;
    if (!isCommandState(state)) return false;
    if (row.allowed.includes(state)) return true;
    this.out.send(503, '5.5.1', `Error: ${row.refusal[state] ?? 'Bad sequence of commands'}`);
    this.countBad();
    return false;
  }

  private dispatch(command: Command): void {
    switch (command.verb) {
      case 'EHLO':
      case 'HELO':
      case 'LHLO':
        this.onHello(command.verb, command.domain);
        return;
      case 'MAIL':
        this.onMail(command.reversePath, command.params);
        return;
      case 'RCPT':
        this.onRcpt(command.forwardPath, command.params);
        return;
      case 'DATA':
        this.onData();
        return;
      case 'BDAT':
        this.onBdat(command.size, command.last);
        return;
      case 'RSET':
        if (!this.allowed(TRANSITIONS.RSET) || !this.junk()) return;
        this.resetTransaction(() => this.out.send(250, '2.0.0', 'Ok'));
        return;
      case 'QUIT':
        this.out.send(221, '2.0.0', `${this.hostname} Bye`);
        this.close();
        return;
      case 'NOOP':
      case 'VRFY':
      case 'EXPN':
      case 'HELP': {
        if (!this.allowed(TRANSITIONS[command.verb]) || !this.junk()) return;
        const reply = INFORMATIONAL_REPLIES[command.verb];
        this.out.send(reply.code, reply.enhanced, reply.text);
        return;
      }
      case 'STARTTLS':
        this.onStartTls();
        return;
      case 'AUTH':
        this.onAuth(command.mechanism, command.initialResponse);
        return;
    }
  }

  // ---- EHLO -------------------------------------------------------------------------------

  private onHello(verb: 'EHLO' | 'HELO' | 'LHLO', domain: string): void {
    // RFC 2033 §4.1: an LMTP server speaks only LHLO; an SMTP server does not know LHLO.
    if (this.lmtp !== (verb === 'LHLO')) {
      this.out.send(500, '5.5.1', 'Error: command not recognized');
      this.countBad();
      return;
    }
    if (!this.allowed(TRANSITIONS[verb])) return;
    this.resetTransaction(() => {
      this.heloName = domain;
      this.esmtp = verb !== 'HELO';
      this.state = 'ready';
      if (verb === 'HELO') this.out.send(250, undefined, this.hostname);
      else this.out.sendReply({ code: 250, lines: [this.hostname, ...capabilities(this.offers())] });
    });
  }

  /** The facts EHLO advertising depends on, as they stand now. */
  private offers(): OfferContext {
    return {
      ext: this.ext,
      limits: this.limits,
      options: this.options,
      secure: this.secure,
      authenticatedAs: this.authenticatedAs,
      channelBinding: this.channelBinding,
    };
  }

  // ---- MAIL / RCPT ------------------------------------------------------------------------

  // The backend's answers to the calls of every transaction, made once: a closure per call
  // would be three allocations per message for nothing.
  private readonly mailAccepted = (): void => {
    this.mailParams = this.pendingMailParams;
    this.pendingMailParams = undefined;
    this.recipients = 0;
    this.state = 'mail';
    this.out.sendBytes(250, this.out.fast.mailOk);
  };
  private readonly rcptAccepted = (): void => {
    this.recipients++;
    this.state = 'rcpt';
    this.out.sendBytes(250, this.out.fast.rcptOk);
  };
  private readonly callRefused = (error: unknown): void => {
    this.pendingMailParams = undefined;
    this.out.sendReply(replyForFailure(error));
  };

  private onMail(reversePath: Path, params: MailParameters): void {
    if (!this.allowed(TRANSITIONS.MAIL)) return;
    if (this.options.requireAuth && this.authenticatedAs === undefined) {
      this.out.send(530, '5.7.0', 'Authentication required');
      return;
    }
    // RFC 5321 §4.1.1.2: MAIL parameters are ESMTP; a client that said HELO has none.
    if (!this.esmtp && Object.keys(params).length > 0) {
      this.out.send(555, '5.5.4', 'ESMTP parameters need EHLO');
      return;
    }
    const problem = checkMailParams(this.ext, this.limits, this.secure, reversePath, params);
    if (problem) {
      this.out.sendReply(problem);
      return;
    }
    this.pendingMailParams = params;
    this.out.call({ kind: 'mail', reversePath, params }, this.mailAccepted, this.callRefused);
  }

  private onRcpt(forwardPath: Path, params: RcptParameters): void {
    if (!this.allowed(TRANSITIONS.RCPT)) return;
    // RFC 5321 §4.5.3.1.8: 452 (4.5.3, RFC 3463) for recipients over the limit.
    if (this.recipients >= this.limits.maxRecipients) {
      this.out.send(452, '4.5.3', 'Error: too many recipients');
      return;
    }
    const problem = checkRcptParams(this.ext, this.mailParams, forwardPath, params);
    if (problem) {
      this.out.sendReply(problem);
      return;
    }
    this.out.call({ kind: 'rcpt', forwardPath, params }, this.rcptAccepted, this.callRefused);
  }

  // ---- DATA -------------------------------------------------------------------------------

  private onData(): void {
    if (this.state === 'mail') {
      // RFC 5321 §3.3: DATA without an accepted recipient.
      this.out.send(554, '5.5.1', 'Error: no valid recipients');
      this.countBad();
      return;
    }
    if (!this.allowed(TRANSITIONS.DATA)) return;
    // RFC 3030 §3: a BINARYMIME body can only be sent with BDAT.
    if (this.mailParams?.body === 'BINARYMIME') {
      this.out.send(503, '5.5.1', 'Error: BINARYMIME requires BDAT');
      return;
    }
    this.out.sendBytes(354, this.out.fast.startData);
    this.state = 'data';
    this.body.beginData(this.decoder.takeBuffered());
  }

  private pumpData(): boolean {
    const rest = this.body.readData();
    if (rest === undefined) return false;
    this.progress++;
    // Bytes after CRLF.CRLF are the next commands.
    if (rest.length > 0) this.decoder.feed(rest);
    this.state = 'ready';
    this.finishBody();
    return true;
  }

  /** The body is complete or refused: let the backend settle, then answer. */
  private finishBody(): void {
    const refusal = this.body.refusal;
    this.body.open = false;
    this.bodyRefusal = refusal;
    this.out.call(refusal ? { kind: 'data-end', refusal } : DATA_END, this.bodySettled, this.bodyFailed);
  }

  private readonly bodySettled = (value: unknown): void => {
    const refusal = this.bodyRefusal;
    if (refusal) this.replyPerRecipient(refusal, undefined);
    else this.replyPerRecipient(undefined, value);
    this.endTransaction();
  };

  private readonly bodyFailed = (error: unknown): void => {
    this.replyPerRecipient(this.bodyRefusal ?? replyForFailure(error), undefined);
    this.endTransaction();
  };

  /** SMTP: one reply. LMTP (RFC 2033 §4.2): one reply per accepted recipient, in order. */
  private replyPerRecipient(failure: Reply | undefined, value: unknown): void {
    const count = this.lmtp ? this.recipients : 1;
    const outcomes = Array.isArray(value) ? (value as readonly unknown[]) : undefined;
    for (let i = 0; i < count; i++) {
      if (failure) {
        this.out.sendReply(failure);
        continue;
      }
      const outcome = outcomes?.[i];
      if (outcome === undefined || outcome === null) this.out.sendBytes(250, this.out.fast.queued);
      else this.out.sendReply(replyForFailure(outcome));
    }
  }

  private endTransaction(): void {
    this.bodyRefusal = undefined;
    this.mailParams = undefined;
    this.recipients = 0;
    this.body.refusal = undefined;
    this.state = 'ready';
    if (this.shuttingDown) this.shutdown();
  }

  // ---- BDAT (RFC 3030) --------------------------------------------------------------------

  private onBdat(size: number, last: boolean): void {
    const state = this.state;
    let refusal: Reply | undefined;
    if (!this.ext.chunking) {
      // Not offered: still swallow the octets, so they are never read as commands.
      refusal = { code: 502, enhanced: '5.5.1', lines: ['Error: command not implemented'] };
    } else if (!isCommandState(state) || !TRANSITIONS.BDAT.allowed.includes(state)) {
      const reason = isCommandState(state) ? TRANSITIONS.BDAT.refusal[state] : undefined;
      refusal = { code: 503, enhanced: '5.5.1', lines: [`Error: ${reason ?? 'Bad sequence of commands'}`] };
      this.countBad();
      if (this.state === 'closed') return;
    }
    this.body.beginBdat(size, last, state, refusal);
    if (!refusal && state === 'rcpt') this.body.openStream();
    this.state = 'bdat';
  }

  private pumpBdat(): boolean {
    const outcome = this.body.readBdat(this.decoder, this.rawLines);
    if (outcome === undefined) return false;
    this.progress++;
    if (outcome.kind === 'refused') {
      this.state = outcome.resume;
      this.out.sendReply(outcome.reply);
      return true;
    }
    this.state = 'chunking';
    if (outcome.kind === 'end') this.finishBody();
    else this.out.send(250, '2.0.0', `${outcome.size} octets received`);
    return true;
  }

  // ---- RSET / transaction reset -----------------------------------------------------------

  private resetTransaction(then: () => void): void {
    const state = this.state;
    const inTransaction = state === 'mail' || state === 'rcpt' || state === 'chunking';
    if (state === 'chunking' && this.body.open) {
      // An unfinished BDAT message is dropped: the backend's stream fails and it settles.
      this.body.open = false;
      this.out.call(
        { kind: 'data-end', refusal: { code: 451, enhanced: '4.3.0', lines: ['Transaction reset'] } },
        () => this.resetTransaction(then),
        () => this.resetTransaction(then),
      );
      return;
    }
    this.mailParams = undefined;
    this.recipients = 0;
    this.body.refusal = undefined;
    if (state !== 'initial') this.state = 'ready';
    if (!inTransaction) {
      then();
      if (this.shuttingDown) this.shutdown();
      return;
    }
    this.out.call(
      { kind: 'reset' },
      () => {
        then();
        if (this.shuttingDown) this.shutdown();
      },
      () => {
        then();
        if (this.shuttingDown) this.shutdown();
      },
    );
  }

  // ---- STARTTLS (RFC 3207) ----------------------------------------------------------------

  private onStartTls(): void {
    if (!startTlsOffered(this.offers())) {
      if (this.secure) this.out.send(503, '5.5.1', 'Error: TLS already active');
      else this.out.send(502, '5.5.1', 'Error: command not implemented');
      this.countBad();
      return;
    }
    if (!this.allowed(TRANSITIONS.STARTTLS)) return;
    this.out.send(220, '2.0.0', 'Ready to start TLS');
    // RFC 3207 §4.2: discard everything pipelined after STARTTLS (CVE-2011-0411).
    this.decoder.takeBuffered();
    this.state = 'tls';
    this.out.push({ type: 'starttls' });
  }

  // ---- AUTH (RFC 4954) --------------------------------------------------------------------

  private onAuth(mechanism: string, initialResponse: string | undefined): void {
    const offered = authMechanismsOffered(this.offers());
    if (!this.ext.auth || (this.options.authMechanisms ?? []).length === 0) {
      this.out.send(502, '5.5.1', 'Error: authentication not enabled');
      this.countBad();
      return;
    }
    if (this.authenticatedAs !== undefined) {
      this.out.send(503, '5.5.1', 'Error: already authenticated');
      return;
    }
    if (!this.allowed(TRANSITIONS.AUTH)) return;
    if (offered.length === 0) {
      // RFC 4954 §6: 538 when the mechanism needs an encrypted connection.
      this.out.send(538, '5.7.11', 'Encryption required for requested authentication mechanism');
      return;
    }
    const mech = offered.find((m) => m === mechanism);
    if (!mech) {
      this.out.send(504, '5.5.4', 'Unrecognized authentication type');
      return;
    }
    this.auth.begin(mech, initialResponse, this.channelBinding);
  }

  // ---- XCLIENT (Postfix XCLIENT_README) ---------------------------------------------------

  private onXclient(line: string): void {
    if (!this.allowed(TRANSITIONS.XCLIENT)) return;
    const parsed = parseXclient(line);
    if (!parsed.ok) {
      this.out.sendReply(parsed.reply);
      if (parsed.bad) this.countBad();
      return;
    }
    const xclient = parsed.attributes;
    this.out.call(
      { kind: 'xclient', attributes: xclient },
      () => {
        // The session starts over as if the named client had connected (XCLIENT_README).
        this.mailParams = undefined;
        this.recipients = 0;
        this.heloName = xclient.helo;
        this.authenticatedAs = xclient.login;
        this.state = 'initial';
        this.start();
      },
      (error) => this.out.sendReply(replyForFailure(error)),
    );
  }

  // ---- helpers ----------------------------------------------------------------------------

  private countBad(): void {
    if (this.counters.bad() && this.state !== 'closed') {
      this.out.send(421, '4.7.0', `${this.hostname} Error: too many errors`);
      this.close();
    }
  }

  /** Counts a junk command (Postfix smtpd_junk_command_limit); false when over. */
  private junk(): boolean {
    if (this.counters.junk()) {
      this.out.send(421, '4.7.0', `${this.hostname} Error: too many junk commands`);
      this.close();
      return false;
    }
    return true;
  }

  private close(): void {
    this.state = 'closed';
    this.decoder.takeBuffered();
    this.out.push({ type: 'close' });
  }
}
