/**
 * The thin Node layer under a client: one socket, one {@link ClientSession}, the reply
 * waiters, one timer, backpressure-aware writes and the STARTTLS upgrade.
 */
import { isIP, connect as netConnect, type Socket } from 'node:net';
import { type ConnectionOptions, TLSSocket, connect as tlsConnect } from 'node:tls';
import { type EhloCapabilities, type Reply, SmtpReplyError } from '@smtpkit/wire';
import { ClientSession } from '../core/client-session';
import { SmtpClientError } from '../core/errors';
import {
  phaseOfStage,
  type ReplyStage,
  type SmtpPhase,
  type SmtpTimeouts,
  timeoutOfStage,
} from '../core/phases';
import type { TlsInfo } from '../core/results';
import type { ChannelBinding } from '../core/sasl/index';
import { abortReason } from './abort';
import { describeCommand, type Tracer } from './events';

interface Waiter {
  resolve(reply: Reply): void;
  reject(error: Error): void;
  /** What the reply is for, for errors on connection loss. */
  readonly phase: SmtpPhase;
  /** Set for the reply to the end of data: losing it means the message may be accepted. */
  readonly final: boolean;
}

/** What {@link Channel.open} needs. */
export interface ChannelOptions {
  readonly host: string;
  readonly port: number;
  readonly implicitTls: boolean;
  readonly tls: ConnectionOptions;
  readonly timeouts: SmtpTimeouts;
  readonly lmtp: boolean;
  readonly localAddress: string | undefined;
  readonly tracer: Tracer;
}

function tlsInfoOf(socket: TLSSocket, via: TlsInfo['via']): TlsInfo {
  const cert = socket.getPeerCertificate();
  const cn = cert?.subject?.CN;
  return {
    protocol: socket.getProtocol() ?? undefined,
    cipher: socket.getCipher()?.standardName,
    authorized: socket.authorized,
    authorizationError: socket.authorizationError === null ? undefined : String(socket.authorizationError),
    peerSubject: Array.isArray(cn) ? cn.join(', ') : cn,
    via,
  };
}

/** A live connection: socket + session + waiters. Internal to the Node layer. */
export class Channel {
  readonly session: ClientSession;
  readonly server: string;
  capabilities: EhloCapabilities | undefined;
  tls: TlsInfo | undefined;
  /** Set once the connection is gone; the error that ended it (undefined after a clean QUIT). */
  closed = false;
  closeError: Error | undefined;
  /** When the last transaction (or connect) finished; used by the pool. */
  lastUsed = 0;

  private socket: Socket;
  private readonly waiters: Waiter[] = [];
  private waiterHead = 0;
  private greetingWaiter: Waiter | undefined;
  private timer: NodeJS.Timeout | undefined;
  private timerMs = 0;
  private timerStage: ReplyStage = 'greeting';
  private writing = 0;
  private drainWaiters: (() => void)[] = [];
  private readonly onData = (chunk: Buffer) => this.receive(chunk);
  private readonly onClose = () => this.fail(undefined);
  private readonly onError = (error: Error) => this.fail(error);

  private constructor(
    socket: Socket,
    private readonly options: ChannelOptions,
  ) {
    this.socket = socket;
    this.session = new ClientSession({ lmtp: options.lmtp });
    this.server = `${options.host}:${options.port}`;
    this.attach(socket);
  }

  /** Connects (and for implicit TLS, handshakes) and waits for the greeting. */
  static async open(
    options: ChannelOptions,
    signal?: AbortSignal,
  ): Promise<{ channel: Channel; greeting: Reply }> {
    const socket = await connectSocket(options, signal);
    const channel = new Channel(socket, options);
    const onAbort = () => channel.destroy(abortReason(signal as AbortSignal));
    signal?.addEventListener('abort', onAbort, { once: true });
    try {
      return await channel.greet();
    } finally {
      signal?.removeEventListener('abort', onAbort);
    }
  }

  private async greet(): Promise<{ channel: Channel; greeting: Reply }> {
    const tracer = this.options.tracer;
    if (this.options.implicitTls) {
      this.tls = tlsInfoOf(this.socket as TLSSocket, 'implicit');
      if (tracer.enabled) tracer.emit({ type: 'tls', server: this.server, tls: this.tls });
    }
    if (tracer.enabled) tracer.emit({ type: 'connect', server: this.server });
    const greeting = await new Promise<Reply>((resolve, reject) => {
      this.greetingWaiter = { resolve, reject, phase: 'greeting', final: false };
      this.arm();
    });
    return { channel: this, greeting };
  }

  private attach(socket: Socket): void {
    socket.on('data', this.onData);
    socket.on('close', this.onClose);
    socket.on('error', this.onError);
    socket.on('drain', () => {
      const list = this.drainWaiters;
      this.drainWaiters = [];
      for (const w of list) w();
    });
  }

  private detach(socket: Socket): void {
    socket.removeListener('data', this.onData);
    socket.removeListener('close', this.onClose);
    socket.removeListener('error', this.onError);
    socket.removeAllListeners('drain');
  }

  /** Replies still awaited. */
  get pending(): number {
    return this.waiters.length - this.waiterHead + (this.greetingWaiter ? 1 : 0);
  }

  /**
   * Runs a session method, records a waiter per reply it queued, and returns the bytes to
   * write and the reply promises (each already guarded against unhandled rejection).
   */
  prepare(
    build: (session: ClientSession) => Uint8Array,
    phase: SmtpPhase,
    final = false,
  ): {
    bytes: Uint8Array;
    replies: Promise<Reply>[];
  } {
    if (this.closed) throw this.closedError(phase);
    const before = this.session.pendingReplies;
    const bytes = build(this.session);
    const added = this.session.pendingReplies - before;
    return { bytes, replies: this.addWaiters(added, phase, final) };
  }

  /** Waiters for replies the session already queued (end of data). */
  expectQueued(count: number, phase: SmtpPhase, final: boolean): Promise<Reply>[] {
    return this.addWaiters(count, phase, final);
  }

  private addWaiters(count: number, phase: SmtpPhase, final: boolean): Promise<Reply>[] {
    const replies: Promise<Reply>[] = [];
    for (let i = 0; i < count; i++) {
      const reply = new Promise<Reply>((resolve, reject) => {
        this.waiters.push({ resolve, reject, phase, final: final && i === count - 1 ? true : final });
      });
      // Pipelined replies are awaited one by one; when the connection dies, the later ones
      // reject before anyone awaits them. They are still observed by whoever awaits.
      reply.catch(() => {});
      replies.push(reply);
    }
    this.arm();
    return replies;
  }

  /** Traces (when on) and writes a command line or pipelined group in one write. */
  writeCommands(bytes: Uint8Array, secret = false): void {
    if (this.options.tracer.enabled) {
      for (const line of splitLines(bytes)) {
        this.options.tracer.emit({
          type: 'command',
          server: this.server,
          line: describeCommand(line, secret),
        });
      }
    }
    this.socket.write(bytes);
  }

  /**
   * Writes body bytes, waiting for `drain` when the socket buffer is full so memory stays
   * flat; the dataBlock timeout covers a peer that stops reading (RFC 5321 §4.5.3.2.5).
   */
  async writeData(bytes: Uint8Array, phase: SmtpPhase = 'data'): Promise<void> {
    if (this.closed) throw this.closedError(phase);
    if (bytes.length === 0) return;
    if (this.socket.write(bytes)) return;
    this.writing += 1;
    this.arm();
    try {
      await new Promise<void>((resolve, reject) => {
        if (this.closed) {
          reject(this.closedError(phase));
          return;
        }
        this.drainWaiters.push(() => (this.closed ? reject(this.closedError(phase)) : resolve()));
      });
    } finally {
      this.writing -= 1;
      this.arm();
    }
  }

  /**
   * After STARTTLS's 220: hand the raw socket to TLS. The session has already thrown away
   * every plaintext byte that followed the 220 (RFC 3207 §4.2).
   */
  async upgrade(tls: ConnectionOptions): Promise<void> {
    const plain = this.socket;
    this.detach(plain);
    const secure = tlsConnect({ ...tls, socket: plain });
    this.socket = secure;
    await new Promise<void>((resolve, reject) => {
      const timer = setTimeout(() => {
        const error = new SmtpClientError(
          `TLS handshake with ${this.server} timed out after ${this.options.timeouts.tls / 1000} s`,
          'ERR_SMTP_TIMEOUT',
          'tls',
        );
        secure.destroy(error);
        reject(error);
      }, this.options.timeouts.tls);
      secure.once('secureConnect', () => {
        clearTimeout(timer);
        secure.removeAllListeners('error');
        resolve();
      });
      secure.once('error', (cause: Error) => {
        clearTimeout(timer);
        reject(
          new SmtpClientError(
            `TLS handshake with ${this.server} failed: ${cause.message}`,
            'ERR_SMTP_TLS',
            'tls',
            { cause },
          ),
        );
      });
    }).catch((error: unknown) => {
      this.fail(error instanceof Error ? error : new Error(String(error)));
      throw error;
    });
    this.attach(secure);
    this.session.tlsStarted();
    this.capabilities = undefined;
    this.tls = tlsInfoOf(secure, 'starttls');
    if (this.options.tracer.enabled)
      this.options.tracer.emit({ type: 'tls', server: this.server, tls: this.tls });
  }

  /**
   * The `tls-exporter` channel binding (RFC 9266) for SCRAM-SHA-256-PLUS: on TLS 1.3 only
   * (RFC 9266 §3 allows TLS 1.2 only with the extended master secret, which Node does not
   * report). An empty context is the same as none in TLS 1.3 (RFC 8446 §7.5).
   */
  channelBinding(): ChannelBinding | undefined {
    const socket = this.socket;
    if (!(socket instanceof TLSSocket) || socket.getProtocol() !== 'TLSv1.3') return undefined;
    const data = socket.exportKeyingMaterial(32, 'EXPORTER-Channel-Binding', Buffer.alloc(0));
    return { type: 'tls-exporter', data };
  }

  /** Ends the connection now, failing every waiter with `error` (or a plain close). */
  destroy(error?: Error): void {
    this.fail(
      error ??
        new SmtpClientError(
          `connection to ${this.server} closed by the client`,
          'ERR_SMTP_CONNECTION',
          'quit',
        ),
    );
  }

  /** Half-closes after QUIT, letting the server close. */
  end(): void {
    this.socket.end();
  }

  private receive(chunk: Buffer): void {
    const events = this.session.receive(chunk);
    const tracing = this.options.tracer.enabled;
    for (const event of events) {
      switch (event.type) {
        case 'greeting': {
          if (tracing)
            this.options.tracer.emit({
              type: 'reply',
              server: this.server,
              verb: 'greeting',
              reply: event.reply,
            });
          const w = this.greetingWaiter;
          this.greetingWaiter = undefined;
          w?.resolve(event.reply);
          break;
        }
        case 'reply': {
          if (tracing)
            this.options.tracer.emit({
              type: 'reply',
              server: this.server,
              verb: event.verb,
              reply: event.reply,
            });
          const w = this.waiters[this.waiterHead];
          if (w !== undefined) {
            this.waiters[this.waiterHead] = undefined as unknown as Waiter;
            this.waiterHead += 1;
            if (this.waiterHead === this.waiters.length) {
              this.waiters.length = 0;
              this.waiterHead = 0;
            }
            w.resolve(event.reply);
          }
          // RFC 5321 §3.8: 421 is the server closing the channel, whatever it answered.
          if (event.reply.code === 421 && event.verb !== 'QUIT') {
            this.fail(closingError(this.server, event.reply, w?.phase ?? 'noop', event.verb));
            return;
          }
          break;
        }
        case 'unsolicited':
          if (tracing)
            this.options.tracer.emit({
              type: 'reply',
              server: this.server,
              verb: 'unsolicited',
              reply: event.reply,
            });
          if (event.reply.code === 421) this.fail(closingError(this.server, event.reply, 'noop'));
          break;
        case 'discarded':
          if (tracing)
            this.options.tracer.emit({ type: 'discarded', server: this.server, bytes: event.bytes });
          break;
        case 'protocol-error':
          this.fail(event.error);
          return;
      }
    }
    this.arm();
  }

  private currentStage(): ReplyStage | undefined {
    if (this.writing > 0) return 'dataBlock';
    if (this.greetingWaiter) return 'greeting';
    if (this.waiterHead < this.waiters.length) return this.session.awaiting ?? 'command';
    return undefined;
  }

  /** (Re)starts the one timer for whatever is awaited now; clears it when nothing is. */
  private arm(): void {
    if (this.closed) return;
    const stage = this.currentStage();
    if (stage === undefined) {
      if (this.timer !== undefined) {
        clearTimeout(this.timer);
        this.timer = undefined;
      }
      return;
    }
    const ms = this.options.timeouts[timeoutOfStage(stage)];
    this.timerStage = stage;
    if (this.timer !== undefined && this.timerMs === ms) {
      this.timer.refresh();
      return;
    }
    if (this.timer !== undefined) clearTimeout(this.timer);
    this.timerMs = ms;
    this.timer = setTimeout(() => this.onTimeout(this.timerStage), ms);
  }

  private onTimeout(stage: ReplyStage): void {
    const seconds = this.options.timeouts[timeoutOfStage(stage)] / 1000;
    const message =
      stage === 'greeting'
        ? `connected to ${this.server}, no greeting in ${seconds} s` +
          (this.options.implicitTls ? '' : ' (is this an implicit-TLS port? try security: "tls")')
        : `no ${stage} reply from ${this.server} in ${seconds} s`;
    this.fail(
      new SmtpClientError(message, 'ERR_SMTP_TIMEOUT', phaseOfStage(stage), {
        messageMayBeAccepted: stage === 'dataEnd',
      }),
    );
  }

  private closedError(phase: SmtpPhase, final = false): SmtpClientError {
    if (this.closeError instanceof SmtpClientError && !final) return this.closeError;
    return new SmtpClientError(
      final
        ? `connection to ${this.server} lost before the reply to the end of data: the message may or may not have been accepted`
        : `connection to ${this.server} closed`,
      'ERR_SMTP_CONNECTION',
      phase,
      { cause: this.closeError, messageMayBeAccepted: final },
    );
  }

  private fail(error: Error | undefined): void {
    if (this.closed) return;
    this.closed = true;
    this.closeError = error;
    this.session.closed();
    if (this.timer !== undefined) clearTimeout(this.timer);
    this.timer = undefined;
    this.socket.destroy();
    const greeting = this.greetingWaiter;
    this.greetingWaiter = undefined;
    greeting?.reject(
      error ??
        new SmtpClientError(
          `${this.server} closed the connection before its greeting`,
          'ERR_SMTP_CONNECTION',
          'greeting',
        ),
    );
    const waiters = this.waiters.slice(this.waiterHead);
    this.waiters.length = 0;
    this.waiterHead = 0;
    for (const w of waiters) {
      // A timeout or abort is reported as itself; a plain close says where it happened and
      // whether the message may have been accepted (lost reply to the final dot).
      if (
        error !== undefined &&
        !(error instanceof SmtpClientError && error.code === 'ERR_SMTP_CONNECTION')
      ) {
        w.reject(error);
      } else {
        w.reject(this.closedError(w.phase, w.final));
      }
    }
    const drains = this.drainWaiters;
    this.drainWaiters = [];
    for (const d of drains) d();
    if (this.options.tracer.enabled) this.options.tracer.emit({ type: 'close', server: this.server, error });
  }
}

function* splitLines(bytes: Uint8Array): Generator<Uint8Array> {
  let start = 0;
  for (let i = 0; i < bytes.length; i++) {
    if (bytes[i] === 0x0a) {
      yield bytes.subarray(start, i + 1);
      start = i + 1;
    }
  }
  if (start < bytes.length) yield bytes.subarray(start);
}

function connectSocket(options: ChannelOptions, signal: AbortSignal | undefined): Promise<Socket> {
  return new Promise<Socket>((resolve, reject) => {
    if (signal?.aborted) {
      reject(abortReason(signal));
      return;
    }
    const base = {
      host: options.host,
      port: options.port,
      ...(options.localAddress === undefined ? {} : { localAddress: options.localAddress }),
    };
    const socket: Socket = options.implicitTls
      ? tlsConnect({
          ...options.tls,
          ...base,
          ...(options.tls.servername === undefined && isIP(options.host) === 0
            ? { servername: options.host }
            : {}),
        })
      : netConnect(base);
    socket.setNoDelay(true);
    const event = options.implicitTls ? 'secureConnect' : 'connect';
    const timer = setTimeout(() => {
      socket.destroy();
      reject(
        new SmtpClientError(
          `connecting to ${options.host}:${options.port} timed out after ${options.timeouts.connect / 1000} s`,
          'ERR_SMTP_TIMEOUT',
          'connect',
        ),
      );
    }, options.timeouts.connect);
    const onError = (cause: Error) => {
      clearTimeout(timer);
      signal?.removeEventListener('abort', onAbort);
      socket.destroy();
      const code = 'code' in cause ? String(cause.code) : '';
      const tlsFailure = options.implicitTls && !/^E[A-Z]+$/.test(code);
      reject(
        new SmtpClientError(
          `${tlsFailure ? 'TLS handshake with' : 'cannot connect to'} ${options.host}:${options.port}: ${cause.message}`,
          tlsFailure ? 'ERR_SMTP_TLS' : 'ERR_SMTP_CONNECTION',
          tlsFailure ? 'tls' : 'connect',
          { cause },
        ),
      );
    };
    const onAbort = () => {
      clearTimeout(timer);
      socket.destroy();
      reject(abortReason(signal as AbortSignal));
    };
    signal?.addEventListener('abort', onAbort, { once: true });
    socket.once('error', onError);
    socket.once(event, () => {
      clearTimeout(timer);
      signal?.removeEventListener('abort', onAbort);
      socket.removeListener('error', onError);
      resolve(socket);
    });
  });
}

/**
 * The error for a 421 (RFC 5321 §3.8: the server is closing the channel). The reply itself is
 * kept as the `cause`, so a caller can tell "the host is shutting down / overloaded" (and back
 * off from it) from a connection that merely dropped.
 */
function closingError(server: string, reply: Reply, phase: SmtpPhase, verb?: string): SmtpClientError {
  return new SmtpClientError(
    `${server} is closing the connection: 421 ${reply.lines.join(' ')}`,
    'ERR_SMTP_CONNECTION',
    phase,
    { cause: new SmtpReplyError(reply, verb === undefined ? undefined : { verb }) },
  );
}
