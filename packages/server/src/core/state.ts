/**
 * The server's protocol states and which commands each accepts, in one table (the shape of
 * python-hyper/h11's `_state.py`). A command outside its states draws `503 5.5.1` with the
 * reason below; the session code never re-decides ordering on its own.
 */

/**
 * Where a server session is.
 * - `initial`: greeting sent, no EHLO/HELO/LHLO yet (also after STARTTLS and XCLIENT).
 * - `ready`: greeted, no mail transaction.
 * - `mail`: MAIL accepted, no recipient yet.
 * - `rcpt`: at least one recipient accepted.
 * - `data`: reading a DATA body.
 * - `chunking`: between BDAT chunks of one message (RFC 3030 §2).
 * - `bdat`: reading a BDAT chunk's octets.
 * - `auth`: inside a SASL exchange (RFC 4954 §4).
 * - `tls`: STARTTLS accepted, waiting for the handshake; all input is discarded.
 * - `closed`: QUIT answered or the connection is being dropped.
 */
export type ServerState =
  | 'initial'
  | 'ready'
  | 'mail'
  | 'rcpt'
  | 'data'
  | 'chunking'
  | 'bdat'
  | 'auth'
  | 'tls'
  | 'closed';

/** Verbs the table governs (those of the wire `Command` union, plus XCLIENT). @internal */
export type TableVerb =
  | 'EHLO'
  | 'HELO'
  | 'LHLO'
  | 'MAIL'
  | 'RCPT'
  | 'DATA'
  | 'BDAT'
  | 'RSET'
  | 'NOOP'
  | 'QUIT'
  | 'VRFY'
  | 'EXPN'
  | 'HELP'
  | 'STARTTLS'
  | 'AUTH'
  | 'XCLIENT';

const COMMAND_STATES = ['initial', 'ready', 'mail', 'rcpt', 'chunking'] as const;
type CommandState = (typeof COMMAND_STATES)[number];

/** States in which a command line is read (the rest read bodies or SASL lines). @internal */
export function isCommandState(state: ServerState): state is CommandState {
  return (COMMAND_STATES as readonly string[]).includes(state);
}

/** One verb's row of the state table: where it is allowed, and why not elsewhere. @internal */
export interface TransitionRow {
  readonly allowed: readonly CommandState[];
  readonly refusal: Partial<Record<CommandState, string>>;
}

/**
 * For each verb: the command states that accept it, and for the others the text of the
 * `503 5.5.1` reply. Anything not listed as allowed is a wrong-order command.
 * @internal
 */
export const TRANSITIONS: Readonly<Record<TableVerb, TransitionRow>> = {
  // RFC 5321 §4.1.4: EHLO may come at any time and resets the transaction (§4.1.1.1).
  EHLO: { allowed: ['initial', 'ready', 'mail', 'rcpt', 'chunking'], refusal: {} },
  HELO: { allowed: ['initial', 'ready', 'mail', 'rcpt', 'chunking'], refusal: {} },
  LHLO: { allowed: ['initial', 'ready', 'mail', 'rcpt', 'chunking'], refusal: {} },
  MAIL: {
    allowed: ['ready'],
    refusal: {
      initial: 'Send HELO/EHLO first',
      mail: 'Nested MAIL command',
      rcpt: 'Nested MAIL command',
      chunking: 'BDAT transfer in progress',
    },
  },
  RCPT: {
    allowed: ['mail', 'rcpt'],
    refusal: {
      initial: 'Send HELO/EHLO first',
      ready: 'Need MAIL command',
      chunking: 'BDAT transfer in progress',
    },
  },
  DATA: {
    allowed: ['rcpt'],
    refusal: {
      initial: 'Send HELO/EHLO first',
      ready: 'Need MAIL command',
      mail: 'Need RCPT command',
      chunking: 'DATA not allowed during BDAT transfer',
    },
  },
  // RFC 3030 §2: BDAT needs a transaction with recipients; a 503 still consumes the chunk.
  BDAT: {
    allowed: ['rcpt', 'chunking'],
    refusal: { initial: 'Send HELO/EHLO first', ready: 'Need MAIL command', mail: 'Need RCPT command' },
  },
  RSET: { allowed: ['initial', 'ready', 'mail', 'rcpt', 'chunking'], refusal: {} },
  NOOP: { allowed: ['initial', 'ready', 'mail', 'rcpt', 'chunking'], refusal: {} },
  QUIT: { allowed: ['initial', 'ready', 'mail', 'rcpt', 'chunking'], refusal: {} },
  VRFY: { allowed: ['initial', 'ready', 'mail', 'rcpt', 'chunking'], refusal: {} },
  EXPN: { allowed: ['initial', 'ready', 'mail', 'rcpt', 'chunking'], refusal: {} },
  HELP: { allowed: ['initial', 'ready', 'mail', 'rcpt', 'chunking'], refusal: {} },
  // RFC 3207 §4: STARTTLS after EHLO and outside a transaction.
  STARTTLS: {
    allowed: ['ready'],
    refusal: {
      initial: 'Send EHLO first',
      mail: 'MAIL transaction in progress',
      rcpt: 'MAIL transaction in progress',
      chunking: 'MAIL transaction in progress',
    },
  },
  // RFC 4954 §4: AUTH after EHLO, not during a mail transaction.
  AUTH: {
    allowed: ['ready'],
    refusal: {
      initial: 'Send EHLO first',
      mail: 'MAIL transaction in progress',
      rcpt: 'MAIL transaction in progress',
      chunking: 'MAIL transaction in progress',
    },
  },
  XCLIENT: {
    allowed: ['initial', 'ready'],
    refusal: {
      mail: 'MAIL transaction in progress',
      rcpt: 'MAIL transaction in progress',
      chunking: 'MAIL transaction in progress',
    },
  },
};
