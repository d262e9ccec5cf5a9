/**
 * A client-side SASL exchange (RFC 4422) as a pure value machine: the session base64-encodes
 * what it returns and decodes what the server sends in `334` challenges (RFC 4954 §4).
 */
export interface SaslClient {
  /** The mechanism name as sent in `AUTH <mechanism>`. */
  readonly mechanism: string;
  /**
   * The initial response sent with the AUTH command (RFC 4954 §4), or `undefined` when the
   * mechanism waits for the server's first challenge. An empty array is sent as `=`.
   */
  initialResponse(): Uint8Array | undefined;
  /** Answers one server challenge (already base64-decoded). Throws on a malformed challenge. */
  respond(challenge: Uint8Array): Uint8Array;
  /**
   * Called on `235`: mechanisms with mutual authentication (SCRAM) throw when the server
   * never proved it knows the password.
   */
  complete(): void;
}

/** Username and password credentials (PLAIN, LOGIN, CRAM-MD5, SCRAM-SHA-256). */
export interface PasswordCredentials {
  /** The authentication identity. */
  readonly user: string;
  /** The password. Never included in errors, events or logs. */
  readonly pass: string;
}

/** What a {@link TokenProvider} is told when it is called. */
export interface TokenRequest {
  /** The user the token is for. */
  readonly user: string;
  /** True when the previous token was refused (expired): return a fresh one. */
  readonly renew: boolean;
  /** Aborts the token fetch. */
  readonly signal?: AbortSignal | undefined;
}

/** Returns an OAuth 2.0 bearer token; called again with `renew: true` when one expires. */
export type TokenProvider = (request: TokenRequest) => string | Promise<string>;

/** OAuth 2.0 credentials for XOAUTH2: a fixed token, a provider, or both. */
export interface OAuth2Credentials {
  /** The user (mailbox) the token belongs to. */
  readonly user: string;
  /** A bearer token to use first. */
  readonly accessToken?: string | undefined;
  /** Called for a token when none is given, and again when the server refuses one. */
  readonly tokenProvider?: TokenProvider | undefined;
}

/** Credentials accepted by {@link SmtpClient.auth}: a password or OAuth 2.0 token. */
export type Credentials = PasswordCredentials | OAuth2Credentials;

/** Whether the credentials carry a password (as opposed to an OAuth token). */
export function isPasswordCredentials(credentials: Credentials): credentials is PasswordCredentials {
  return typeof (credentials as PasswordCredentials).pass === 'string';
}
