import type { EnqueueInput, Envelope, EnvelopeRecipient, MessageContent } from '@smtpkit/queue';
import { formatReplyText, type Verdict } from '../core/classify';
import { formatDsn } from '../core/dsn/format-dsn';
import { mayNotify, notifyWants } from '../core/dsn/notify';
import type { DsnAction, DsnRecipient } from '../core/dsn/types';

/** One recipient to report on in a DSN. */
export interface BounceReport {
  readonly recipient: EnvelopeRecipient;
  readonly action: DsnAction;
  readonly verdict: Verdict;
  /** When the recipient stops being retried (for `delayed` reports). */
  readonly willRetryUntil?: Date;
}

/** Everything needed to build a DSN for one message. */
export interface BounceInput {
  readonly envelope: Envelope;
  readonly enqueuedAt: number;
  /** Size of the original in octets (decides whether RET=FULL returns it whole). */
  readonly size: number;
  readonly reports: readonly BounceReport[];
  /** Opens the original content; `undefined` when it is no longer available. */
  readonly content?: () => MessageContent;
}

/** DSN settings shared by the worker and `sendDirect`. */
export interface BounceSettings {
  /** The Reporting-MTA name (and the DSN's `From:` domain). */
  readonly reportingMta: string;
  readonly now: number;
  /** A unique token for the DSN's Message-ID and MIME boundary. */
  readonly uniqueId: string;
  /** Originals larger than this are returned as headers only even with RET=FULL. Default 10 MiB. */
  readonly maxReturnedSize?: number;
}

/**
 * The Diagnostic-Code text (RFC 3464 §2.3.6, type `smtp`): the remote reply when there was one,
 * else our own reason written as a reply (`450 4.4.1 ...`), as Postfix does for its own verdicts.
 */
function diagnostic(v: Verdict): string | undefined {
  if (v.reply) return formatReplyText(v.reply).replace(/[\r\n]+/g, ' ');
  if (v.kind === 'delivered') return undefined;
  const code = v.status.startsWith('5') ? 550 : 450;
  return `${code} ${v.status} ${v.reason}`.replace(/[\r\n]+/g, ' ');
}

/**
 * Builds the queue entry for a DSN, or `undefined` when none is due: the reverse-path is null
 * (RFC 3461 §6.2: no bounce loops) or no reported recipient's NOTIFY asks for this action.
 * The DSN itself has a null reverse-path (RFC 5321 §4.5.5) so it can never draw a DSN.
 * @example
 * ```ts
 * const bounce = buildBounce(
 *   {
 *     envelope,
 *     enqueuedAt,
 *     size,
 *     reports: [{ recipient, action: 'failed', verdict }],
 *     content: () => queue.readContent(messageId),
 *   },
 *   { reportingMta: 'mx.example.net', now: Date.now(), uniqueId: randomUUID() },
 * );
 * if (bounce) await queue.enqueue(bounce); // undefined: no DSN due (null sender, NOTIFY=NEVER, …)
 * ```
 */
export function buildBounce(input: BounceInput, settings: BounceSettings): EnqueueInput | undefined {
  const { envelope } = input;
  if (!mayNotify(envelope.reversePath)) return undefined;
  const wanted = input.reports.filter((r) => notifyWants(r.recipient.notify, r.action));
  if (wanted.length === 0) return undefined;
  const now = new Date(settings.now);
  const recipients: DsnRecipient[] = wanted.map((r) => {
    const v = r.verdict;
    // RFC 6533 §3: a UTF-8 address is of type utf-8, not rfc822.
    const address = r.recipient.address;
    return {
      finalRecipient: /^[\x00-\x7f]*$/.test(address) ? address : { type: 'utf-8', address },
      ...(r.recipient.orcpt && { originalRecipient: r.recipient.orcpt }),
      action: r.action,
      status: r.action === 'delayed' ? v.status.replace(/^5/, '4') : v.status,
      ...(v.host !== undefined && { remoteMta: v.host }),
      ...(diagnostic(v) !== undefined && { diagnosticCode: diagnostic(v) }),
      lastAttemptDate: now,
      ...(r.willRetryUntil && { willRetryUntil: r.willRetryUntil }),
    };
  });
  const eightBit =
    envelope.body === '8BITMIME' || envelope.body === 'BINARYMIME' || envelope.smtpUtf8 === true;
  const ret =
    envelope.ret === 'FULL' && input.size <= (settings.maxReturnedSize ?? 10_485_760) ? 'FULL' : 'HDRS';
  const content = input.content?.();
  const stream = formatDsn({
    reportingMta: settings.reportingMta,
    to: envelope.reversePath,
    ...(envelope.envid !== undefined && { envelopeId: envelope.envid }),
    arrivalDate: new Date(input.enqueuedAt),
    date: now,
    boundary: `dsn=${settings.uniqueId}`,
    messageId: `${settings.uniqueId}@${settings.reportingMta}`,
    recipients,
    ret,
    ...(content !== undefined && { content }),
    eightBit,
    global: envelope.smtpUtf8 === true,
  });
  return {
    envelope: {
      reversePath: '',
      recipients: [{ address: envelope.reversePath }],
      ...(eightBit && { body: '8BITMIME' as const }),
      ...(envelope.smtpUtf8 && { smtpUtf8: true }),
      metadata: {
        dsnFor: recipients.map((r) =>
          typeof r.finalRecipient === 'string' ? r.finalRecipient : r.finalRecipient.address,
        ),
      },
    },
    content: stream,
  };
}
