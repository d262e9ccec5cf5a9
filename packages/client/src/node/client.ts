/**
 * `connect()` and the {@link SmtpClient} it returns: the session setup (greeting, EHLO with
 * HELO fallback, STARTTLS, AUTH), `sendMail`, the single verbs, and disposal.
 */
import {
  DataEncoder,
  type EhloCapabilities,
  type MailParameters,
  parseEhlo,
  type RcptParameters,
  type Reply,
  SmtpReplyError,
} from '@smtpkit/wire';
import { type Envelope, toPath as toPathOrThrow } from '../core/envelope';
import { SmtpClientError } from '../core/errors';
import type { SmtpPhase } from '../core/phases';
import type { SendResult, TlsInfo } from '../core/results';
import type { Credentials, SaslMechanism } from '../core/sasl/index';
import { abortReason, throwIfAborted, withAbort } from './abort';
import { authenticate } from './auth';
import { Channel } from './channel';
import { createTracer } from './events';
import { type ConnectOptions, isValidEhloName, type ResolvedOptions, resolveOptions } from './options';
import {
  command,
  type MessageBody,
  runTransaction,
  type SendOptions,
  type TransactionProgress,
} from './transaction';

/** Options every single-verb call takes. */
export interface CallOptions {
  /** Aborts the call; the connection is closed and the call rejects with the abort reason. */
  readonly signal?: AbortSignal | undefined;
}

/** Options for {@link SmtpClient.bdat}. */
export interface BdatOptions extends CallOptions {
  /** Mark this chunk `LAST` (RFC 3030 §2). */
  readonly last?: boolean | undefined;
}

/** Options for {@link SmtpClient.auth}. */
export interface AuthCallOptions extends CallOptions {
  /** Force a SASL mechanism instead of the strongest offered. */
  readonly method?: SaslMechanism | undefined;
  /** Allow credentials without TLS (overrides the connect-time setting). */
  readonly allowInsecureAuth?: boolean | undefined;
}

/**
 * A connected, greeted (and, as configured, TLS-secured and authenticated) SMTP client.
 * Calls on one client run one at a time, in order.
 *
 * @example
 * ```ts
 * await using client = await connect({ host: 'mx.example.org', name: 'me.example.com' });
 * const result = await client.sendMail({ from: 'a@example.com', to: ['b@example.org'] }, body);
 * console.log(result.accepted, result.rejected, result.deferred);
 * ```
 */
export interface SmtpClient extends AsyncDisposable {
  /** The server's 220 greeting. */
  readonly greeting: Reply;
  /** What the server announced in its latest EHLO (after TLS: only the post-TLS ones, RFC 3207 §4.2). */
  readonly capabilities: EhloCapabilities | undefined;
  /** The TLS state, or `undefined` while plaintext. */
  readonly tls: TlsInfo | undefined;
  /** `host:port` of the server. */
  readonly server: string;
  /** Whether the connection is gone (closed, failed, or QUIT). */
  readonly closed: boolean;
  /**
   * Sends one message. Resolves with per-recipient results (accepted / rejected /
   * deferred) — refusals are values, not exceptions. Rejects with SmtpReplyError when MAIL
   * is refused, SmtpClientError when the connection fails (see `messageMayBeAccepted`).
   */
  sendMail(envelope: Envelope, body: MessageBody, options?: SendOptions): Promise<SendResult>;
  /** `EHLO` (or `LHLO`), falling back to `HELO` on 500/502 (RFC 5321 §4.1.4). Updates {@link SmtpClient.capabilities}. */
  ehlo(name?: string, options?: CallOptions): Promise<Reply>;
  /** `STARTTLS` and the TLS handshake, then EHLO again (RFC 3207 §4.2). */
  startTls(options?: CallOptions): Promise<TlsInfo>;
  /** `AUTH` with the given (or the connect-time) credentials. Resolves with the 235 reply. */
  auth(credentials?: Credentials, options?: AuthCallOptions): Promise<Reply>;
  /** `MAIL FROM:<address>` with wire parameters; rejects with SmtpReplyError on 4yz/5yz. */
  mail(from: string, params?: MailParameters, options?: CallOptions): Promise<Reply>;
  /** `RCPT TO:<address>`; rejects with SmtpReplyError on 4yz/5yz. */
  rcpt(to: string, params?: RcptParameters, options?: CallOptions): Promise<Reply>;
  /** `DATA`, the dot-stuffed body and the final dot; resolves with the final reply. */
  data(body: MessageBody, options?: CallOptions): Promise<Reply>;
  /** One `BDAT` chunk (RFC 3030); rejects with SmtpReplyError on refusal. */
  bdat(chunk: Uint8Array, options?: BdatOptions): Promise<Reply>;
  /** `RSET` (RFC 5321 §4.1.1.5). */
  rset(options?: CallOptions): Promise<Reply>;
  /** `NOOP` (RFC 5321 §4.1.1.9). */
  noop(options?: CallOptions): Promise<Reply>;
  /** `QUIT`, then close; never throws for a peer that just hangs up. */
  quit(options?: CallOptions): Promise<void>;
  /** Closes the connection at once, without QUIT. */
  close(): void;
}

/** The implementation behind {@link SmtpClient}; internal to the package (the pool uses `sendMailTracked`). */
export class ClientConnection implements SmtpClient {
  #channel: Channel;
  readonly #options: ResolvedOptions;
  #tail: Promise<unknown> = Promise.resolve();
  #greeting: Reply;

  constructor(channel: Channel, options: ResolvedOptions, greeting: Reply) {
    this.#channel = channel;
    this.#options = options;
    this.#greeting = greeting;
  }

  /** The server's 220 greeting. */
  get greeting(): Reply {
    return this.#greeting;
  }

  /** What the server announced in its latest EHLO (after TLS: only the post-TLS ones). */
  get capabilities(): EhloCapabilities | undefined {
    return this.#channel.capabilities;
  }

  /** The TLS state, or `undefined` while plaintext. */
  get tls(): TlsInfo | undefined {
    return this.#channel.tls;
  }

  /** `host:port` of the server. */
  get server(): string {
    return this.#channel.server;
  }

  /** Whether the connection is gone (closed, failed, or QUIT). */
  get closed(): boolean {
    return this.#channel.closed;
  }

  get lastUsed(): number {
    return this.#channel.lastUsed;
  }

  /** Runs `work` after every earlier call, aborting (closing the connection) on `signal`. */
  #run<T>(signal: AbortSignal | undefined, work: () => Promise<T>): Promise<T> {
    const run = this.#tail.then(() =>
      withAbort(signal, (reason) => this.#channel.destroy(reason), work).catch((error: unknown) => {
        if (signal?.aborted) throw abortReason(signal);
        throw error;
      }),
    );
    this.#tail = run.catch(() => {});
    return run;
  }

  /**
   * Sends one message. Resolves with per-recipient results (accepted / rejected /
   * deferred) — refusals are values, not exceptions. Throws SmtpReplyError when MAIL is
   * refused, SmtpClientError when the connection fails (see `messageMayBeAccepted`).
   */
  sendMail(envelope: Envelope, body: MessageBody, options: SendOptions = {}): Promise<SendResult> {
    return this.sendMailTracked(envelope, body, options, { bodyStarted: false, endSent: false });
  }

  /** `sendMail` that reports progress (for the pool's retry rule). */
  sendMailTracked(
    envelope: Envelope,
    body: MessageBody,
    options: SendOptions,
    progress: TransactionProgress,
  ): Promise<SendResult> {
    return this.#run(options.signal, async () => {
      let result: SendResult;
      try {
        result = await runTransaction(
          this.#channel,
          {
            pipelining: this.#options.pipelining,
            chunking: this.#options.chunking,
            lmtp: this.#options.lmtp,
          },
          envelope,
          body,
          options,
          progress,
        );
      } catch (error) {
        // Mid-transaction (a body stream that threw, a local bug): the server's state is
        // unknown, so the connection cannot be reused.
        const state = this.#channel.session.state;
        if (this.#channel.pending > 0 || (state !== 'ready' && state !== 'connected'))
          this.#channel.destroy();
        throw error;
      }
      this.#channel.lastUsed = performance.now();
      return result;
    });
  }

  /** `EHLO` (or `LHLO`), falling back to `HELO` on 500/502 (RFC 5321 §4.1.4). Updates `capabilities`. */
  ehlo(name: string = this.#options.name, options: CallOptions = {}): Promise<Reply> {
    if (!isValidEhloName(name)) {
      return Promise.reject(
        new TypeError(`EHLO name ${JSON.stringify(name)} is not a domain or address literal`),
      );
    }
    return this.#run(options.signal, () => hello(this.#channel, name, this.#options.lmtp));
  }

  /** `STARTTLS` and the TLS handshake, then EHLO again (RFC 3207 §4.2). */
  startTls(options: CallOptions = {}): Promise<TlsInfo> {
    return this.#run(options.signal, () => startTls(this.#channel, this.#options, true));
  }

  /** `AUTH` with the given (or the connect-time) credentials. Resolves with the 235 reply. */
  auth(credentials?: Credentials, options: AuthCallOptions = {}): Promise<Reply> {
    const creds = credentials ?? this.#options.auth;
    if (creds === undefined) return Promise.reject(new TypeError('auth() needs credentials'));
    return this.#run(options.signal, () =>
      authenticate(this.#channel, creds, {
        method: options.method ?? this.#options.authMethod,
        allowInsecureAuth: options.allowInsecureAuth ?? this.#options.allowInsecureAuth,
        signal: options.signal,
        random: this.#options.random,
      }),
    );
  }

  /** `MAIL FROM:<address>` with raw wire parameters; rejects with SmtpReplyError on refusal. */
  mail(from: string, params: MailParameters = {}, options: CallOptions = {}): Promise<Reply> {
    return this.#verb('mail', 'MAIL', (s) => s.mail(toPathOrThrow(from, 'from'), params), options);
  }

  /** `RCPT TO:<address>`; rejects with SmtpReplyError on refusal. */
  rcpt(to: string, params: RcptParameters = {}, options: CallOptions = {}): Promise<Reply> {
    return this.#verb('rcpt', 'RCPT', (s) => s.rcpt(toPathOrThrow(to, 'to'), params), options);
  }

  /**
   * `DATA`, the dot-stuffed body, and the final dot. Resolves with the final reply; rejects
   * with SmtpReplyError if DATA or the message is refused.
   */
  data(body: MessageBody, options: CallOptions = {}): Promise<Reply> {
    return this.#run(options.signal, async () => {
      const start = await command(this.#channel, (s) => s.data(), 'data');
      if (start.code !== 354) throw new SmtpReplyError(start, { verb: 'DATA' });
      const encoder = new DataEncoder();
      const chunks = body instanceof Uint8Array ? [body] : body;
      for await (const chunk of chunks) await this.#channel.writeData(encoder.encode(chunk));
      this.#channel.session.endData(1);
      const [reply] = this.#channel.expectQueued(1, 'data', true);
      await this.#channel.writeData(encoder.end());
      const final = await (reply as Promise<Reply>);
      if (final.code >= 300) throw new SmtpReplyError(final, { verb: 'DATA' });
      return final;
    });
  }

  /** One `BDAT` chunk (RFC 3030); rejects with SmtpReplyError on refusal. */
  bdat(chunk: Uint8Array, options: BdatOptions = {}): Promise<Reply> {
    return this.#run(options.signal, async () => {
      const p = this.#channel.prepare(
        (s) => s.bdat(chunk.length, options.last === true),
        'data',
        options.last === true,
      );
      this.#channel.writeCommands(p.bytes);
      await this.#channel.writeData(chunk);
      const reply = await (p.replies[0] as Promise<Reply>);
      if (reply.code >= 300) throw new SmtpReplyError(reply, { verb: 'BDAT' });
      return reply;
    });
  }

  /** `RSET`. */
  rset(options: CallOptions = {}): Promise<Reply> {
    return this.#verb('rset', 'RSET', (s) => s.rset(), options);
  }

  /** `NOOP`. */
  noop(options: CallOptions = {}): Promise<Reply> {
    return this.#verb('noop', 'NOOP', (s) => s.noop(), options);
  }

  /** `QUIT`, then close. Resolves once the connection is closed; never throws for a peer that just hangs up. */
  quit(options: CallOptions = {}): Promise<void> {
    return this.#run(options.signal, async () => {
      const channel = this.#channel;
      if (channel.closed) return;
      if (!channel.session.canSend('QUIT')) {
        channel.destroy();
        return;
      }
      try {
        await command(channel, (s) => s.quit(), 'quit');
      } catch {
        // A server that closes without its 221 has still ended the session.
      }
      channel.end();
      channel.destroy();
    });
  }

  /** Closes the connection at once, without QUIT. */
  close(): void {
    this.#channel.destroy();
  }

  /** `await using client = await connect(...)`: QUIT on scope exit. */
  async [Symbol.asyncDispose](): Promise<void> {
    await this.quit().catch(() => this.close());
  }

  #verb(
    phase: SmtpPhase,
    verb: string,
    build: Parameters<Channel['prepare']>[0],
    options: CallOptions,
  ): Promise<Reply> {
    return this.#run(options.signal, async () => {
      const reply = await command(this.#channel, build, phase);
      if (reply.code >= 400) throw new SmtpReplyError(reply, { verb });
      return reply;
    });
  }
}

async function hello(channel: Channel, name: string, lmtp: boolean): Promise<Reply> {
  let reply = await command(channel, (s) => s.ehlo(name), 'ehlo');
  // RFC 5321 §4.1.4: a server that does not know EHLO answers 500/502; try HELO (not for LMTP).
  if (!lmtp && (reply.code === 500 || reply.code === 502)) {
    reply = await command(channel, (s) => s.helo(name), 'ehlo');
    if (reply.code !== 250) throw new SmtpReplyError(reply, { verb: 'HELO' });
    channel.capabilities = parseEhlo({ code: 250, lines: [reply.lines[0] ?? ''] });
    return reply;
  }
  if (reply.code !== 250) throw new SmtpReplyError(reply, { verb: lmtp ? 'LHLO' : 'EHLO' });
  channel.capabilities = parseEhlo(reply);
  return reply;
}

async function startTls(channel: Channel, options: ResolvedOptions, required: boolean): Promise<TlsInfo> {
  if (channel.tls !== undefined) throw new SmtpClientError('TLS is already active', 'ERR_SMTP_TLS', 'tls');
  if (required && channel.capabilities?.startTls !== true) {
    throw new SmtpClientError(`${channel.server} does not offer STARTTLS`, 'ERR_SMTP_TLS', 'tls');
  }
  const reply = await command(channel, (s) => s.startTls(), 'tls');
  if (reply.code !== 220) {
    throw new SmtpClientError(
      `STARTTLS refused by ${channel.server}: ${reply.code} ${reply.lines.join(' ')}`,
      'ERR_SMTP_TLS',
      'tls',
      { cause: new SmtpReplyError(reply, { verb: 'STARTTLS' }) },
    );
  }
  await channel.upgrade(options.tls);
  // RFC 3207 §4.2: discard the pre-TLS capabilities and ask again.
  await hello(channel, options.name, options.lmtp);
  return channel.tls as unknown as TlsInfo;
}

/**
 * Connects, reads the greeting, says EHLO, secures the connection as `security` says and
 * authenticates when `auth` is given. Rejects with SmtpClientError (phase `connect`,
 * `greeting`, `tls`, `ehlo`, `auth`) or SmtpReplyError (a refusal); the socket is closed then.
 *
 * @example
 * ```ts
 * const client = await connect({
 *   host: 'smtp.example.com', port: 587, security: 'starttls',
 *   auth: { user: 'me', pass: process.env.SMTP_PASS ?? '' },
 * });
 * ```
 */
export function connect(options: ConnectOptions): Promise<SmtpClient> {
  return openConnection(options);
}

/** {@link connect} returning the implementation (for the pool). */
export async function openConnection(options: ConnectOptions): Promise<ClientConnection> {
  const resolved = resolveOptions(options);
  const signal = options.signal;
  throwIfAborted(signal);
  const tracer = createTracer(resolved.onEvent, resolved.logger);
  let channel: Channel | undefined;
  const onAbort = () => channel?.destroy(abortReason(signal as AbortSignal));
  signal?.addEventListener('abort', onAbort, { once: true });
  try {
    const opened = await Channel.open(
      {
        host: resolved.host,
        port: resolved.port,
        implicitTls: resolved.security === 'tls',
        tls: resolved.tls,
        timeouts: resolved.timeouts,
        lmtp: resolved.lmtp,
        localAddress: resolved.localAddress,
        tracer,
      },
      signal,
    );
    channel = opened.channel;
    throwIfAborted(signal);
    if (opened.greeting.code !== 220) {
      const refusal = new SmtpReplyError(opened.greeting);
      await command(channel, (s) => s.quit(), 'quit').catch(() => undefined);
      channel.destroy();
      throw refusal;
    }
    await hello(channel, resolved.name, resolved.lmtp);
    const offered = channel.capabilities?.startTls === true;
    if (resolved.security === 'starttls' || (resolved.security === 'opportunistic' && offered)) {
      await startTls(channel, resolved, true);
    }
    if (resolved.auth !== undefined) {
      await authenticate(channel, resolved.auth, {
        method: resolved.authMethod,
        allowInsecureAuth: resolved.allowInsecureAuth,
        signal,
        random: resolved.random,
      });
    }
    channel.lastUsed = performance.now();
    return new ClientConnection(channel, resolved, opened.greeting);
  } catch (error) {
    channel?.destroy();
    if (signal?.aborted) throw abortReason(signal);
    throw error;
  } finally {
    signal?.removeEventListener('abort', onAbort);
  }
}

/** Options for the one-call {@link sendMail}. */
export interface SendMailOptions extends ConnectOptions, Omit<SendOptions, 'signal'> {
  /** The envelope. */
  readonly envelope: Envelope;
  /** The message (headers and body, CRLF line ends preferred). */
  readonly body: MessageBody;
}

/**
 * Connects, sends one message, and QUITs.
 *
 * @example
 * ```ts
 * const result = await sendMail({
 *   host: '127.0.0.1', port: 2525, security: 'none',
 *   envelope: { from: 'a@example.com', to: ['b@example.org'] },
 *   body: new TextEncoder().encode('Subject: hi\r\n\r\nhello\r\n'),
 * });
 * ```
 */
export async function sendMail(options: SendMailOptions): Promise<SendResult> {
  const client = await connect(options);
  try {
    return await client.sendMail(options.envelope, options.body, options);
  } finally {
    await client.quit().catch(() => client.close());
  }
}
