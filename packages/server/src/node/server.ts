/**
 * The Node listener: accepts sockets (plain or implicit TLS), enforces connection limits,
 * hands each socket to a Connection, keeps the TLS contexts (hot-reloadable, SNI) and runs
 * graceful shutdown.
 */
import { randomBytes } from 'node:crypto';
import { once } from 'node:events';
import { type AddressInfo, createServer as createNetServer, isIP, type Server, type Socket } from 'node:net';
import {
  createSecureContext,
  createServer as createTlsServer,
  type SecureContext,
  type SecureContextOptions,
  type TLSSocket,
} from 'node:tls';
import type { Reply } from '@smtpkit/wire';
import { resolveExtensions, resolveLimits, type ServerExtensions, type ServerLimits } from '../core/options';
import { AUTH_MECHANISMS, type AuthMechanism } from '../core/sasl';
import { clientNetwork } from '../policy/network';
import type { Backend, ConnectionInfo, TlsInfo } from './backend';
import { Connection } from './connection';
import { MetricsCounter, type ServerMetrics } from './metrics';
import type { LogLevel, RuntimeOptions, ServerLogger, ServerRuntime } from './runtime';

/** TLS certificates: a default context plus optional per-SNI-name contexts. */
export interface ServerTlsOptions extends SecureContextOptions {
  /**
   * Certificates chosen by the SNI name the client asks for (RFC 6066 §3): exact names or
   * `*.example.org` wildcards; other names get the default.
   */
  readonly sni?: Readonly<Record<string, SecureContextOptions>>;
}

/** AUTH settings (RFC 4954). AUTH is offered only when the backend session has `auth`. */
export interface ServerAuthOptions {
  /**
   * Mechanisms to offer (default: all of PLAIN, LOGIN, CRAM-MD5, XOAUTH2, and SCRAM-SHA-256
   * when the backend has `scramCredentials`).
   */
  readonly mechanisms?: readonly AuthMechanism[];
  /** Offer AUTH without TLS (default false; RFC 4954 §4 and RFC 8314 advise against). */
  readonly allowInsecure?: boolean;
  /** Refuse MAIL before AUTH (`530 5.7.0`), for a submission service (RFC 6409). */
  readonly required?: boolean;
}

/** Options of {@link createServer}. */
export interface CreateServerOptions {
  /** The server's name in the greeting and replies (its FQDN). */
  readonly hostname: string;
  /** Opens a backend session per connection. */
  readonly backend: Backend;
  /** Greeting text after the hostname (default `ESMTP`, or `LMTP`). */
  readonly banner?: string;
  /** Certificates: enables STARTTLS, and implicit TLS with `secure`. */
  readonly tls?: ServerTlsOptions;
  /** Implicit TLS on connect (port 465, RFC 8314 §3.3). Needs `tls`. */
  readonly secure?: boolean;
  /** Speak LMTP (RFC 2033) instead of SMTP. */
  readonly lmtp?: boolean;
  /** AUTH settings. */
  readonly auth?: ServerAuthOptions;
  /** Limits (see {@link ServerLimits} for the defaults). */
  readonly limits?: ServerLimits;
  /** Extension switches (all on by default where possible). */
  readonly extensions?: ServerExtensions;
  /** Bare CR/LF inside DATA: `reject` (default, 550 5.5.2) or `normalize`. */
  readonly bareLineEndings?: 'reject' | 'normalize';
  /**
   * Addresses (or CIDR networks like `10.0.0.0/8`) of load balancers that send a PROXY v1/v2
   * header first. Connections from them must send one; nobody else may.
   */
  readonly trustedProxies?: readonly string[];
  /** Addresses (or CIDR networks) allowed to use XCLIENT (Postfix content filters). */
  readonly trustedXclient?: readonly string[];
  /** Where to log. Nothing is logged without it. */
  readonly logger?: ServerLogger;
}

/** Options of {@link SmtpServer.listen}. */
export interface ListenOptions {
  /** Port (0 for any free port). */
  readonly port: number;
  /** Address to bind (default `127.0.0.1`... pass `::` or `0.0.0.0` for all interfaces). */
  readonly host?: string;
  /** Aborts the listen. */
  readonly signal?: AbortSignal;
}

/** Options of {@link SmtpServer.close}. */
export interface CloseOptions {
  /**
   * Milliseconds to let open transactions finish (default 30 000). Idle sessions get
   * `421 4.3.2` at once; busy ones after their transaction, or at the deadline.
   */
  readonly deadline?: number;
}

/** Events of {@link SmtpServer.on}, one per protocol stage. Listeners must not throw. */
export interface ServerEvents {
  /** A connection was admitted (after PROXY). */
  connection: (info: ConnectionInfo) => void;
  /** TLS is up (implicit TLS on connect, or after STARTTLS). */
  tls: (event: { readonly connection: ConnectionInfo; readonly tls: TlsInfo }) => void;
  /** An AUTH exchange ended (never carries the secret). */
  auth: (event: {
    readonly connection: ConnectionInfo;
    readonly mechanism: string;
    readonly username: string;
    readonly accepted: boolean;
  }) => void;
  /** A message body ended: acknowledged (`accepted`) or refused; `size` is the octets handed to the backend. */
  message: (event: {
    readonly connection: ConnectionInfo;
    readonly accepted: boolean;
    readonly size: number;
  }) => void;
  /** A stage timer ran out and the connection got 421. */
  timeout: (event: { readonly connection: ConnectionInfo; readonly stage: string }) => void;
  /** A connection ended. */
  disconnect: (info: ConnectionInfo) => void;
}

/** A running (or ready to run) SMTP server made by {@link createServer}. */
export interface SmtpServer {
  /** Starts listening; resolves with the bound address. */
  listen(options: ListenOptions): Promise<AddressInfo>;
  /** Graceful shutdown: stop accepting, let transactions finish until the deadline, then 421. */
  close(options?: CloseOptions): Promise<void>;
  /** The bound address, once listening. */
  address(): AddressInfo | undefined;
  /** Replaces the certificates for new connections and STARTTLS (hot reload). */
  setSecureContext(tls: ServerTlsOptions): void;
  /** A snapshot of the counters. */
  metrics(): ServerMetrics;
  /** Subscribes to an event; returns a function that unsubscribes. */
  on<E extends keyof ServerEvents>(event: E, listener: ServerEvents[E]): () => void;
}

/**
 * Creates an SMTP (or LMTP) server around a backend.
 *
 * @example
 * ```ts
 * const server = createServer({
 *   hostname: 'mx.example.org',
 *   backend: {
 *     openSession: () => ({
 *       mail() {},
 *       rcpt() {},
 *       async data(body) { for await (const chunk of body) store.write(chunk); await store.sync(); },
 *     }),
 *   },
 * });
 * await server.listen({ port: 2525 });
 * ```
 */
export function createServer(options: CreateServerOptions): SmtpServer {
  if (!options || typeof options.backend?.openSession !== 'function') {
    throw new TypeError('createServer: options.backend.openSession is required');
  }
  if (typeof options.hostname !== 'string' || !/^[^\s\0]+$/.test(options.hostname)) {
    throw new TypeError('createServer: options.hostname must be a name without spaces');
  }
  if (options.secure && !options.tls) throw new TypeError('createServer: secure needs tls certificates');
  const mechanisms = options.auth?.mechanisms ?? AUTH_MECHANISMS;
  for (const m of mechanisms) {
    if (!AUTH_MECHANISMS.includes(m)) throw new TypeError(`createServer: unknown AUTH mechanism ${m}`);
  }
  const runtimeOptions: RuntimeOptions = {
    hostname: options.hostname,
    banner: options.banner,
    lmtp: options.lmtp ?? false,
    extensions: resolveExtensions(options.extensions),
    limits: resolveLimits(options.limits),
    authMechanisms: mechanisms,
    allowInsecureAuth: options.auth?.allowInsecure ?? false,
    requireAuth: options.auth?.required ?? false,
    bareLineEndings: options.bareLineEndings ?? 'reject',
  };
  const trustedProxies = compileMatchers(options.trustedProxies ?? []);
  const trustedXclient = compileMatchers(options.trustedXclient ?? []);
  const metrics = new MetricsCounter();
  const connections = new Set<Connection>();
  const perIp = new Map<string, number>();
  const listeners: { [E in keyof ServerEvents]: Set<ServerEvents[E]> } = {
    connection: new Set(),
    tls: new Set(),
    auth: new Set(),
    message: new Set(),
    timeout: new Set(),
    disconnect: new Set(),
  };
  const logger = options.logger;
  let contexts = buildContexts(options.tls);
  let closing = false;
  let idCounter = 0;
  const idPrefix = randomBytes(4).toString('hex');
  let drained: (() => void) | undefined;

  const sniCallback = (servername: string, cb: (err: Error | null, ctx?: SecureContext) => void) => {
    cb(null, pickContext(contexts, servername));
  };

  const runtime: ServerRuntime = {
    options: runtimeOptions,
    backend: options.backend,
    metrics,
    get tlsAvailable() {
      return contexts !== undefined;
    },
    get closing() {
      return closing;
    },
    nonce: () => randomBytes(18).toString('base64url'),
    sniCallback: options.tls ? sniCallback : undefined,
    secureContext: () => contexts?.fallback,
    nextId: () => `${idPrefix}${(++idCounter).toString(36)}`,
    isTrustedProxy: (address) => trustedProxies(address),
    isTrustedXclient: (address) => trustedXclient(address),
    admit(info): Reply | undefined {
      const limits = runtimeOptions.limits;
      if (closing)
        return { code: 421, enhanced: '4.3.2', lines: [`${options.hostname} Service shutting down`] };
      const count = perIp.get(info.remoteAddress) ?? 0;
      if (count >= limits.maxConnectionsPerIp) {
        runtime.log('info', 'per-IP connection limit', { address: info.remoteAddress });
        return {
          code: 421,
          enhanced: '4.7.0',
          lines: [`${options.hostname} Too many connections from your address`],
        };
      }
      perIp.set(info.remoteAddress, count + 1);
      metrics.connectionsTotal++;
      metrics.connectionsActive++;
      return undefined;
    },
    release(connection, counted) {
      connections.delete(connection);
      if (counted) {
        const address = connection.connection.remoteAddress;
        const count = (perIp.get(address) ?? 1) - 1;
        if (count <= 0) perIp.delete(address);
        else perIp.set(address, count);
        metrics.connectionsActive--;
        runtime.emit('disconnect', connection.connection);
      }
      if (connections.size === 0) drained?.();
    },
    emit(event, payload) {
      const set = listeners[event] as Set<(payload: unknown) => void>;
      for (const listener of set) {
        try {
          listener(payload);
        } catch (error) {
          runtime.log('error', `${event} listener threw`, { error });
        }
      }
    },
    hasListeners: (event) => listeners[event].size > 0,
    log(level: LogLevel, message: string, fields?: Record<string, unknown>) {
      logger?.[level]?.(message, fields);
    },
  };

  const onSocket = (socket: Socket, secure: boolean) => {
    // Total limit before anything else, so a flood costs one write per socket.
    if (connections.size >= runtimeOptions.limits.maxConnections) {
      metrics.connectionsRefused++;
      metrics.reply(421);
      socket.on('error', () => {});
      socket.end(`421 4.7.0 ${options.hostname} Too many connections, try again later\r\n`);
      setTimeout(() => socket.destroy(), 1000).unref();
      return;
    }
    const connection = new Connection(runtime, socket, secure);
    connections.add(connection);
    connection.start().catch((error: unknown) => {
      runtime.log('error', 'connection failed', { error });
      socket.destroy();
    });
  };

  let server: Server;
  if (options.secure) {
    server = createTlsServer(
      { ...(contexts?.fallbackOptions ?? {}), SNICallback: sniCallback },
      (socket: TLSSocket) => onSocket(socket, true),
    );
    server.on('tlsClientError', (error) => runtime.log('debug', 'TLS handshake failed', { error }));
  } else {
    server = createNetServer((socket) => onSocket(socket, false));
  }
  server.on('error', (error) => runtime.log('error', 'listener error', { error }));

  return {
    async listen({ port, host = '127.0.0.1', signal }) {
      signal?.throwIfAborted();
      server.listen({ port, host, ...(signal ? { signal } : {}) });
      await once(server, 'listening', signal ? { signal } : {});
      return server.address() as AddressInfo;
    },
    async close({ deadline = 30_000 } = {}) {
      closing = true;
      const stopped = new Promise<void>((resolve) => server.close(() => resolve()));
      for (const connection of connections) connection.shutdown();
      if (connections.size > 0) {
        const allGone = new Promise<void>((resolve) => {
          drained = resolve;
        });
        let timer: NodeJS.Timeout | undefined;
        const timedOut = new Promise<'timeout'>((resolve) => {
          timer = setTimeout(() => resolve('timeout'), deadline);
        });
        const result = await Promise.race([allGone, timedOut]);
        clearTimeout(timer);
        if (result === 'timeout') {
          for (const connection of connections) connection.forceClose();
          await allGone;
        }
      }
      if (server.listening) await stopped;
    },
    address() {
      const address = server.address();
      return address && typeof address === 'object' ? address : undefined;
    },
    setSecureContext(tls) {
      contexts = buildContexts(tls);
      if (options.secure && contexts) {
        (server as ReturnType<typeof createTlsServer>).setSecureContext(contexts.fallbackOptions);
      }
    },
    metrics: () => metrics.snapshot(),
    on(event, listener) {
      const set = listeners[event] as Set<typeof listener>;
      set.add(listener);
      return () => set.delete(listener);
    },
  };
}

interface Contexts {
  readonly fallback: SecureContext;
  readonly fallbackOptions: SecureContextOptions;
  readonly byName: ReadonlyMap<string, SecureContext>;
}

function buildContexts(tls: ServerTlsOptions | undefined): Contexts | undefined {
  if (!tls) return undefined;
  const { sni, ...fallbackOptions } = tls;
  const byName = new Map<string, SecureContext>();
  for (const [name, ctx] of Object.entries(sni ?? {}))
    byName.set(name.toLowerCase(), createSecureContext(ctx));
  return { fallback: createSecureContext(fallbackOptions), fallbackOptions, byName };
}

function pickContext(contexts: Contexts | undefined, servername: string): SecureContext | undefined {
  if (!contexts) return undefined;
  const name = servername.toLowerCase();
  const exact = contexts.byName.get(name);
  if (exact) return exact;
  const dot = name.indexOf('.');
  if (dot > 0) {
    const wildcard = contexts.byName.get(`*${name.slice(dot)}`);
    if (wildcard) return wildcard;
  }
  return contexts.fallback;
}

/** Address matchers for exact IPs and CIDR networks. */
function compileMatchers(entries: readonly string[]): (address: string) => boolean {
  if (entries.length === 0) return () => false;
  const checks = entries.map((entry) => {
    const [base, bits] = entry.split('/') as [string, string | undefined];
    if (isIP(base) === 0) throw new TypeError(`createServer: not an IP address or network: ${entry}`);
    if (bits === undefined) return (address: string) => address === base;
    const prefix = Number(bits);
    const v4 = isIP(base) === 4;
    const net = clientNetwork(base, v4 ? prefix : 32, v4 ? 128 : prefix);
    return (address: string) => {
      if ((isIP(address) === 4) !== v4) return false;
      return clientNetwork(address, v4 ? prefix : 32, v4 ? 128 : prefix) === net;
    };
  });
  return (address) => checks.some((check) => check(address));
}
