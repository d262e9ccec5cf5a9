/**
 * Per-recipient classification (DESIGN.md "Delivery"): every way an attempt can end becomes
 * `delivered`, `failed` (permanent) or `deferred` (try again), with an RFC 3463 status.
 */

/** An SMTP reply as the classifier needs it. */
export interface ReplyLike {
  readonly code: number;
  readonly enhanced?: string;
  readonly lines: readonly string[];
}

/** What became of one recipient in one attempt. */
export type Verdict =
  | {
      readonly kind: 'delivered';
      readonly status: string;
      readonly reply?: ReplyLike;
      readonly host?: string;
    }
  | {
      readonly kind: 'failed';
      readonly status: string;
      readonly reason: string;
      readonly reply?: ReplyLike;
      readonly host?: string;
    }
  | {
      readonly kind: 'deferred';
      readonly status: string;
      readonly reason: string;
      readonly reply?: ReplyLike;
      readonly host?: string;
      /**
       * The connection was lost after the final dot: the server may have kept the message.
       * Retried anyway (at-least-once, as Postfix does), and logged as a possible duplicate.
       */
      readonly possibleDuplicate?: boolean;
      /** Do not try before this time (epoch ms), e.g. a destination backoff; the schedule may say later. */
      readonly notBefore?: number;
    };

/** Failures that are not a reply to the recipient, each with the verdict it leads to. */
export type AttemptFailure =
  /** Connecting timed out, or a command got no reply in time. */
  | 'timeout'
  /** TCP connection refused or reset before anything was sent. */
  | 'refused'
  /** Another network error (unreachable, reset mid-session before the final dot). */
  | 'network'
  /** The TLS handshake or certificate check failed and the policy allowed no plaintext fallback. */
  | 'tls'
  /** The DNS lookup failed temporarily (SERVFAIL, timeout). */
  | 'dns-tempfail'
  /** The domain does not exist (NXDOMAIN) or has no MX and no address. */
  | 'no-such-domain'
  /** RFC 7505 null MX: the domain accepts no mail. */
  | 'null-mx'
  /** Every host was tried and none answered. */
  | 'no-reachable-host'
  /** The connection was lost after the final dot, before the reply. */
  | 'lost-after-dot'
  /** The message outlived its lifetime in the queue. */
  | 'expired'
  /** MTA-STS in `enforce` mode: no MX matched the policy, or the certificate was not valid for it. */
  | 'mta-sts'
  /** RFC 8689 REQUIRETLS could not be honoured (no verified TLS, or the server lacks REQUIRETLS). */
  | 'requiretls'
  /** TLS was required by policy but the server offered no STARTTLS. */
  | 'starttls-unavailable'
  /** The server or the client broke the protocol (garbled reply). */
  | 'protocol';

const FAILURES: Record<AttemptFailure, { kind: 'failed' | 'deferred'; status: string; reason: string }> = {
  timeout: { kind: 'deferred', status: '4.4.2', reason: 'connection timed out' },
  refused: { kind: 'deferred', status: '4.4.1', reason: 'connection refused' },
  network: { kind: 'deferred', status: '4.4.2', reason: 'connection lost' },
  tls: { kind: 'deferred', status: '4.7.5', reason: 'TLS handshake or certificate failure' },
  'dns-tempfail': { kind: 'deferred', status: '4.4.3', reason: 'temporary DNS failure' },
  // RFC 3463 §3.2 X.1.2: bad destination system address. A non-existent domain is permanent.
  'no-such-domain': { kind: 'failed', status: '5.1.2', reason: 'domain does not exist or has no mail host' },
  // RFC 7505 §4.2: a null MX means "no mail", status 5.1.10.
  'null-mx': {
    kind: 'failed',
    status: '5.1.10',
    reason: 'domain publishes a null MX (RFC 7505): it accepts no mail',
  },
  // RFC 3463 §3.5 X.4.1: no answer from host.
  'no-reachable-host': { kind: 'deferred', status: '4.4.1', reason: 'no mail host reachable' },
  'lost-after-dot': {
    kind: 'deferred',
    status: '4.4.2',
    reason: 'connection lost after the final dot: possible duplicate delivery',
  },
  // RFC 3463 §3.5 X.4.7: delivery time expired.
  expired: { kind: 'failed', status: '4.4.7', reason: 'message expired in the queue' },
  'mta-sts': { kind: 'deferred', status: '4.7.5', reason: 'MTA-STS policy not satisfied' },
  // RFC 8689 §5: REQUIRETLS support required.
  requiretls: { kind: 'deferred', status: '4.7.30', reason: 'REQUIRETLS could not be honoured' },
  'starttls-unavailable': {
    kind: 'deferred',
    status: '4.7.4',
    reason: 'TLS required but STARTTLS not offered',
  },
  protocol: { kind: 'deferred', status: '4.5.0', reason: 'protocol error' },
};

function defaultStatus(code: number): string {
  return `${Math.floor(code / 100)}.0.0`;
}

/**
 * The reply text on one line (for logs and DSN Diagnostic-Code).
 * @example
 * ```ts
 * formatReplyText({ code: 550, enhanced: '5.1.1', lines: ['No such user'] }); // '550 5.1.1 No such user'
 * ```
 */
export function formatReplyText(reply: ReplyLike): string {
  const text = reply.lines.map((l) => l.trim()).join(' ');
  const enhanced = reply.enhanced && !text.startsWith(reply.enhanced) ? `${reply.enhanced} ` : '';
  return `${reply.code} ${enhanced}${text}`.trim();
}

/**
 * Classifies a reply to a recipient (RCPT, or the end of DATA, RFC 5321 §4.2.1): 2yz delivered,
 * 5yz failed, 4yz deferred. Anything else is a broken reply, deferred.
 * @example
 * ```ts
 * const verdict = classifyReply({ code: 452, enhanced: '4.2.2', lines: ['Mailbox full'] }, 'mx.example.org');
 * // { kind: 'deferred', status: '4.2.2', reason: '452 4.2.2 Mailbox full', reply, host: 'mx.example.org' }
 * ```
 */
export function classifyReply(reply: ReplyLike, host?: string): Verdict {
  const hostPart = host === undefined ? {} : { host };
  const status = reply.enhanced ?? defaultStatus(reply.code);
  if (reply.code >= 200 && reply.code < 300) return { kind: 'delivered', status, reply, ...hostPart };
  if (reply.code >= 500 && reply.code < 600) {
    return { kind: 'failed', status, reason: formatReplyText(reply), reply, ...hostPart };
  }
  if (reply.code >= 400 && reply.code < 500) {
    return { kind: 'deferred', status, reason: formatReplyText(reply), reply, ...hostPart };
  }
  return {
    kind: 'deferred',
    status: '4.5.0',
    reason: `unexpected reply ${formatReplyText(reply)}`,
    reply,
    ...hostPart,
  };
}

/**
 * Classifies a failure that is not a reply (see {@link AttemptFailure}).
 * @example
 * ```ts
 * classifyFailure('timeout', 'no greeting in 300 s', '192.0.2.10');
 * // { kind: 'deferred', status: '4.4.2', reason: 'connection timed out: no greeting in 300 s', host: '192.0.2.10' }
 * classifyFailure('null-mx').kind; // 'failed'
 * ```
 */
export function classifyFailure(failure: AttemptFailure, detail?: string, host?: string): Verdict {
  const f = FAILURES[failure];
  const reason = detail ? `${f.reason}: ${detail}` : f.reason;
  const hostPart = host === undefined ? {} : { host };
  if (f.kind === 'failed') return { kind: 'failed', status: f.status, reason, ...hostPart };
  return {
    kind: 'deferred',
    status: f.status,
    reason,
    ...hostPart,
    ...(failure === 'lost-after-dot' && { possibleDuplicate: true }),
  };
}

/**
 * What a deferral becomes once the message has run out of time: a failure with status 4.4.7
 * (RFC 3463 §3.5), keeping the last reason so the DSN says why.
 * @example
 * ```ts
 * const last = classifyReply({ code: 451, lines: ['Try again later'] });
 * expireVerdict(last);
 * // { kind: 'failed', status: '4.4.7', reason: 'message expired in the queue; last error: 451 Try again later', reply }
 * ```
 */
export function expireVerdict(last: Verdict | undefined): Verdict & { kind: 'failed' } {
  const base = FAILURES.expired;
  const lastReason = last && last.kind !== 'delivered' ? `; last error: ${last.reason}` : '';
  return {
    kind: 'failed',
    status: base.status,
    reason: `${base.reason}${lastReason}`,
    ...(last?.reply && { reply: last.reply }),
    ...(last?.host !== undefined && { host: last.host }),
  };
}
