/**
 * The client session's states and legal transitions, written down in one place
 * (h11-style). A command is checked against the state the session will be in once every
 * command already sent succeeds (that is what makes RFC 2920 pipelining legal to plan);
 * replies then move the confirmed state.
 */

/** Where a {@link ClientSession} is. */
export type ClientState =
  /** Waiting for the 220 greeting (RFC 5321 §4.3.1). */
  | 'greeting'
  /** Greeted (or freshly TLS-wrapped): EHLO/HELO/LHLO next. */
  | 'connected'
  /** EHLO done, no transaction open. */
  | 'ready'
  /** STARTTLS got 220: the host must run the TLS handshake and call `tlsStarted()`. */
  | 'tls'
  /** An AUTH exchange is in progress. */
  | 'auth'
  /** MAIL accepted. */
  | 'mail'
  /** At least one RCPT accepted. */
  | 'rcpt'
  /** DATA got 354: body bytes go next, then the final dot. */
  | 'body'
  /** BDAT chunks are being sent (RFC 3030). */
  | 'bdat'
  /** QUIT sent, or the server closed / broke the protocol. Nothing more can be sent. */
  | 'closed';

/** A command verb the session can send. */
export type ClientVerb =
  | 'EHLO'
  | 'HELO'
  | 'LHLO'
  | 'STARTTLS'
  | 'AUTH'
  | 'MAIL'
  | 'RCPT'
  | 'DATA'
  | 'BDAT'
  | 'RSET'
  | 'NOOP'
  | 'QUIT';

/**
 * For each verb: the states it may be sent from and the state it leads to when its reply
 * is a success. `undefined` target means "unchanged".
 */
export const COMMAND_TABLE: Readonly<
  Record<ClientVerb, { readonly from: readonly ClientState[]; readonly to: ClientState | undefined }>
> = {
  EHLO: { from: ['connected', 'ready'], to: 'ready' },
  HELO: { from: ['connected', 'ready'], to: 'ready' },
  LHLO: { from: ['connected', 'ready'], to: 'ready' },
  STARTTLS: { from: ['ready'], to: 'tls' },
  AUTH: { from: ['ready'], to: 'ready' },
  MAIL: { from: ['ready'], to: 'mail' },
  RCPT: { from: ['mail', 'rcpt'], to: 'rcpt' },
  DATA: { from: ['rcpt'], to: 'body' },
  BDAT: { from: ['rcpt', 'bdat'], to: 'bdat' },
  RSET: { from: ['connected', 'ready', 'mail', 'rcpt', 'bdat'], to: 'ready' },
  NOOP: { from: ['connected', 'ready', 'mail', 'rcpt', 'bdat'], to: undefined },
  QUIT: { from: ['greeting', 'connected', 'ready', 'mail', 'rcpt', 'bdat', 'auth'], to: 'closed' },
};
