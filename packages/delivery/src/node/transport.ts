import type { ReplyLike } from '../core/classify';

/** How one connection negotiates TLS. */
export interface HostTlsOptions {
  /**
   * `none`: never STARTTLS. `opportunistic`: STARTTLS when offered, any certificate accepted
   * (RFC 7435: encryption without authentication beats plaintext). `required`: no STARTTLS
   * offered, or a failed handshake, fails the connection.
   */
  readonly mode: 'none' | 'opportunistic' | 'required';
  /** Check the certificate chain and that it names `host` (RFC 6125); only meaningful with `required`. */
  readonly verify: boolean;
}

/** A recipient as it goes to the next hop, with its RFC 3461 parameters. */
export interface TransportRecipient {
  readonly address: string;
  readonly notify?: 'NEVER' | readonly ('SUCCESS' | 'FAILURE' | 'DELAY')[];
  readonly orcpt?: { readonly type: string; readonly address: string };
}

/** One SMTP transaction with one server address. */
export interface HostAttempt {
  /** The MX host name: the TLS server name and the name a certificate must carry. */
  readonly host: string;
  /** The address to connect to. */
  readonly address: string;
  readonly port: number;
  readonly tls: HostTlsOptions;
  /** RFC 8689 REQUIRETLS: send only over verified TLS to a server offering REQUIRETLS. */
  readonly requireTls: boolean;
  /** The reverse-path (`''` for null). */
  readonly from: string;
  readonly recipients: readonly TransportRecipient[];
  readonly ret?: 'FULL' | 'HDRS';
  readonly envid?: string;
  readonly bodyType?: '7BIT' | '8BITMIME' | 'BINARYMIME';
  /** The content, opened afresh for each attempt (a stream can be read once). */
  readonly content: () => Uint8Array | AsyncIterable<Uint8Array>;
  /** Size in octets, for RFC 1870 SIZE. */
  readonly size?: number;
  readonly signal: AbortSignal;
}

/** What a completed transaction returned: one reply per recipient, in order. */
export interface HostAttemptResult {
  /** For each recipient of the attempt, the reply that decided it (RCPT, or end of data). */
  readonly replies: readonly ReplyLike[];
  /** TLS state of the connection (`undefined` for plaintext). */
  readonly tls?: { readonly protocol?: string; readonly authorized: boolean };
  /** Whether the server took the DSN parameters (it advertised DSN, RFC 3461 §4). */
  readonly dsnRelayed: boolean;
}

/**
 * Sends one transaction to one address. Resolves with per-recipient replies when a transaction
 * took place; rejects with an `SmtpError`-shaped error (string `code`, `phase`,
 * `messageMayBeAccepted`, or an `ERR_SMTP_REPLY` with `reply`) when it did not. The default
 * uses `@smtpkit/client`; tests and embedders may pass their own.
 */
export type HostTransport = (attempt: HostAttempt) => Promise<HostAttemptResult>;

/** How a transport error counts. */
export type TransportErrorClass =
  /** This address/host could not take the message; try the next one. */
  | {
      readonly scope: 'host';
      readonly failure:
        | 'timeout'
        | 'refused'
        | 'network'
        | 'tls'
        | 'starttls-unavailable'
        | 'requiretls'
        | 'protocol';
      readonly reply?: ReplyLike;
      /** The server said 421 (RFC 5321 §3.8): pause the destination. */
      readonly unavailable: boolean;
      readonly detail: string;
    }
  /** A definitive answer for every recipient: a reply to MAIL, or the connection lost after the dot. */
  | {
      readonly scope: 'message';
      readonly reply?: ReplyLike;
      readonly lostAfterDot: boolean;
      readonly detail: string;
    };

function prop(value: unknown, key: string): unknown {
  return typeof value === 'object' && value !== null ? Reflect.get(value, key) : undefined;
}

function asReply(value: unknown): ReplyLike | undefined {
  const code = prop(value, 'code');
  const lines = prop(value, 'lines');
  if (typeof code !== 'number' || !Array.isArray(lines)) return undefined;
  const enhanced = prop(value, 'enhanced');
  return { code, lines: lines.map(String), ...(typeof enhanced === 'string' && { enhanced }) };
}

/**
 * Classifies what a transport threw. Checks the `code` strings of the shared `SmtpError`
 * family rather than `instanceof`, so duplicate installs of `@smtpkit/wire` still match.
 * @example
 * ```ts
 * const error = new SmtpReplyError({ code: 421, enhanced: '4.7.0', lines: ['Too busy'] });
 * classifyTransportError(error);
 * // { scope: 'host', failure: 'network', reply, unavailable: true, detail }: pause this host
 * ```
 */
export function classifyTransportError(error: unknown): TransportErrorClass {
  const code = prop(error, 'code');
  const phase = prop(error, 'phase');
  const detail = error instanceof Error ? error.message : String(error);
  if (code === 'ERR_SMTP_REPLY') {
    const reply = asReply(prop(error, 'reply')) ?? { code: 451, lines: [detail] };
    const verb = prop(error, 'verb');
    // RFC 5321 §3.8: 421 means the service is shutting the channel: a host-level condition,
    // whatever command drew it.
    if (reply.code === 421) return { scope: 'host', failure: 'network', reply, unavailable: true, detail };
    // A rejection of MAIL FROM (or of DATA/BDAT for all) answers for the whole message.
    if (verb === 'MAIL' || verb === 'DATA' || verb === 'BDAT') {
      return { scope: 'message', reply, lostAfterDot: false, detail };
    }
    // Greeting, EHLO/HELO, STARTTLS, AUTH refusals: this host will not talk to us; the next may.
    return { scope: 'host', failure: 'protocol', reply, unavailable: false, detail };
  }
  // The client refuses an address it cannot put on the wire with a TypeError before sending
  // anything: no host will take it, so it fails like a 553 (RFC 3463 X.1.3, bad address syntax)
  // instead of being retried until it expires.
  if (error instanceof TypeError && /address/i.test(detail)) {
    return {
      scope: 'message',
      reply: { code: 553, enhanced: '5.1.3', lines: [detail] },
      lostAfterDot: false,
      detail,
    };
  }
  if (prop(error, 'messageMayBeAccepted') === true) {
    return { scope: 'message', lostAfterDot: true, detail };
  }
  // The client reports a 421 to MAIL/RCPT/DATA as the connection closing, with the reply as
  // the cause: it is the same host-level condition as a 421 greeting (RFC 5321 §3.8).
  const cause = prop(error, 'cause');
  if (code === 'ERR_SMTP_CONNECTION' && prop(cause, 'code') === 'ERR_SMTP_REPLY') {
    const reply = asReply(prop(cause, 'reply'));
    if (reply?.code === 421) return { scope: 'host', failure: 'network', reply, unavailable: true, detail };
  }
  switch (code) {
    case 'ERR_SMTP_TIMEOUT':
      return { scope: 'host', failure: 'timeout', unavailable: false, detail };
    case 'ERR_SMTP_TLS':
      if (/does not offer STARTTLS/i.test(detail)) {
        return { scope: 'host', failure: 'starttls-unavailable', unavailable: false, detail };
      }
      return { scope: 'host', failure: 'tls', unavailable: false, detail };
    case 'ERR_SMTP_SIZE':
      // RFC 1870 §6: the message is too big for this server; another attempt will not shrink it.
      return {
        scope: 'message',
        reply: { code: 552, enhanced: '5.3.4', lines: [detail] },
        lostAfterDot: false,
        detail,
      };
    case 'ERR_SMTP_UNSUPPORTED':
      // RFC 6531 §3.5: a UTF-8 address the next hop cannot take fails with 5.6.7.
      if (/SMTPUTF8/i.test(detail)) {
        return {
          scope: 'message',
          reply: { code: 553, enhanced: '5.6.7', lines: [detail] },
          lostAfterDot: false,
          detail,
        };
      }
      if (/8BITMIME|BINARYMIME/i.test(detail)) {
        return {
          scope: 'message',
          reply: { code: 554, enhanced: '5.6.3', lines: [detail] },
          lostAfterDot: false,
          detail,
        };
      }
      if (/REQUIRETLS/i.test(detail))
        return { scope: 'host', failure: 'requiretls', unavailable: false, detail };
      if (/STARTTLS|TLS/i.test(detail)) {
        return { scope: 'host', failure: 'starttls-unavailable', unavailable: false, detail };
      }
      return { scope: 'host', failure: 'protocol', unavailable: false, detail };
    case 'ERR_SMTP_PROTOCOL':
      return { scope: 'host', failure: 'protocol', unavailable: false, detail };
    default: {
      const sys = prop(error, 'code') ?? prop(prop(error, 'cause'), 'code');
      const refused = sys === 'ECONNREFUSED' || (phase === 'connect' && /refused/i.test(detail));
      return { scope: 'host', failure: refused ? 'refused' : 'network', unavailable: false, detail };
    }
  }
}
