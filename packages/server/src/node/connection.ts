/**
 * One client connection: moves bytes between the socket and the sans-I/O ServerSession,
 * performs the session's backend calls, streams bodies, runs the stage timer and upgrades to
 * TLS. Policy lives in the core; this file only does I/O.
 * @internal
 */
import type { Socket } from 'node:net';
import { TLSSocket } from 'node:tls';
import { isSmtpReplyError, type Reply, SmtpError, SmtpReplyError } from '@smtpkit/wire';
import type { ScramCredentials } from '../core/sasl';
import { type BackendCall, ServerSession } from '../core/session';
import type { BackendSession, ConnectionInfo, SessionContext, TlsInfo } from './backend';
import { BodyStream } from './body-stream';
import { readProxyHeader } from './proxy-header-reader';
import type { ServerRuntime } from './runtime';
import { StageTimer } from './stage-timer';
import { channelBindingOf, startServerTls, tlsInfo } from './tls-upgrade';

const BODY_HIGH_WATER = 256 * 1024;

/** @internal */
export class Connection {
  private socket: Socket;
  private session: ServerSession | undefined;
  private backend: BackendSession | undefined;
  private info: ConnectionInfo;
  private tls: TlsInfo | undefined;
  private readonly abort = new AbortController();
  private context: SessionContext | undefined;
  private body: BodyStream | undefined;
  /** How the backend's `data()` for `body` settled, once it has. */
  private dataOutcome: DataOutcome | undefined;
  private dataSettled = false;
  /** The body ended with a refusal (SIZE, bare line ends, a reset): counted as refused. */
  private dataRefused = false;
  /** The session's `data-end` call waits for `data()` to settle. */
  private dataEndWaiting = false;
  private bodySize = 0;
  /** Increments when an asynchronous backend call starts and when it settles or times out. */
  private callToken = 0;
  /** The call `backendTimer` is armed for: its token and kind. */
  private timedToken = -1;
  private timedKind: BackendCall['kind'] = 'mail';
  /** One timer for every backend call's deadline, re-armed with `refresh()`. */
  private backendTimer: NodeJS.Timeout | undefined;
  /** Replies to write at the end of this drain: usually one, so it is kept apart. */
  private outFirst: Uint8Array | undefined;
  private outMore: Uint8Array[] | undefined;
  private readonly timer = new StageTimer(() => this.onTimeout());
  private pausedForBuffer = false;
  private pausedForBody = false;
  /** Whether this connection paused the socket (tracked here: asking the socket costs more). */
  private readingPaused = false;
  private finished = false;
  private flushing = false;
  private counted = false;
  private readonly onData = (chunk: Buffer) => this.receive(chunk);

  constructor(
    private readonly runtime: ServerRuntime,
    socket: Socket,
    secure: boolean,
  ) {
    this.socket = socket;
    this.info = {
      id: runtime.nextId(),
      remoteAddress: normaliseAddress(socket.remoteAddress ?? ''),
      remotePort: socket.remotePort ?? 0,
      localAddress: normaliseAddress(socket.localAddress ?? ''),
      localPort: socket.localPort ?? 0,
      secure,
    };
    if (secure && socket instanceof TLSSocket) this.tls = tlsInfo(socket);
    socket.setNoDelay(true);
    socket.on('error', (error) => this.runtime.log('debug', 'socket error', { id: this.info.id, error }));
    socket.on('close', () => this.finish());
  }

  /** The connection's id and addresses. */
  get connection(): ConnectionInfo {
    return this.info;
  }

  async start(): Promise<void> {
    if (this.runtime.isTrustedProxy(this.info.remoteAddress)) {
      const ok = await this.readProxyHeader();
      if (!ok) return;
    }
    const refusal = this.runtime.admit(this.info);
    if (refusal) {
      this.refuse(refusal);
      return;
    }
    this.counted = true;
    this.runtime.emit('connection', this.info);
    if (this.tls) this.runtime.emit('tls', { connection: this.info, tls: this.tls });
    const opened = await this.openBackend();
    if (!opened || this.finished) return;
    this.createSession();
    this.socket.on('data', this.onData);
    // A PROXY header reader leaves the socket paused; updateFlow resumes it.
    this.readingPaused = this.socket.isPaused();
    this.flush();
  }

  private createSession(): void {
    const options = this.runtime.options;
    const session = new ServerSession({
      hostname: options.hostname,
      ...(options.banner === undefined ? {} : { banner: options.banner }),
      lmtp: options.lmtp,
      extensions: options.extensions,
      limits: options.limits,
      secure: this.info.secure,
      ...(this.info.secure && this.socket instanceof TLSSocket
        ? { channelBinding: channelBindingOf(this.socket) }
        : {}),
      tlsAvailable: this.runtime.tlsAvailable,
      // SCRAM needs the backend's stored credentials as well as its `auth`.
      authMechanisms: this.backend?.auth
        ? options.authMechanisms.filter((m) => !m.startsWith('SCRAM-') || this.backend?.scramCredentials)
        : [],
      allowInsecureAuth: options.allowInsecureAuth,
      requireAuth: options.requireAuth,
      bareLineEndings: options.bareLineEndings,
      xclient: this.runtime.isTrustedXclient(this.info.remoteAddress),
      nonce: this.runtime.nonce,
    });
    this.session = session;
    this.context = undefined;
    session.start();
    if (this.runtime.closing) session.shutdown();
  }

  private async openBackend(): Promise<boolean> {
    try {
      this.backend = await this.runtime.backend.openSession(this.info, this.abort.signal);
      return true;
    } catch (error) {
      // RFC 5321 §3.1: a server may refuse at connect (554); a fault defers (421).
      const reply: Reply = isSmtpReplyError(error)
        ? error.reply
        : { code: 421, enhanced: '4.3.0', lines: [`${this.runtime.options.hostname} Service not available`] };
      if (!isSmtpReplyError(error))
        this.runtime.log('error', 'openSession failed', { id: this.info.id, error });
      this.refuse(reply);
      return false;
    }
  }

  private refuse(reply: Reply): void {
    this.runtime.metrics.connectionsRefused++;
    this.runtime.metrics.reply(reply.code);
    const session = new ServerSession({ hostname: this.runtime.options.hostname, nonce: this.runtime.nonce });
    session.refuse(reply);
    this.session = session;
    this.flush();
  }

  /** Reads the trusted proxy's PROXY header and takes the client's addresses from it. */
  private async readProxyHeader(): Promise<boolean> {
    const header = await readProxyHeader(this.socket, (reason) =>
      this.runtime.log('warn', 'bad PROXY header', { id: this.info.id, reason }),
    );
    if (!header) return false;
    this.info = { ...this.info, proxy: header };
    if (header.source) {
      this.info = {
        ...this.info,
        remoteAddress: normaliseAddress(header.source.address),
        remotePort: header.source.port,
        ...(header.destination
          ? {
              localAddress: normaliseAddress(header.destination.address),
              localPort: header.destination.port,
            }
          : {}),
        via: header.version === 1 ? 'proxy-v1' : 'proxy-v2',
      };
    }
    return true;
  }

  private receive(chunk: Buffer): void {
    const session = this.session;
    if (!session || this.finished) return;
    session.receive(chunk);
    this.flush();
  }

  /** Performs the session's actions until it waits for input or an asynchronous call. */
  private flush(): void {
    if (this.flushing) return;
    this.flushing = true;
    try {
      this.drain();
    } finally {
      this.flushing = false;
    }
  }

  private drain(): void {
    const session = this.session!;
    const metrics = this.runtime.metrics;
    for (;;) {
      const action = session.nextAction();
      if (action === undefined) break;
      switch (action.type) {
        case 'send':
          if (this.outFirst === undefined) this.outFirst = action.bytes;
          else if (this.outMore === undefined) this.outMore = [this.outFirst, action.bytes];
          else this.outMore.push(action.bytes);
          if (action.code >= 400) metrics.reply(action.code);
          break;
        case 'body':
          metrics.bytesReceived += action.chunk.length;
          this.bodySize += action.chunk.length;
          if (this.body && !this.dataSettled && !this.body.push(action.chunk)) this.pausedForBody = true;
          break;
        case 'data-open':
          this.openData();
          break;
        case 'call':
          if (!this.perform(action.call)) {
            this.write();
            this.updateFlow();
            return;
          }
          break;
        case 'starttls':
          this.write();
          this.startTls();
          return;
        case 'close':
          this.write();
          this.timer.clear();
          this.socket.end();
          this.finishSoon();
          return;
      }
    }
    this.write();
    this.updateFlow();
  }

  private write(): void {
    const first = this.outFirst;
    if (first === undefined) return;
    const more = this.outMore;
    this.outFirst = undefined;
    this.outMore = undefined;
    // One write per drain: pipelined replies leave in one segment (RFC 2920 §3.2).
    if (!this.socket.destroyed) this.socket.write(more === undefined ? first : Buffer.concat(more));
  }

  /** Pauses or resumes reading and (re)arms the stage timer. */
  private updateFlow(): void {
    const session = this.session!;
    const limits = this.runtime.options.limits;
    const overBuffer = session.bufferedBytes > limits.maxPipelinedBytes;
    if (overBuffer !== this.pausedForBuffer) this.pausedForBuffer = overBuffer;
    if (this.pausedForBuffer || this.pausedForBody) {
      this.socket.pause();
      this.readingPaused = true;
    } else if (this.readingPaused) {
      this.readingPaused = false;
      this.socket.resume();
    }
    const stage = session.timerStage;
    const ms =
      stage === 'data' ? limits.dataTimeout : stage === 'tls' ? limits.tlsTimeout : limits.commandTimeout;
    this.timer.update(stage, session.progress, ms);
  }

  private onTimeout(): void {
    const session = this.session;
    if (!session || this.finished) return;
    this.runtime.log('info', 'timeout', { id: this.info.id, stage: this.timer.stage });
    this.runtime.emit('timeout', { connection: this.info, stage: this.timer.stage });
    if (this.body && !this.dataSettled) this.body.fail(new SmtpReplyError(TIMEOUT_REPLY));
    session.timeout();
    this.flush();
  }

  // ---- backend calls ----------------------------------------------------------------------

  private ctx(): SessionContext {
    const session = this.session!;
    const context = this.context;
    if (
      context &&
      context.heloName === session.heloName &&
      context.authenticatedAs === session.authenticatedAs &&
      context.tls === this.tls &&
      context.connection === this.info
    ) {
      return context;
    }
    this.context = {
      connection: this.info,
      heloName: session.heloName,
      authenticatedAs: session.authenticatedAs,
      tls: this.tls,
      signal: this.abort.signal,
    };
    return this.context;
  }

  /**
   * Starts a backend call. Returns true when it completed synchronously (the session can go
   * on at once), false when the session waits for a promise.
   */
  private perform(call: BackendCall): boolean {
    if (call.kind === 'data-end') return this.performDataEnd(call.refusal);
    const session = this.session!;
    let result: unknown;
    try {
      result = this.invoke(call);
    } catch (error) {
      session.rejectCall(error);
      return true;
    }
    if (!isPromiseLike(result)) {
      session.resolveCall(result);
      return true;
    }
    // Each asynchronous call gets a token; a result that arrives after the call timed out
    // (or after the session moved on) carries a stale token and is dropped.
    const token = this.startCall(call.kind);
    const settle = (apply: () => void) => {
      if (this.finished || this.session !== session || this.callToken !== token) return;
      this.callToken++;
      apply();
      this.flush();
    };
    result.then(
      (value) => settle(() => session.resolveCall(value)),
      (error: unknown) =>
        settle(() => {
          if (!isSmtpReplyError(error)) {
            this.runtime.log('error', `backend ${call.kind} failed`, { id: this.info.id, error });
          }
          session.rejectCall(error);
        }),
    );
    return false;
  }

  /** An asynchronous call starts: a new token, and the backend deadline armed for it. */
  private startCall(kind: BackendCall['kind']): number {
    const token = ++this.callToken;
    const limit = this.runtime.options.limits.backendTimeout;
    if (kind === 'delay' || limit <= 0) return token;
    this.timedToken = token;
    this.timedKind = kind;
    if (this.backendTimer === undefined) {
      this.backendTimer = setTimeout(() => this.onBackendTimeout(), limit);
      this.backendTimer.unref();
    } else {
      this.backendTimer.refresh();
    }
    return token;
  }

  /** The backend deadline passed: fails the call it was armed for, if still outstanding. */
  private onBackendTimeout(): void {
    const session = this.session;
    if (this.finished || !session || this.timedToken !== this.callToken) return;
    this.callToken++;
    const kind = this.timedKind;
    this.runtime.log('error', `backend ${kind} timed out`, { id: this.info.id });
    if (kind === 'data-end') {
      this.dataSettled = true;
      this.dataEndWaiting = false;
      this.body = undefined;
      this.dataOutcome = undefined;
      this.runtime.metrics.messagesRefused++;
    }
    session.rejectCall(new SmtpError(`backend ${kind} timed out`, 'ERR_SMTP_TIMEOUT'));
    this.flush();
  }

  private invoke(call: BackendCall): unknown {
    const backend = this.backend!;
    switch (call.kind) {
      case 'mail':
        return backend.mail(call.reversePath, call.params, this.ctx());
      case 'rcpt':
        return backend.rcpt(call.forwardPath, call.params, this.ctx());
      case 'reset':
        return backend.reset?.(this.ctx());
      case 'data-end':
        throw new TypeError('data-end is performed by performDataEnd');
      case 'auth':
        if (!backend.auth) throw new TypeError('backend has no auth()');
        return this.observeAuth(call.request.mechanism, call.request.username, () =>
          backend.auth!(call.request, this.ctx()),
        );
      case 'scram-credentials':
        return backend.scramCredentials?.(call.username, this.ctx()) as
          | ScramCredentials
          | undefined
          | Promise<ScramCredentials | undefined>;
      case 'delay':
        return new Promise<void>((resolve) => setTimeout(resolve, call.ms).unref());
      case 'xclient':
        return this.restartForXclient(call.attributes);
    }
  }

  /** Runs the backend's auth and reports the outcome as an `auth` event. */
  private observeAuth(mechanism: string, username: string, run: () => unknown): unknown {
    if (!this.runtime.hasListeners('auth')) return run();
    const report = (accepted: boolean) =>
      this.runtime.emit('auth', { connection: this.info, mechanism, username, accepted });
    let result: unknown;
    try {
      result = run();
    } catch (error) {
      report(false);
      throw error;
    }
    if (!isPromiseLike(result)) {
      report(true);
      return result;
    }
    return Promise.resolve(result).then(
      (value) => {
        report(true);
        return value;
      },
      (error: unknown) => {
        report(false);
        throw error;
      },
    );
  }

  private openData(): void {
    const body = new BodyStream(BODY_HIGH_WATER, () => {
      if (!this.pausedForBody) return;
      this.pausedForBody = false;
      if (!this.finished) this.updateFlow();
    });
    this.body = body;
    this.bodySize = 0;
    this.dataSettled = false;
    this.dataOutcome = undefined;
    this.dataEndWaiting = false;
    let result: unknown;
    try {
      result = this.backend!.data(body, this.ctx());
    } catch (error) {
      this.dataDone(body, { ok: false, error });
      return;
    }
    if (isPromiseLike(result)) {
      result.then(
        (value) => this.dataDone(body, { ok: true, value }),
        (error: unknown) => this.dataDone(body, { ok: false, error }),
      );
    } else {
      this.dataDone(body, { ok: true, value: result });
    }
  }

  /** The backend's `data()` for `body` settled. */
  private dataDone(body: BodyStream, outcome: DataOutcome): void {
    // After a backend timeout the session has moved on (maybe to a new body): leave it be.
    if (this.body !== body || this.finished) return;
    this.dataOutcome = outcome;
    // A backend that settles before reading everything no longer holds the client back.
    this.dataSettled = true;
    if (this.pausedForBody) {
      this.pausedForBody = false;
      this.updateFlow();
    }
    if (!this.dataEndWaiting) return;
    this.dataEndWaiting = false;
    this.callToken++;
    this.finishData();
    this.flush();
  }

  /**
   * The session's `data-end`: ends (or fails, with `refusal`) the body stream, then answers
   * with what `data()` settled to. True when that is known already.
   */
  private performDataEnd(refusal: Reply | undefined): boolean {
    const body = this.body;
    if (refusal) body?.fail(new SmtpReplyError(refusal));
    else body?.end();
    this.dataRefused = refusal !== undefined;
    if (body !== undefined && this.dataOutcome === undefined) {
      this.dataEndWaiting = true;
      this.startCall('data-end');
      return false;
    }
    this.finishData();
    return true;
  }

  /** Counts and reports the message, then completes the session's `data-end` call. */
  private finishData(): void {
    const session = this.session!;
    const outcome = this.dataOutcome ?? DATA_WITHOUT_BODY;
    this.body = undefined;
    this.dataOutcome = undefined;
    const metrics = this.runtime.metrics;
    const accepted = !this.dataRefused && outcome.ok;
    if (accepted) metrics.messagesAccepted++;
    else metrics.messagesRefused++;
    if (this.runtime.hasListeners('message')) {
      this.runtime.emit('message', { connection: this.info, accepted, size: this.bodySize });
    }
    if (outcome.ok) {
      session.resolveCall(outcome.value);
      return;
    }
    if (!isSmtpReplyError(outcome.error)) {
      this.runtime.log('error', 'backend data-end failed', { id: this.info.id, error: outcome.error });
    }
    session.rejectCall(outcome.error);
  }

  private async restartForXclient(attributes: import('../core/session').XclientAttributes): Promise<void> {
    await this.backend?.close?.();
    this.info = {
      ...this.info,
      ...(attributes.address === undefined ? {} : { remoteAddress: normaliseAddress(attributes.address) }),
      ...(attributes.port === undefined ? {} : { remotePort: attributes.port }),
      ...(attributes.destinationAddress === undefined
        ? {}
        : { localAddress: normaliseAddress(attributes.destinationAddress) }),
      ...(attributes.destinationPort === undefined ? {} : { localPort: attributes.destinationPort }),
      ...(attributes.name === undefined ? {} : { clientHostname: attributes.name }),
      ...(attributes.login === undefined ? {} : { login: attributes.login }),
      via: 'xclient',
    };
    this.backend = await this.runtime.backend.openSession(this.info, this.abort.signal);
  }

  // ---- TLS --------------------------------------------------------------------------------

  private startTls(): void {
    const plain = this.socket;
    plain.removeListener('data', this.onData);
    const tlsSocket = startServerTls(plain, this.runtime);
    this.socket = tlsSocket;
    this.updateFlow();
    tlsSocket.on('error', (error) => {
      this.runtime.log('info', 'TLS handshake failed', { id: this.info.id, error });
      tlsSocket.destroy();
      plain.destroy();
    });
    tlsSocket.on('close', () => this.finish());
    tlsSocket.once('secure', () => {
      if (this.finished) return;
      this.tls = tlsInfo(tlsSocket);
      this.runtime.emit('tls', { connection: this.info, tls: this.tls });
      this.session!.tlsEstablished(channelBindingOf(tlsSocket));
      // RFC 3207 §4.2: the SMTP session starts over; the backend forgets the old state.
      const reset = this.backend?.reset?.(this.ctx());
      if (isPromiseLike(reset)) reset.then(undefined, () => {});
      tlsSocket.on('data', this.onData);
      this.readingPaused = tlsSocket.isPaused();
      this.flush();
    });
  }

  // ---- shutdown ---------------------------------------------------------------------------

  /** Graceful shutdown began: finish the transaction, then 421. */
  shutdown(): void {
    if (this.finished || !this.session) return;
    this.session.shutdown();
    this.flush();
  }

  /** The shutdown deadline passed: 421 now and close. */
  forceClose(): void {
    if (this.finished) return;
    this.abort.abort(new Error('server shutting down'));
    if (this.body && !this.dataSettled) this.body.fail(new SmtpReplyError(SHUTDOWN_REPLY));
    if (this.session) {
      this.session.abort();
      this.flush();
    }
    setTimeout(() => this.socket.destroy(), 100).unref();
  }

  private finishSoon(): void {
    // Give the peer a moment to read the last reply, then drop it if it lingers.
    setTimeout(() => this.socket.destroy(), 2000).unref();
  }

  private finish(): void {
    if (this.finished) return;
    this.finished = true;
    this.timer.clear();
    if (this.backendTimer !== undefined) clearTimeout(this.backendTimer);
    this.session?.closed();
    this.abort.abort(new Error('connection closed'));
    if (this.body && !this.dataSettled) this.body.fail(new Error('connection closed'));
    const close = this.backend?.close?.();
    if (isPromiseLike(close)) close.then(undefined, () => {});
    this.runtime.release(this, this.counted);
  }
}

/** How a backend's `data()` settled. */
type DataOutcome =
  | { readonly ok: true; readonly value: unknown }
  | { readonly ok: false; readonly error: unknown };

/** The outcome when no body stream was open (nothing to wait for). */
const DATA_WITHOUT_BODY: DataOutcome = { ok: true, value: undefined };

const TIMEOUT_REPLY: Reply = { code: 421, enhanced: '4.4.2', lines: ['Timeout'] };
const SHUTDOWN_REPLY: Reply = { code: 421, enhanced: '4.3.2', lines: ['Service shutting down'] };

function isPromiseLike(value: unknown): value is PromiseLike<unknown> {
  return (
    typeof value === 'object' && value !== null && typeof (value as { then?: unknown }).then === 'function'
  );
}

/** `::ffff:192.0.2.1` is the IPv4 client 192.0.2.1 (a dual-stack listener's view). */
export function normaliseAddress(address: string): string {
  return address.startsWith('::ffff:') && address.includes('.') ? address.slice(7) : address;
}
