/**
 * Per-recipient outcomes as values (never exceptions): accepted / rejected / deferred,
 * each with the reply that decided it.
 */
import type { Reply } from '@smtpkit/wire';

/** accepted (2yz), deferred (4yz: try later), rejected (5yz: do not retry) — RFC 5321 §4.2.1. */
export type RecipientStatus = 'accepted' | 'deferred' | 'rejected';

/** The outcome for one recipient. */
export interface RecipientResult {
  /** The address as given in the envelope. */
  readonly address: string;
  readonly status: RecipientStatus;
  /**
   * The reply that decided it: the RCPT reply when RCPT failed; otherwise the reply to the
   * end of data (for LMTP, this recipient's own one).
   */
  readonly reply: Reply;
  /** The RCPT reply itself. */
  readonly rcptReply: Reply;
}

/** The negotiated TLS state of a connection. */
export interface TlsInfo {
  /** e.g. `'TLSv1.3'`. */
  readonly protocol: string | undefined;
  /** The cipher suite's standard name. */
  readonly cipher: string | undefined;
  /** Whether the server's certificate chain verified against the trusted CAs and name. */
  readonly authorized: boolean;
  /** Why verification failed, when it did. */
  readonly authorizationError: string | undefined;
  /** The peer certificate's subject common name, if any. */
  readonly peerSubject: string | undefined;
  /** How TLS was reached: implicit (`tls`) or STARTTLS. */
  readonly via: 'implicit' | 'starttls';
}

/** Milliseconds spent, measured by the Node layer's clock. */
export interface SendTimings {
  /** From the first envelope byte to the last RCPT/MAIL reply. */
  readonly envelope: number;
  /** From DATA/BDAT to the final reply. */
  readonly data: number;
  /** The whole transaction. */
  readonly total: number;
}

/** What one `sendMail` produced. */
export interface SendResult {
  /** One entry per envelope recipient, in envelope order. */
  readonly recipients: readonly RecipientResult[];
  /** Addresses accepted after the data (handed over to the server). */
  readonly accepted: readonly string[];
  /** Addresses permanently refused. */
  readonly rejected: readonly string[];
  /** Addresses temporarily refused: retry later. */
  readonly deferred: readonly string[];
  /** The MAIL FROM reply. */
  readonly mailReply: Reply;
  /** The reply to the end of data; absent when no data was sent (every recipient refused). */
  readonly dataReply: Reply | undefined;
  /** `host:port` that answered. */
  readonly server: string;
  /** TLS state, `undefined` for a plaintext connection. */
  readonly tls: TlsInfo | undefined;
  /** Whether DATA or BDAT carried the body. */
  readonly method: 'DATA' | 'BDAT' | 'none';
  /** Whether requested DSN parameters were dropped because the server lacks DSN. */
  readonly dsnDropped: boolean;
  readonly timings: SendTimings;
}

/** accepted/deferred/rejected for a reply code (RFC 5321 §4.2.1). */
export function statusOf(reply: Reply): RecipientStatus {
  if (reply.code < 400) return 'accepted';
  return reply.code < 500 ? 'deferred' : 'rejected';
}
