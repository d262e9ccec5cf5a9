import { randomBytes } from 'node:crypto';
import { createServer, type Server, type Socket } from 'node:net';
import { createSecureContext, type SecureContext, TLSSocket } from 'node:tls';
import { type BackendCall, type ServerAction, type ServerExtensions, ServerSession } from '@smtpkit/server';
import { type Path, type Reply, SmtpReplyError } from '@smtpkit/wire';
import { createTestCertificates, type TestCertificates } from '../tls/certificates';

/**
 * Where a scripted `421` is given (RFC 5321 §3.8: the server closes right after it):
 * - `connect`: instead of the greeting;
 * - `ehlo`: in reply to the first command;
 * - `mail`, `rcpt`: in reply to MAIL / RCPT;
 * - `data-command`: in reply to DATA, instead of 354, or to the first BDAT of a message (RFC 3030),
 *   instead of its 250; the connection is then closed either way, since the client has already
 *   sent (or pipelined) body octets the peer would otherwise read as commands;
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
   * Refuse with these replies at these stages instead of accepting, e.g.
   * `{ rcpt: { code: 452, enhanced: '4.2.2', text: 'Mailbox full' }, data: { code: 554 } }`.
   * The connection stays open unless the code is 421. At `rcpt` every recipient is refused.
   */
  readonly replies?: { readonly [S in SmtpPeerStage]?: SmtpPeerReply };
  /**
   * Greylisting: the first RCPT of each (sender, recipient) pair draws `451 4.7.1`; later
   * attempts, on this connection or another, are accepted.
   */
  readonly greylist?: boolean;
  /**
   * Recipients to refuse with `550 5.1.1` (addresses compared case-insensitively). A function
   * decides per address: `true` for that `550 5.1.1`, or a reply of its own, e.g.
   * `(a) => (a.startsWith('nobody') ? { code: 550, enhanced: '5.1.1', text: 'No such user here' } : false)`.
   * A function's reply needs a 4yz or 5yz code; any other closes the connection.
   */
  readonly rejectRecipients?: readonly string[] | ((address: string) => boolean | SmtpPeerReply);
  /**
   * Read the whole message, then drop the connection without replying to the final dot (or the
   * last BDAT chunk). `true` drops every message; a predicate picks which, e.g. every third
   * message the peer reads: `(m) => m.index % 3 === 2`. The message is recorded with
   * `acknowledged: false` either way.
   */
  readonly dropAfterData?: boolean | ((message: SmtpPeerMessageInfo) => boolean);
  /**
   * Which ESMTP extensions EHLO advertises (and the peer accepts), RFC 5321 §2.2. All are on by
   * default; set one to `false` to leave it out, e.g. `{ requireTls: false }` for a server that
   * offers STARTTLS but not RFC 8689 REQUIRETLS, or `{ chunking: false }` for one without BDAT.
   */
  readonly extensions?: SmtpPeerExtensions;
  /**
   * `'starttls'`: offer STARTTLS with the peer's test certificates. `'broken'`: offer it, answer
   * `220`, then send bytes that are no TLS handshake and close (a handshake failure).
   * Default: no STARTTLS.
   */
  readonly tls?: 'starttls' | 'broken';
}

/** What a `dropAfterData` predicate sees of a message read to the end of data. */
export interface SmtpPeerMessageInfo {
  /** 0-based count of messages the peer read to the end of data before this one, on any connection. */
  readonly index: number;
  /** Which connection (0-based, in accept order) carries it. */
  readonly connection: number;
  /** The reverse-path: `''` for the null path `<>`. */
  readonly sender: string;
  /** The accepted recipients, as given. */
  readonly recipients: readonly string[];
  /** The message as received, unstuffed, CRLF line endings. */
  readonly body: Uint8Array;
}

/**
 * ESMTP extensions the peer can leave out of its EHLO reply (each defaults to `true`). A left-out
 * extension is also refused when used (e.g. `BDAT` draws `502`, `REQUIRETLS` on MAIL `555`).
 */
export interface SmtpPeerExtensions {
  /** RFC 2920 PIPELINING. */
  readonly pipelining?: boolean;
  /** RFC 1870 SIZE. */
  readonly size?: boolean;
  /** RFC 6152 8BITMIME. */
  readonly eightBitMime?: boolean;
  /** RFC 6531 SMTPUTF8. */
  readonly smtpUtf8?: boolean;
  /** RFC 2034 ENHANCEDSTATUSCODES. */
  readonly enhancedStatusCodes?: boolean;
  /** RFC 3030 CHUNKING (BDAT) and BINARYMIME. */
  readonly chunking?: boolean;
  /** RFC 3461 DSN. */
  readonly dsn?: boolean;
  /** RFC 8689 REQUIRETLS (advertised only after STARTTLS, as the RFC requires). */
  readonly requireTls?: boolean;
}

/** What a script function learns about a new connection, to choose its behaviour. */
export interface SmtpPeerConnection {
  /** 0-based, in accept order, across all of the peer's addresses. */
  readonly index: number;
  /** The address the client connected to (one of `SmtpPeer.hosts`). */
  readonly localAddress: string;
}

/** A scripted refusal (a 4yz or 5yz reply). */
export interface SmtpPeerReply {
  /** 400–599. */
  readonly code: number;
  /** RFC 3463 enhanced status code, e.g. `5.7.1`. */
  readonly enhanced?: `${4 | 5}.${number}.${number}`;
  /** Reply text. Default `Scripted refusal`. */
  readonly text?: string;
}

/** Options for {@link startSmtpPeer}. */
export interface SmtpPeerOptions {
  /** Address to listen on. Default `127.0.0.1`. Ignored when `hosts` is given. */
  readonly host?: string;
  /**
   * Listen on all of these addresses on one port, e.g. `['127.0.0.11', '127.0.0.12']` for
   * several MX hosts told apart by address (a delivery worker connects to one fixed port). With
   * port 0 the peer looks for a port free on every address. A script function can give each
   * address its own behaviour (see {@link SmtpPeerConnection}).
   */
  readonly hosts?: readonly string[];
  /** Port. Default 0: any free port (the same on every address of `hosts`). */
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
  /** The address the client connected to (one of `SmtpPeer.hosts`). */
  readonly localAddress: string;
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
  /** The address the client connected to (one of `SmtpPeer.hosts`). */
  readonly localAddress: string;
  /** `connect`, `reply`, `starttls`, `disconnect`. */
  readonly type: 'connect' | 'reply' | 'starttls' | 'disconnect';
  /** For `reply`: the code sent. */
  readonly code?: number;
}

/** A running scripted SMTP server. */
export interface SmtpPeer {
  /** The first (or only) address listened on. */
  readonly host: string;
  /** Every address listened on, all on `port`. */
  readonly hosts: readonly string[];
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

function reply421(hostname: string): Reply {
  return {
    code: 421,
    enhanced: '4.3.2',
    lines: [`${hostname} Service not available, closing transmission channel`],
  };
}

function stageReply(behaviour: SmtpPeerBehaviour, stage: SmtpPeerStage, hostname: string): Reply | undefined {
  if (behaviour.fail421At === stage) return reply421(hostname);
  const scripted = behaviour.replies?.[stage];
  return scripted ? scriptedReply(scripted) : undefined;
}

function scriptedReply(scripted: SmtpPeerReply): Reply {
  return {
    code: scripted.code,
    ...(scripted.enhanced ? { enhanced: scripted.enhanced } : {}),
    lines: [scripted.text ?? 'Scripted refusal'],
  };
}

function serverExtensions(extensions: SmtpPeerExtensions = {}): ServerExtensions {
  const { chunking, ...rest } = extensions;
  // BINARYMIME needs CHUNKING (RFC 3030 §3): both go together.
  return chunking === undefined ? rest : { ...rest, chunking, binaryMime: chunking };
}

function formatScripted(reply: Reply): Uint8Array {
  const prefix = `${reply.code}${reply.enhanced ? ` ${reply.enhanced}` : ''}`;
  return new TextEncoder().encode(`${prefix} ${reply.lines.join(' ')}\r\n`);
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
function runConnection(
  raw: Socket,
  index: number,
  localAddress: string,
  behaviour: SmtpPeerBehaviour,
  state: PeerState,
): void {
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
    extensions: serverExtensions(behaviour.extensions),
    limits: { commandTimeout: 60_000, dataTimeout: 60_000 },
  });
  /** The refusal for a recipient: a reply, `undefined` to go on, or `'invalid'` (a bad scripted code). */
  const recipientRefusal = (rcpt: string): Reply | undefined | 'invalid' => {
    const rule = behaviour.rejectRecipients;
    if (!rule) return undefined;
    const verdict =
      typeof rule === 'function' ? rule(rcpt) : rule.some((r) => r.toLowerCase() === rcpt.toLowerCase());
    if (verdict === false) return undefined;
    if (verdict === true) {
      return { code: 550, enhanced: '5.1.1', lines: [`<${rcpt}>: Recipient address rejected: User unknown`] };
    }
    if (!Number.isInteger(verdict.code) || verdict.code < 400 || verdict.code > 599) return 'invalid';
    return scriptedReply(verdict);
  };

  const shouldDrop = (): boolean => {
    const rule = behaviour.dropAfterData;
    if (typeof rule !== 'function') return rule === true;
    return rule({
      index: state.messages.length,
      connection: index,
      sender: sender ?? '',
      recipients: [...recipients],
      body: concat(body ?? []),
    });
  };

  state.sockets.add(raw);
  state.events.push({ connection: index, localAddress, type: 'connect' });
  const finish = () => {
    if (closed) return;
    closed = true;
    session.closed();
    state.events.push({ connection: index, localAddress, type: 'disconnect' });
    state.sockets.delete(raw);
  };
  raw.on('close', finish);
  raw.on('error', () => raw.destroy());

  const write = (bytes: Uint8Array, code: number) => {
    state.events.push({ connection: index, localAddress, type: 'reply', code });
    if (!socket.destroyed) socket.write(bytes);
    // RFC 5321 §3.8: after 421 the server closes the channel.
    if (code === 421) socket.end();
  };

  const record = (acknowledged: boolean) => {
    state.messages.push({
      connection: index,
      localAddress,
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
      case 'mail': {
        const refusal = stageReply(behaviour, 'mail', hostname);
        if (refusal) return new SmtpReplyError(refusal);
        sender = address(call.reversePath);
        recipients = [];
        return undefined;
      }
      case 'rcpt': {
        const refusal = stageReply(behaviour, 'rcpt', hostname);
        if (refusal) return new SmtpReplyError(refusal);
        const rcpt = address(call.forwardPath);
        const refused = recipientRefusal(rcpt);
        if (refused === 'invalid') return 'drop';
        if (refused) return new SmtpReplyError(refused);
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
      case 'data-end': {
        if (call.refusal) {
          body = undefined;
          return undefined;
        }
        if (shouldDrop()) {
          record(false);
          return 'drop';
        }
        const refusal = stageReply(behaviour, 'data', hostname);
        if (refusal) {
          record(false);
          return new SmtpReplyError(refusal);
        }
        record(true);
        return undefined;
      }
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
          const refusal = stageReply(behaviour, 'ehlo', hostname);
          if (refusal) {
            write(formatScripted(refusal), refusal.code);
            return refusal.code !== 421;
          }
        }
        if (action.code === 354) {
          const refusal = stageReply(behaviour, 'data-command', hostname);
          if (refusal) {
            // The session expects a body now; close instead of desynchronising it.
            write(formatScripted(refusal), refusal.code);
            socket.end();
            return false;
          }
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
      case 'data-open': {
        // DATA meets the `data-command` stage at its 354 (above); the first BDAT of a message
        // has no 354, so it meets it here, before its chunk is read (RFC 3030 §2).
        const refusal = stageReply(behaviour, 'data-command', hostname);
        if (refusal) {
          write(formatScripted(refusal), refusal.code);
          socket.end();
          return false;
        }
        body = [];
        return true;
      }
      case 'body':
        body?.push(action.chunk);
        return true;
      case 'starttls':
        state.events.push({ connection: index, localAddress, type: 'starttls' });
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

  const atConnect = stageReply(behaviour, 'connect', hostname);
  if (atConnect) {
    session.refuse(atConnect);
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
 * repeats; or a function that picks each connection's behaviour from its index and the local
 * address it came in on (with `options.hosts`, one port on several addresses, each address can
 * play a different MX host). A function's behaviours are checked when used: an invalid one
 * closes that connection at once. It speaks SMTP through @smtpkit/server's `ServerSession` (so pipelining, DATA
 * unstuffing and STARTTLS ordering are the real server's), and injects faults a correct server
 * never commits: 421 at any stage, a dropped connection after the final dot, a slow greeting,
 * a failing TLS handshake; plus greylisting, refused recipients, and recording every message.
 * @example
 * const peer = await startSmtpPeer([{ greylist: true }, {}]);
 * // first delivery attempt: 451 4.7.1 at RCPT; the retry is accepted
 * await peer.waitForMessages(1);
 * expect(peer.messages[0].recipients).toEqual(['bob@example.test']);
 * await peer.close();
 * @example
 * // Two MX hosts on one port: 127.0.0.11 is busy, 127.0.0.12 accepts.
 * const mxs = await startSmtpPeer(
 *   ({ localAddress }) => (localAddress === '127.0.0.11' ? { fail421At: 'connect' } : {}),
 *   { hosts: ['127.0.0.11', '127.0.0.12'] },
 * );
 */
export async function startSmtpPeer(
  script:
    | SmtpPeerBehaviour
    | readonly SmtpPeerBehaviour[]
    | ((connection: SmtpPeerConnection) => SmtpPeerBehaviour),
  options: SmtpPeerOptions = {},
): Promise<SmtpPeer> {
  const choose = typeof script === 'function' ? script : undefined;
  const steps: readonly SmtpPeerBehaviour[] =
    typeof script === 'function' ? [] : Array.isArray(script) ? script : [script as SmtpPeerBehaviour];
  if (!choose && steps.length === 0) {
    throw new TypeError('startSmtpPeer: the script needs at least one behaviour');
  }
  for (const step of steps) checkBehaviour(step);
  const hosts = options.hosts ?? [options.host ?? '127.0.0.1'];
  if (hosts.length === 0) throw new TypeError('startSmtpPeer: hosts needs at least one address');
  // A function may ask for STARTTLS on any connection: have certificates ready.
  const wantsTls = choose !== undefined || steps.some((s) => s.tls !== undefined);
  const certificates = options.certificates ?? (wantsTls ? await createTestCertificates() : undefined);
  const host = hosts[0] ?? '127.0.0.1';
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
  const onConnection = (socket: Socket) => {
    const index = count++;
    const localAddress = normaliseAddress(socket.localAddress ?? host);
    let behaviour: SmtpPeerBehaviour;
    try {
      behaviour = choose
        ? checkBehaviour(choose({ index, localAddress }))
        : (steps[Math.min(index, steps.length - 1)] ?? {});
    } catch {
      socket.destroy();
      return;
    }
    runConnection(socket, index, localAddress, behaviour, state);
  };
  const servers = await listenAll(hosts, options.port ?? 0, onConnection);
  const bound = servers[0]?.address();
  const port = typeof bound === 'object' && bound ? bound.port : 0;

  return {
    host,
    hosts: [...hosts],
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
    close: async () => {
      for (const socket of state.sockets) socket.destroy();
      await Promise.all(servers.map(closeServer));
    },
  };
}

/** Checks a behaviour (caller bugs are RangeErrors) and returns it. */
function checkBehaviour(step: SmtpPeerBehaviour): SmtpPeerBehaviour {
  for (const reply of Object.values(step.replies ?? {})) {
    const code = reply?.code ?? 0;
    if (!Number.isInteger(code) || code < 400 || code > 599) {
      throw new RangeError('scripted replies must have a 4yz or 5yz code');
    }
  }
  if (step.greetingDelay !== undefined && (!Number.isFinite(step.greetingDelay) || step.greetingDelay < 0)) {
    throw new RangeError('greetingDelay must be a non-negative number of milliseconds');
  }
  return step;
}

/** `::ffff:127.0.0.1` (an IPv4 client on a dual-stack socket) as `127.0.0.1`. */
function normaliseAddress(address: string): string {
  return address.startsWith('::ffff:') && address.includes('.') ? address.slice(7) : address;
}

function closeServer(server: Server): Promise<void> {
  return new Promise((resolve) => server.close(() => resolve()));
}

function listen(server: Server, port: number, host: string): Promise<void> {
  return new Promise((resolve, reject) => {
    server.once('error', reject);
    server.listen(port, host, () => {
      server.off('error', reject);
      resolve();
    });
  });
}

/**
 * Listens on every host on one port. With port 0 the first host picks a free port, which may
 * be taken on another address: then everything is closed and another port tried.
 */
async function listenAll(
  hosts: readonly string[],
  port: number,
  onConnection: (socket: Socket) => void,
): Promise<Server[]> {
  const tries = port === 0 ? 20 : 1;
  let lastError: unknown;
  for (let attempt = 0; attempt < tries; attempt++) {
    const servers: Server[] = [];
    try {
      let chosen = port;
      for (const host of hosts) {
        const server = createServer(onConnection);
        servers.push(server);
        await listen(server, chosen, host);
        const bound = server.address();
        if (chosen === 0 && typeof bound === 'object' && bound) chosen = bound.port;
      }
      return servers;
    } catch (error) {
      lastError = error;
      await Promise.all(servers.filter((s) => s.listening).map(closeServer));
    }
  }
  throw lastError;
}
