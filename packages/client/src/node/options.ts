/**
 * Connection options, checked once (p-retry style): caller mistakes are TypeError/RangeError
 * at `connect()`, never a surprise mid-session.
 */
import { randomBytes } from 'node:crypto';
import { hostname } from 'node:os';
import type { ConnectionOptions } from 'node:tls';
import { DEFAULT_TIMEOUTS, type SmtpTimeouts } from '../core/phases';
import type { Credentials, SaslMechanism } from '../core/sasl/index';
import type { ClientEvent, Logger } from './events';

/**
 * How the connection is secured:
 * - `'tls'`: implicit TLS from the first byte (port 465, RFC 8314).
 * - `'starttls'`: STARTTLS required; fails if not offered or if the handshake fails, never
 *   falls back to plaintext.
 * - `'opportunistic'`: STARTTLS when offered (RFC 3207; the default for MX delivery).
 *   Certificates are not verified unless `tls.rejectUnauthorized` is `true`.
 * - `'none'`: plaintext only.
 */
export type SecurityMode = 'tls' | 'starttls' | 'opportunistic' | 'none';

/** TLS settings (Node's `tls.connect` options: `ca`, `servername`, `rejectUnauthorized`, `minVersion`, client `cert`/`key`, ...). */
export type TlsOptions = Omit<ConnectionOptions, 'socket' | 'host' | 'port' | 'path'>;

/** Options for {@link connect}. */
export interface ConnectOptions {
  /** Server host name or IP address. */
  readonly host: string;
  /** Port; default 465 for `security: 'tls'`, else 25. */
  readonly port?: number | undefined;
  /** See {@link SecurityMode}. Default `'tls'` on port 465, else `'opportunistic'`. */
  readonly security?: SecurityMode | undefined;
  /**
   * TLS settings. Verification is on by default for `tls` and `starttls`; SNI defaults to
   * `host` when it is a name.
   */
  readonly tls?: TlsOptions | undefined;
  /** The EHLO name (a domain or address literal). Default: this machine's host name. */
  readonly name?: string | undefined;
  /** Authenticate after EHLO (and STARTTLS) with these credentials. */
  readonly auth?: Credentials | undefined;
  /** Use this SASL mechanism instead of the strongest offered one. */
  readonly authMethod?: SaslMechanism | undefined;
  /** Allow sending credentials over a connection without TLS. Default `false`. */
  readonly allowInsecureAuth?: boolean | undefined;
  /** Speak LMTP (RFC 2033): LHLO, one reply per recipient after the data. */
  readonly lmtp?: boolean | undefined;
  /** Use PIPELINING when offered (RFC 2920). Default `true`. */
  readonly pipelining?: boolean | undefined;
  /** Use CHUNKING/BDAT when offered (RFC 3030). Default `true`. */
  readonly chunking?: boolean | undefined;
  /** Per-stage timeouts in ms; unset ones keep the RFC 5321 §4.5.3.2 defaults. */
  readonly timeouts?: Partial<SmtpTimeouts> | undefined;
  /** Local address to bind to. */
  readonly localAddress?: string | undefined;
  /** A logger for tracing (pino-compatible). Off by default. */
  readonly logger?: Logger | undefined;
  /** A callback for typed events (connect, tls, command, reply, close). Off by default. */
  readonly onEvent?: ((event: ClientEvent) => void) | undefined;
  /** Aborts connecting (and the session setup). */
  readonly signal?: AbortSignal | undefined;
  /** Source of random bytes (SCRAM nonces). Default `crypto.randomBytes`; tests pin it. */
  readonly random?: ((size: number) => Uint8Array) | undefined;
}

/** Options after defaults and checks. */
export interface ResolvedOptions {
  readonly host: string;
  readonly port: number;
  readonly security: SecurityMode;
  readonly tls: ConnectionOptions;
  readonly name: string;
  readonly auth: Credentials | undefined;
  readonly authMethod: SaslMechanism | undefined;
  readonly allowInsecureAuth: boolean;
  readonly lmtp: boolean;
  readonly pipelining: boolean;
  readonly chunking: boolean;
  readonly timeouts: SmtpTimeouts;
  readonly localAddress: string | undefined;
  readonly logger: Logger | undefined;
  readonly onEvent: ((event: ClientEvent) => void) | undefined;
  readonly random: (size: number) => Uint8Array;
}

// RFC 5321 §4.1.1.1: EHLO takes a Domain or an address-literal; no spaces, CR, LF or NUL.
const DOMAIN =
  /^(?=.{1,255}$)[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?(?:\.[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?)*\.?$/;
const ADDRESS_LITERAL = /^\[(?:\d{1,3}(?:\.\d{1,3}){3}|IPv6:[0-9A-Fa-f:.]+)\]$/;

/**
 * Whether `name` is acceptable as an EHLO/HELO argument (RFC 5321 §4.1.1.1, §4.1.3).
 * @example
 * ```ts
 * isValidEhloName('mail.example.com'); // true
 * isValidEhloName('[192.0.2.1]'); // true: an address literal
 * isValidEhloName('my host'); // false
 * ```
 */
export function isValidEhloName(name: string): boolean {
  return typeof name === 'string' && (DOMAIN.test(name) || ADDRESS_LITERAL.test(name));
}

function defaultName(): string {
  const name = hostname();
  return isValidEhloName(name) ? name : 'localhost';
}

/** Applies defaults and validates; throws TypeError/RangeError on caller mistakes. */
export function resolveOptions(options: ConnectOptions): ResolvedOptions {
  if (typeof options !== 'object' || options === null)
    throw new TypeError('connect options must be an object');
  if (typeof options.host !== 'string' || options.host === '')
    throw new TypeError('options.host must be a non-empty string');
  const security = options.security ?? (options.port === 465 ? 'tls' : 'opportunistic');
  if (!['tls', 'starttls', 'opportunistic', 'none'].includes(security)) {
    throw new TypeError(
      `options.security must be tls, starttls, opportunistic or none, not ${String(security)}`,
    );
  }
  const port = options.port ?? (security === 'tls' ? 465 : 25);
  if (!Number.isInteger(port) || port < 1 || port > 65535)
    throw new RangeError(`options.port out of range: ${port}`);
  const name = options.name ?? defaultName();
  if (!isValidEhloName(name)) {
    throw new TypeError(
      `options.name ${JSON.stringify(name)} is not a domain or address literal (RFC 5321 §4.1.1.1)`,
    );
  }
  const timeouts = { ...DEFAULT_TIMEOUTS };
  for (const [key, value] of Object.entries(options.timeouts ?? {})) {
    if (!(key in DEFAULT_TIMEOUTS)) throw new TypeError(`unknown timeout ${key}`);
    if (value === undefined) continue;
    if (typeof value !== 'number' || !(value > 0) || value > 2 ** 31 - 1) {
      throw new RangeError(`timeouts.${key} must be a positive number of milliseconds`);
    }
    (timeouts as Record<string, number>)[key] = value;
  }
  const auth = options.auth;
  if (auth !== undefined && (typeof auth !== 'object' || typeof auth.user !== 'string')) {
    throw new TypeError('options.auth must have a string user');
  }
  // Verification defaults: on for tls/starttls; for opportunistic, off unless asked for
  // (RFC 7435: opportunistic security accepts unauthenticated encryption).
  const verify = options.tls?.rejectUnauthorized ?? security !== 'opportunistic';
  return {
    host: options.host,
    port,
    security,
    tls: {
      ...options.tls,
      rejectUnauthorized: verify,
      ...(options.tls?.servername === undefined && !/^[\d.]+$|:/.test(options.host)
        ? { servername: options.host }
        : {}),
    },
    name,
    auth,
    authMethod: options.authMethod,
    allowInsecureAuth: options.allowInsecureAuth === true,
    lmtp: options.lmtp === true,
    pipelining: options.pipelining !== false,
    chunking: options.chunking !== false,
    timeouts,
    localAddress: options.localAddress,
    logger: options.logger,
    onEvent: options.onEvent,
    random: options.random ?? randomBytes,
  };
}
