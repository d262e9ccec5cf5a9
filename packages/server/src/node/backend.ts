import type { MailParameters, Path, RcptParameters, SmtpReplyError } from '@smtpkit/wire';
import type { ProxyHeader } from '../core/proxy-protocol';
import type { AuthRequest, ScramCredentials } from '../core/sasl';

/** Who connected, as the backend sees it (after PROXY and XCLIENT, the real client). */
export interface ConnectionInfo {
  /** A unique id for logs. */
  readonly id: string;
  /** The client's IP address (from the PROXY header or XCLIENT when trusted). */
  readonly remoteAddress: string;
  /** The client's port. */
  readonly remotePort: number;
  /** The address the client connected to. */
  readonly localAddress: string;
  /** The port the client connected to. */
  readonly localPort: number;
  /** Whether the connection was TLS from the start (implicit TLS, RFC 8314). */
  readonly secure: boolean;
  /** How the real client address was learnt, when not from the socket. */
  readonly via?: 'proxy-v1' | 'proxy-v2' | 'xclient';
  /**
   * The trusted proxy's PROXY header as decoded, when it sent one: with v2, also its TLVs
   * (the SNI name as `authority`, how it terminated TLS as `ssl`, its `uniqueId`, ...).
   */
  readonly proxy?: ProxyHeader;
  /** The client hostname a trusted XCLIENT gave (`NAME`). */
  readonly clientHostname?: string;
  /** The login a trusted XCLIENT gave (`LOGIN`). */
  readonly login?: string;
}

/** TLS details once the connection is encrypted. */
export interface TlsInfo {
  /** e.g. `TLSv1.3`. */
  readonly protocol: string | undefined;
  /** The cipher suite's standard name. */
  readonly cipher: string | undefined;
  /** The SNI name the client asked for, if any. */
  readonly servername: string | undefined;
}

/** The state of the session a backend call is made in. */
export interface SessionContext {
  /** The connection. */
  readonly connection: ConnectionInfo;
  /** The EHLO/HELO/LHLO name, once given. */
  readonly heloName: string | undefined;
  /** The AUTH username, once authenticated. */
  readonly authenticatedAs: string | undefined;
  /** TLS details when the connection is encrypted. */
  readonly tls: TlsInfo | undefined;
  /** Aborted when the connection closes or the server shuts down past its deadline. */
  readonly signal: AbortSignal;
}

/**
 * Per-recipient outcomes an LMTP backend's `data()` may resolve with (RFC 2033 §4.2): one entry
 * per accepted recipient, in RCPT order; `undefined` means delivered, an `SmtpReplyError` is the
 * reply for that recipient.
 */
export type LmtpOutcomes = readonly (SmtpReplyError | undefined)[];

/**
 * One client session (the shape of go-smtp's `Session`). Each method resolves to accept, or
 * throws an `SmtpReplyError` that becomes the reply; any other throw becomes `451 4.3.0`, never
 * a permanent failure. Methods may return synchronously.
 */
export interface BackendSession {
  /** `MAIL FROM` (RFC 5321 §4.1.1.2) with typed parameters (SIZE, BODY, DSN RET/ENVID, ...). */
  mail(reversePath: Path, params: MailParameters, context: SessionContext): void | Promise<void>;
  /** `RCPT TO` (§4.1.1.3) with typed parameters (DSN NOTIFY/ORCPT). */
  rcpt(forwardPath: Path, params: RcptParameters, context: SessionContext): void | Promise<void>;
  /**
   * The message body, unstuffed, streamed as it arrives (DATA or BDAT). Resolve only when the
   * message is durably stored: the `250` is sent after, never before. When the server refuses
   * the message mid-stream (size, bare line endings) the iterable throws.
   */
  data(
    body: AsyncIterable<Uint8Array>,
    context: SessionContext,
    // biome-ignore lint/suspicious/noConfusingVoidType: a plain `async data() {}` must type-check.
  ): void | LmtpOutcomes | Promise<void | LmtpOutcomes>;
  /** The transaction was abandoned (RSET, EHLO, or a new session state). */
  reset?(context: SessionContext): void | Promise<void>;
  /** The connection ended. */
  close?(): void | Promise<void>;
  /**
   * Judges AUTH credentials (RFC 4954). Without it AUTH is not offered. Throw an
   * `SmtpReplyError` (`535 5.7.8`) to refuse.
   */
  auth?(request: AuthRequest, context: SessionContext): void | Promise<void>;
  /** Stored credentials for SCRAM-SHA-256 (offered only when implemented along with `auth`). */
  scramCredentials?(
    username: string,
    context: SessionContext,
  ): ScramCredentials | undefined | Promise<ScramCredentials | undefined>;
}

/**
 * What the server calls for every connection (go-smtp's `Backend`). Throw an `SmtpReplyError`
 * from `openSession` to refuse the connection with that reply (e.g. `554 5.7.1`).
 */
export interface Backend {
  /** Opens the session for a new (or XCLIENT-restarted) connection. */
  openSession(connection: ConnectionInfo, signal: AbortSignal): BackendSession | Promise<BackendSession>;
}
