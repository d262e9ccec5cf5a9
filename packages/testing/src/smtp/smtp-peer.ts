import { randomBytes } from 'node:crypto';
import { createServer, type Server, type Socket } from 'node:net';
import { createSecureContext, type SecureContext, TLSSocket } from 'node:tls';
import { type BackendCall, type ServerAction, ServerSession } from '@smtpkit/server';
import { type Path, type Reply, SmtpReplyError } from '@smtpkit/wire';
import { createTestCertificates, type TestCertificates } from '../tls/certificates';

/**
 * Where a scripted `421` is given (RFC 5321 §3.8: the server closes right after it):
 * - `connect`: instead of the greeting;
 * - `ehlo`: in reply to the first command;
 * - `mail`, `rcpt`: in reply to MAIL / RCPT;
 * - `data-command`: in reply to DATA, instead of 354;
 * - `data`: after the final dot, instead of 250.
 */
export type SmtpPeerStage = 'connect' | 'ehlo' | 'mail' | 'rcpt' | 'data-command' | 'data';

/** How the peer treats one connection. Everything is off by default: it accepts every message. */
export interface SmtpPeerBehaviour {
  /** Milliseconds before the 220 greeting (a slow server). */
  readonly greetingDelay?: number;
  /** Answer `421 4.3.2` at this stage and close the connection. */
  readonly fail421At?: SmtpPeerStage;
  /**
   * Greylisting: the first RCPT of each (sender, recipient) pair draws `451 4.7.1`; later
   * attempts, on this connection or another, are accepted.
   */
  readonly greylist?: boolean;
  /** Recipients to refuse with `550 5.1.1` (addresses compared case-insensitively). */
  readonly rejectRecipients?: readonly string[] | ((address: string) => boolean);
  /** Read the whole message, then drop the connection without replying to the final dot. */
  readonly dropAfterData?: boolean;
  /**
   * `'starttls'`: offer STARTTLS with the peer's test certificates. `'broken'`: offer it, answer
   * `220`, then send bytes that are no TLS handshake and close (a handshake failure).
   * Default: no STARTTLS.
   */
  readonly tls?: 'starttls' | 'broken';
}

/** Options for {@link startSmtpPeer}. */
export interface SmtpPeerOptions {
  /** Address to listen on. Default `127.0.0.1`. */
  readonly host?: string;
  /** Port. Default 0: any free port. */
  readonly port?: number;
  /** Name in the greeting and replies. Default `peer.smtpkit.test`. */
  readonly hostname?: string;
  /** Certificates for STARTTLS. Default: made with {@link createTestCertificates} when needed. */
  readonly certificates?: TestCertificates;
}

/** A message the peer read to the end of data. */
export interface RecordedMessage {
  /** Which connection (0-based, in accept order) carried it. */
  readonly connection: number;
  /** The reverse-path: `''` for the null path `<>`. */
  readonly sender: string;
  /** The accepted recipients, as given. */
  readonly recipients: readonly string[];
  /** The message as received, unstuffed, CRLF line endings. */
  readonly body: Uint8Array;
  /** Whether the connection was TLS when the message was sent. */
  readonly tls: boolean;
  /** The EHLO/HELO name the client gave. */
  readonly heloName: string | undefined;
  /** `true` when the peer answered 250; `false` when it dropped or refused after the dot. */
  readonly acknowledged: boolean;
}

/** One event of the peer's log, for asserting what a client did. */
export interface SmtpPeerEvent {
  readonly connection: number;
  /** `connect`, `reply`, `starttls`, `disconnect`. */
  readonly type: 'connect' | 'reply' | 'starttls' | 'disconnect';
  /** For `reply`: the code sent. */
  readonly code?: number;
}

/** A running scripted SMTP server. */
export interface SmtpPeer {
  readonly host: string;
  readonly port: number;
  /** Trust `certificates.ca.cert` in the client under test. */
  readonly certificates: TestCertificates | undefined;
  /** Messages read to the end of data, in order (see `acknowledged`). */
  readonly messages: readonly RecordedMessage[];
  /** What happened, in order. */
  readonly events: readonly SmtpPeerEvent[];
  /** Connections accepted so far. */
  readonly connectionCount: number;
  /** Resolves once `count` acknowledged messages were received (rejects after `timeout` ms, default 5000). */
  waitForMessages(count: number, timeout?: number): Promise<readonly RecordedMessage[]>;
  /** Stops listening and drops open connections. */
  close(): Promise<void>;
}

const GREETING_STAGE_FIRST_REPLY = 'ehlo';

function reply421(hostname: string): Reply {
  return {
    code: 421,
    enhanced: '4.3.2',
    lines: [`${hostname} Service not available, closing transmission channel`],
  };
}

function address(path: Path): string {
  if (path.kind === 'null') return '';
  if (path.kind === 'postmaster') return 'Postmaster';
  return `${path.mailbox.localPart}@${path.mailbox.domain}`;
}

function concat(chunks: readonly Uint8Array[]): Uint8Array {
  const out = new Uint8Array(chunks.reduce((n, c) => n + c.length, 0));
  let at = 0;
  for (const chunk of chunks) {
    out.set(chunk, at);
    at += chunk.length;
  }
  return out;
}

interface PeerState {
  readonly hostname: string;
  readonly messages: RecordedMessage[];
  readonly events: SmtpPeerEvent[];
  readonly greylisted: Set<string>;
  readonly secureContext: SecureContext | undefined;
  readonly sockets: Set<Socket>;
  readonly onMessage: () => void;
}

/**
 * Drives one connection: @smtpkit/server's sans-I/O `ServerSession` speaks the protocol, and
 * this thin layer performs its actions, with the behaviour's faults injected between them.
 */
function runConnection(raw: Socket, index: number, behaviour: SmtpPeerBehaviour, state: PeerState): void {
  const { hostname } = state;
  let socket: Socket = raw;
  let secure = false;
  let closed = false;
  let firstCommandReplied = false;
  let sender: string | undefined;
  let recipients: string[] = [];
  let body: Uint8Array[] | undefined;
  const tlsWanted = behaviour.tls !== undefined;
  const session = new ServerSession({
    hostname,
    nonce: () => randomBytes(18).toString('base64url'),
    tlsAvailable: tlsWanted && state.secureContext !== undefined,
    limits: { commandTimeout: 60_000, dataTimeout: 60_000 },
  });
  const isRejected = (rcpt: string): boolean => {
    const rule = behaviour.rejectRecipients;
    if (!rule) return false;
    if (typeof rule === 'function') return rule(rcpt);
    return rule.some((r) => r.toLowerCase() === rcpt.toLowerCase());
  };

  state.sockets.add(raw);
  state.events.push({ connection: index, type: 'connect' });
  const finish = () => {
    if (closed) return;
    closed = true;
    session.closed();
    state.events.push({ connection: index, type: 'disconnect' });
    state.sockets.delete(raw);
  };
  raw.on('close', finish);
  raw.on('error', () => raw.destroy());

  const write = (bytes: Uint8Array, code: number) => {
    state.events.push({ connection: index, type: 'reply', code });
    if (!socket.destroyed) socket.write(bytes);
    // RFC 5321 §3.8: after 421 the server closes the channel.
    if (code === 421) socket.end();
  };

  const record = (acknowledged: boolean) => {
    state.messages.push({
      connection: index,
      sender: sender ?? '',
      recipients,
      body: concat(body ?? []),
      tls: secure,
      heloName: session.heloName,
      acknowledged,
    });
    sender = undefined;
    recipients = [];
    body = undefined;
    state.onMessage();
  };

  /** Answers a backend call: `undefined` to accept, an error to refuse, or `'drop'`. */
  const answer = (call: BackendCall): SmtpReplyError | undefined | 'drop' | number => {
    switch (call.kind) {
      case 'mail':
        if (behaviour.fail421At === 'mail') return new SmtpReplyError(reply421(hostname));
        sender = address(call.reversePath);
        recipients = [];
        return undefined;
      case 'rcpt': {
        if (behaviour.fail421At === 'rcpt') return new SmtpReplyError(reply421(hostname));
        const rcpt = address(call.forwardPath);
        if (isRejected(rcpt)) {
          return new SmtpReplyError({
            code: 550,
            enhanced: '5.1.1',
            lines: [`<${rcpt}>: Recipient address rejected: User unknown`],
          });
        }
        const key = `${(sender ?? '').toLowerCase()} ${rcpt.toLowerCase()}`;
        if (behaviour.greylist && !state.greylisted.has(key)) {
          state.greylisted.add(key);
          return new SmtpReplyError({
            code: 451,
            enhanced: '4.7.1',
            lines: [`<${rcpt}>: Recipient address rejected: Greylisted, try again later`],
          });
        }
        recipients.push(rcpt);
        return undefined;
      }
      case 'data-end':
        if (call.refusal) {
          body = undefined;
          return undefined;
        }
        if (behaviour.dropAfterData) {
          record(false);
          return 'drop';
        }
        if (behaviour.fail421At === 'data') {
          record(false);
          return new SmtpReplyError(reply421(hostname));
        }
        record(true);
        return undefined;
      case 'reset':
        sender = undefined;
        recipients = [];
        body = undefined;
        return undefined;
      case 'delay':
        return call.ms;
      case 'auth':
      case 'scram-credentials':
      case 'xclient':
        return undefined;
    }
  };

  const perform = (action: ServerAction): boolean => {
    switch (action.type) {
      case 'send': {
        if (!firstCommandReplied && action.code !== 220) {
          firstCommandReplied = true;
          if (behaviour.fail421At === GREETING_STAGE_FIRST_REPLY) {
            write(new TextEncoder().encode(`421 4.3.2 ${hostname} Service not available\r\n`), 421);
            return false;
          }
        }
        if (action.code === 354 && behaviour.fail421At === 'data-command') {
          write(new TextEncoder().encode(`421 4.3.2 ${hostname} Service not available\r\n`), 421);
          return false;
        }
        write(action.bytes, action.code);
        return !socket.writableEnded;
      }
      case 'call': {
        const outcome = answer(action.call);
        if (outcome === 'drop') {
          socket.destroy();
          return false;
        }
        if (typeof outcome === 'number') {
          setTimeout(() => {
            session.resolveCall();
            drain();
          }, outcome).unref();
          return false;
        }
        if (outcome) session.rejectCall(outcome);
        else session.resolveCall();
        return true;
      }
      case 'data-open':
        body = [];
        return true;
      case 'body':
        body?.push(action.chunk);
        return true;
      case 'starttls':
        state.events.push({ connection: index, type: 'starttls' });
        startTls();
        return false;
      case 'close':
        socket.end();
        return false;
    }
  };

  function drain(): void {
    for (let action = session.nextAction(); action; action = session.nextAction()) {
      if (!perform(action)) return;
    }
  }

  function startTls(): void {
    if (behaviour.tls === 'broken' || !state.secureContext) {
      // Whatever the client's ClientHello, this is no ServerHello: its handshake fails.
      raw.removeAllListeners('data');
      raw.end('HTTP/1.0 400 not TLS\r\n\r\n');
      return;
    }
    raw.removeAllListeners('data');
    const tls = new TLSSocket(raw, { isServer: true, secureContext: state.secureContext });
    socket = tls;
    tls.on('error', () => raw.destroy());
    tls.on('secure', () => {
      secure = true;
      session.tlsEstablished();
      drain();
    });
    tls.on('data', onData);
  }

  function onData(chunk: Buffer): void {
    session.receive(chunk);
    drain();
  }

  if (behaviour.fail421At === 'connect') {
    session.refuse(reply421(hostname));
    drain();
    return;
  }
  raw.pause();
  const greet = () => {
    if (closed) return;
    session.start();
    drain();
    raw.on('data', onData);
    raw.resume();
  };
  if (behaviour.greetingDelay) setTimeout(greet, behaviour.greetingDelay).unref();
  else greet();
}

/**
 * Starts a scripted SMTP server on loopback for client and delivery tests. Pass one behaviour
 * for every connection, or a script: connection *n* follows `script[n]`, and the last entry
 * repeats. It speaks SMTP through @smtpkit/server's `ServerSession` (so pipelining, DATA
 * unstuffing and STARTTLS ordering are the real server's), and injects faults a correct server
 * never commits: 421 at any stage, a dropped connection after the final dot, a slow greeting,
 * a failing TLS handshake; plus greylisting, refused recipients, and recording every message.
 * @example
 * const peer = await startSmtpPeer([{ greylist: true }, {}]);
 * // first delivery attempt: 451 4.7.1 at RCPT; the retry is accepted
 * await peer.waitForMessages(1);
 * expect(peer.messages[0].recipients).toEqual(['bob@example.test']);
 * await peer.close();
 */
export async function startSmtpPeer(
  script: SmtpPeerBehaviour | readonly SmtpPeerBehaviour[],
  options: SmtpPeerOptions = {},
): Promise<SmtpPeer> {
  const steps: readonly SmtpPeerBehaviour[] = Array.isArray(script) ? script : [script as SmtpPeerBehaviour];
  if (steps.length === 0) throw new TypeError('startSmtpPeer: the script needs at least one behaviour');
  for (const step of steps) {
    if (
      step.greetingDelay !== undefined &&
      (!Number.isFinite(step.greetingDelay) || step.greetingDelay < 0)
    ) {
      throw new RangeError('greetingDelay must be a non-negative number of milliseconds');
    }
  }
  const wantsTls = steps.some((s) => s.tls !== undefined);
  const certificates = options.certificates ?? (wantsTls ? await createTestCertificates() : undefined);
  const host = options.host ?? '127.0.0.1';
  const waiters = new Set<() => void>();
  const state: PeerState = {
    hostname: options.hostname ?? 'peer.smtpkit.test',
    messages: [],
    events: [],
    greylisted: new Set(),
    secureContext: certificates ? createSecureContext(certificates.serverOptions) : undefined,
    sockets: new Set(),
    onMessage: () => {
      for (const waiter of [...waiters]) waiter();
    },
  };
  let count = 0;
  const server: Server = createServer((socket) => {
    const index = count++;
    runConnection(socket, index, steps[Math.min(index, steps.length - 1)] ?? {}, state);
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(options.port ?? 0, host, () => {
      server.off('error', reject);
      resolve();
    });
  });
  const bound = server.address();
  const port = typeof bound === 'object' && bound ? bound.port : 0;

  return {
    host,
    port,
    certificates,
    messages: state.messages,
    events: state.events,
    get connectionCount() {
      return count;
    },
    waitForMessages(wanted: number, timeout = 5000) {
      const acknowledged = () => state.messages.filter((m) => m.acknowledged);
      return new Promise((resolve, reject) => {
        const check = () => {
          const done = acknowledged();
          if (done.length < wanted) return;
          waiters.delete(check);
          clearTimeout(timer);
          resolve(done);
        };
        const timer = setTimeout(() => {
          waiters.delete(check);
          reject(
            new Error(`waitForMessages: ${acknowledged().length} of ${wanted} messages after ${timeout} ms`),
          );
        }, timeout);
        timer.unref();
        waiters.add(check);
        check();
      });
    },
    close: () =>
      new Promise<void>((resolve) => {
        for (const socket of state.sockets) socket.destroy();
        server.close(() => resolve());
      }),
  };
}
