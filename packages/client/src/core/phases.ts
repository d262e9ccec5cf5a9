/**
 * The stage of a session an operation belongs to: error `phase`s, timeout names and event
 * labels all use these words.
 */
export type SmtpPhase =
  | 'connect'
  | 'greeting'
  | 'tls'
  | 'ehlo'
  | 'auth'
  | 'mail'
  | 'rcpt'
  | 'data'
  | 'rset'
  | 'noop'
  | 'quit';

/**
 * What a reply is awaited for; each maps to a timeout (see {@link SmtpTimeouts}).
 * `dataInit` is the 354 to DATA, `dataEnd` the reply to the final dot or to `BDAT LAST`.
 */
export type ReplyStage =
  | 'greeting'
  | 'ehlo'
  | 'tls'
  | 'auth'
  | 'mail'
  | 'rcpt'
  | 'dataInit'
  | 'dataBlock'
  | 'dataEnd'
  | 'command'
  | 'quit';

/** Per-stage timeouts in milliseconds. Every field is optional in options; see {@link DEFAULT_TIMEOUTS}. */
export interface SmtpTimeouts {
  /** TCP connect (and, for implicit TLS, the handshake). */
  readonly connect: number;
  /** The 220 greeting (RFC 5321 §4.5.3.2.1: 5 minutes). */
  readonly greeting: number;
  /** EHLO/HELO/LHLO, STARTTLS, AUTH steps, RSET, NOOP. */
  readonly command: number;
  /** The TLS handshake after STARTTLS. */
  readonly tls: number;
  /** MAIL FROM (RFC 5321 §4.5.3.2.2: 5 minutes). */
  readonly mail: number;
  /** Each RCPT TO (RFC 5321 §4.5.3.2.3: 5 minutes). */
  readonly rcpt: number;
  /** DATA initiation, the wait for 354 (RFC 5321 §4.5.3.2.4: 2 minutes). */
  readonly dataInit: number;
  /** Each data block written, i.e. no write progress for this long (RFC 5321 §4.5.3.2.5: 3 minutes). */
  readonly dataBlock: number;
  /** The reply to the final dot or `BDAT LAST` (RFC 5321 §4.5.3.2.6: 10 minutes). */
  readonly dataEnd: number;
  /** QUIT's 221 (not in RFC 5321; short, the message is already handed over). */
  readonly quit: number;
}

/** RFC 5321 §4.5.3.2 defaults, plus a 60 s connect, 60 s TLS handshake and 10 s QUIT. */
export const DEFAULT_TIMEOUTS: SmtpTimeouts = Object.freeze({
  connect: 60_000,
  greeting: 5 * 60_000,
  command: 5 * 60_000,
  tls: 60_000,
  mail: 5 * 60_000,
  rcpt: 5 * 60_000,
  dataInit: 2 * 60_000,
  dataBlock: 3 * 60_000,
  dataEnd: 10 * 60_000,
  quit: 10_000,
});

/** The phase an awaited reply belongs to, for errors. */
export function phaseOfStage(stage: ReplyStage): SmtpPhase {
  switch (stage) {
    case 'greeting':
    case 'ehlo':
    case 'tls':
    case 'auth':
    case 'mail':
    case 'rcpt':
    case 'quit':
      return stage;
    case 'dataInit':
    case 'dataBlock':
    case 'dataEnd':
      return 'data';
    case 'command':
      return 'noop';
  }
}

/** The timeout (key of {@link SmtpTimeouts}) that applies while awaiting `stage`. */
export function timeoutOfStage(stage: ReplyStage): keyof SmtpTimeouts {
  return stage === 'ehlo' || stage === 'auth' ? 'command' : stage;
}
