import type { AuthMechanism, ChannelBinding } from './sasl';

/**
 * Extensions the server can advertise (RFC 5321 §2.2). Each is on by default where the server
 * can honour it; set one to `false` to neither advertise nor accept it.
 */
export interface ServerExtensions {
  /** RFC 2920 command pipelining. */
  readonly pipelining?: boolean;
  /** RFC 1870 SIZE, enforced while the body streams. */
  readonly size?: boolean;
  /** RFC 6152 8BITMIME. */
  readonly eightBitMime?: boolean;
  /** RFC 6531 SMTPUTF8. */
  readonly smtpUtf8?: boolean;
  /** RFC 2034 enhanced status codes on every reply. */
  readonly enhancedStatusCodes?: boolean;
  /** RFC 3207 STARTTLS (offered only when TLS options are given). */
  readonly startTls?: boolean;
  /** RFC 4954 AUTH (offered only when the backend implements `auth`). */
  readonly auth?: boolean;
  /** RFC 3030 CHUNKING (BDAT). */
  readonly chunking?: boolean;
  /** RFC 3030 BINARYMIME (needs CHUNKING). */
  readonly binaryMime?: boolean;
  /** RFC 3461 DSN parameters, handed to the backend. */
  readonly dsn?: boolean;
  /** RFC 8689 REQUIRETLS (advertised only on a TLS connection). */
  readonly requireTls?: boolean;
}

/** Limits, with RFC 5321 §4.5.3 values or safe values by default. Durations are milliseconds. */
export interface ServerLimits {
  /** Simultaneous connections (default 1000). Over it: `421 4.7.0` and close. */
  readonly maxConnections?: number;
  /** Simultaneous connections per client IP (default 20). */
  readonly maxConnectionsPerIp?: number;
  /** Recipients per transaction (default 100, RFC 5321 §4.5.3.1.8 minimum): `452 4.5.3` after. */
  readonly maxRecipients?: number;
  /** Message size in octets (default 25 MiB), advertised with SIZE and enforced: `552 5.3.4`. */
  readonly maxMessageSize?: number;
  /** Command line length including CRLF (default 512, RFC 5321 §4.5.3.1.4). */
  readonly maxCommandLineLength?: number;
  /** AUTH response line length (default 12288, RFC 4954 §4). */
  readonly maxAuthLineLength?: number;
  /** Unknown or malformed commands before `421 4.7.0` (default 10). */
  readonly maxBadCommands?: number;
  /** NOOP/RSET/VRFY/HELP commands per connection before `421` (default 100, like Postfix). */
  readonly maxJunkCommands?: number;
  /** Failed AUTH attempts before `421 4.7.0` (default 3). */
  readonly maxAuthFailures?: number;
  /** Delay before answering a failed AUTH, multiplied by the failure count (default 1000). */
  readonly authFailureDelay?: number;
  /**
   * Time allowed for one command line to arrive (default 300 000, RFC 5321 §4.5.3.2.7). Not
   * reset by single bytes: a client trickling one byte a second still times out.
   */
  readonly commandTimeout?: number;
  /** Time allowed for a whole DATA body or BDAT chunk (default 600 000, §4.5.3.2.6). */
  readonly dataTimeout?: number;
  /** Time allowed for the TLS handshake after STARTTLS or on connect (default 30 000). */
  readonly tlsTimeout?: number;
  /** Bytes of pipelined input buffered before reading pauses (default 64 KiB). */
  readonly maxPipelinedBytes?: number;
  /**
   * Time a backend call may take before the client gets `451 4.3.0` (`454 4.7.0` for AUTH)
   * and the session goes on (default 300 000). A late result is then ignored.
   */
  readonly backendTimeout?: number;
}

/** Fully resolved extensions. @internal */
export type ResolvedExtensions = Required<ServerExtensions>;
/** Fully resolved limits. @internal */
export type ResolvedLimits = Required<ServerLimits>;

/** Fills in the defaults of {@link ServerLimits}. @internal */
export function resolveLimits(limits: ServerLimits = {}): ResolvedLimits {
  const resolved: ResolvedLimits = {
    maxConnections: 1000,
    maxConnectionsPerIp: 20,
    maxRecipients: 100,
    maxMessageSize: 25 * 1024 * 1024,
    maxCommandLineLength: 512,
    maxAuthLineLength: 12288,
    maxBadCommands: 10,
    maxJunkCommands: 100,
    maxAuthFailures: 3,
    authFailureDelay: 1000,
    commandTimeout: 300_000,
    dataTimeout: 600_000,
    tlsTimeout: 30_000,
    maxPipelinedBytes: 64 * 1024,
    backendTimeout: 300_000,
    ...stripUndefined(limits),
  };
  for (const [key, value] of Object.entries(resolved)) {
    if (typeof value !== 'number' || !(value >= 0))
      throw new RangeError(`limits.${key} must be a number >= 0`);
  }
  if (resolved.maxCommandLineLength < 512) throw new RangeError('limits.maxCommandLineLength must be >= 512');
  return resolved;
}

/** Fills in the defaults of {@link ServerExtensions}. @internal */
export function resolveExtensions(extensions: ServerExtensions = {}): ResolvedExtensions {
  return {
    pipelining: true,
    size: true,
    eightBitMime: true,
    smtpUtf8: true,
    enhancedStatusCodes: true,
    startTls: true,
    auth: true,
    chunking: true,
    binaryMime: true,
    dsn: true,
    requireTls: true,
    ...stripUndefined(extensions),
  };
}

function stripUndefined<T extends object>(value: T): Partial<T> {
  return Object.fromEntries(Object.entries(value).filter(([, v]) => v !== undefined)) as Partial<T>;
}

/** Options of the sans-I/O {@link ServerSession}. */
export interface ServerSessionOptions {
  /** The name the server greets with and puts in replies (RFC 5321 §4.1.3). */
  readonly hostname: string;
  /** Greeting text after the hostname (default `ESMTP` or `LMTP`). */
  readonly banner?: string;
  /** Speak LMTP (RFC 2033): LHLO instead of EHLO/HELO, one reply per recipient after data. */
  readonly lmtp?: boolean;
  /** Extension switches. */
  readonly extensions?: ServerExtensions;
  /** Limits. */
  readonly limits?: ServerLimits;
  /** Whether the connection is already TLS (implicit TLS, port 465). */
  readonly secure?: boolean;
  /** The implicit-TLS connection's channel binding data, for SCRAM-SHA-256-PLUS (TLS 1.3). */
  readonly channelBinding?: ChannelBinding;
  /** Whether STARTTLS can be performed (the Node layer has certificates). */
  readonly tlsAvailable?: boolean;
  /** Mechanisms the backend can judge; empty or absent: no AUTH. */
  readonly authMechanisms?: readonly AuthMechanism[];
  /** Offer AUTH on a plaintext connection (default false: only after TLS, RFC 4954 §4). */
  readonly allowInsecureAuth?: boolean;
  /** Refuse MAIL until the client has authenticated (a submission service, RFC 6409 §4.3). */
  readonly requireAuth?: boolean;
  /** Bare CR or LF inside DATA: `reject` (default, 550 5.5.2) or `normalize` to CRLF. */
  readonly bareLineEndings?: 'reject' | 'normalize';
  /** Accept XCLIENT (the client is a trusted content filter or proxy). */
  readonly xclient?: boolean;
  /** Injected randomness for AUTH challenges and nonces (a fresh unguessable string per call). */
  readonly nonce: () => string;
}
