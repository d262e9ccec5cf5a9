/**
 * Record mapping and option defaults the drivers share, so the memory, SQLite and PostgreSQL
 * drivers describe a recipient, announce an enqueue and size their content rows the same way.
 */
import type {
  Envelope,
  MessageState,
  QueueEvent,
  QueueStats,
  RecipientInfo,
  RecipientStatus,
  RemoteReply,
} from '../types.js';

/**
 * A recipient as a driver stored it, with numeric columns already decoded to epoch ms: the
 * fields of `RecipientInfo`, with the raw lease columns in place of `lease` and `nextAttemptAt`
 * as stored (`describeRecipient` hides it once the recipient is final).
 */
export interface StoredRecipientView extends Omit<RecipientInfo, 'lease'> {
  /** The worker of the last claim, or `null`. */
  readonly leaseWorker: string | null;
  /** Lease expiry (epoch ms), or `null`; an expired lease is not reported. */
  readonly leaseUntil: number | null;
}

/**
 * The operator view (`RecipientInfo`) of a stored recipient at `now`: the next attempt only
 * while pending, the lease only while unexpired.
 *
 * @example
 * ```ts
 * const recipients = stored.map((r) => describeRecipient(r, now));
 * ```
 */
export function describeRecipient(stored: StoredRecipientView, now: number): RecipientInfo {
  const { leaseUntil, leaseWorker } = stored;
  return {
    index: stored.index,
    recipient: stored.recipient,
    domain: stored.domain,
    status: stored.status,
    attempts: stored.attempts,
    nextAttemptAt: stored.status === 'pending' ? stored.nextAttemptAt : null,
    lease:
      leaseUntil !== null && leaseUntil > now && leaseWorker !== null
        ? { workerId: leaseWorker, expiresAt: leaseUntil }
        : null,
    lastAttemptAt: stored.lastAttemptAt,
    lastReason: stored.lastReason,
    lastReply: stored.lastReply,
  };
}

/**
 * The `enqueue` event a driver emits once a message is durable.
 * @example
 * ```ts
 * hub.emit(enqueueEvent(messageId, envelope, size, now()));
 * // { type: 'enqueue', at, messageId, reversePath, recipientCount, size }
 * ```
 */
export function enqueueEvent(messageId: string, envelope: Envelope, size: number, at: number): QueueEvent {
  return {
    type: 'enqueue',
    at,
    messageId,
    reversePath: envelope.reversePath,
    recipientCount: envelope.recipients.length,
    size,
  };
}

/**
 * `QueueStats` from counts a driver gathered: states and statuses it did not count are 0, and
 * the oldest message's age is taken at `now`.
 * @example
 * ```ts
 * queueStats(3, { queued: 2, held: 1 }, { pending: 4, delivered: 1 }, 1_700_000_000_000, now());
 * // byState.active and .deferred are 0; oldestAgeMs is now() - 1_700_000_000_000
 * ```
 */
export function queueStats(
  messages: number,
  byState: Partial<Record<MessageState, number>>,
  recipients: Partial<Record<RecipientStatus, number>>,
  oldestEnqueuedAt: number | null,
  now: number,
): QueueStats {
  return {
    messages,
    byState: { held: 0, active: 0, deferred: 0, queued: 0, ...byState },
    recipients: { pending: 0, delivered: 0, failed: 0, expired: 0, ...recipients },
    oldestEnqueuedAt,
    oldestAgeMs: oldestEnqueuedAt === null ? null : now - oldestEnqueuedAt,
  };
}

/**
 * A remote reply as a text column (JSON), `null` kept as `null`.
 * @example
 * ```ts
 * encodeReply({ code: 250, enhanced: '2.0.0', lines: ['OK'] }); // '{"code":250,"enhanced":"2.0.0","lines":["OK"]}'
 * encodeReply(null); // null
 * ```
 */
export function encodeReply(reply: RemoteReply | null): string | null {
  return reply === null ? null : JSON.stringify(reply);
}

/**
 * The inverse of `encodeReply`.
 * @example
 * ```ts
 * decodeReply('{"code":250,"lines":["OK"]}'); // { code: 250, lines: ['OK'] }
 * decodeReply(null); // null
 * ```
 */
export function decodeReply(text: string | null): RemoteReply | null {
  return text === null ? null : (JSON.parse(text) as RemoteReply);
}

/** The content-storage options of a database driver (each driver documents their effect). */
export interface ContentStorageOptions {
  /** Content is stored in rows of this many octets. Default 256 KiB. */
  readonly chunkSize?: number;
  /** Content up to about this size is written with the enqueue's commit. Default 1 MiB. */
  readonly inlineContentBytes?: number;
  /** Staged content that wrote nothing for this long is removed as abandoned. Default 1 hour. */
  readonly abandonedEnqueueMs?: number;
}

/** `ContentStorageOptions` with the defaults filled in. */
export interface ResolvedContentStorageOptions {
  /** Octets per content row. */
  readonly chunkSize: number;
  /** The inline content threshold in octets. */
  readonly inlineContentBytes: number;
  /** The abandoned-staging age in ms. */
  readonly abandonedEnqueueMs: number;
}

/**
 * Fills in the defaults of `ContentStorageOptions` and checks them once, at open.
 * Default abandonment age: 1 hour, far above SMTP's own DATA timeouts (RFC 5321 §4.5.3.2: 3 and
 * 10 minutes), so an enqueue another process is still streaming is never removed.
 *
 * @throws RangeError when `chunkSize` is not a positive integer, `inlineContentBytes` is
 * negative or `abandonedEnqueueMs` is not positive (checked in that order).
 * @example
 * ```ts
 * resolveContentStorageOptions({ chunkSize: 64 * 1024 });
 * // { chunkSize: 65536, inlineContentBytes: 1048576, abandonedEnqueueMs: 3600000 }
 * ```
 */
export function resolveContentStorageOptions(options: ContentStorageOptions): ResolvedContentStorageOptions {
  const chunkSize = options.chunkSize ?? 256 * 1024;
  const inlineContentBytes = options.inlineContentBytes ?? 1024 * 1024;
  const abandonedEnqueueMs = options.abandonedEnqueueMs ?? 3_600_000;
  if (!Number.isInteger(chunkSize) || chunkSize < 1)
    throw new RangeError('chunkSize must be a positive integer');
  if (!(inlineContentBytes >= 0)) throw new RangeError('inlineContentBytes must be ≥ 0');
  if (!(abandonedEnqueueMs > 0)) throw new RangeError('abandonedEnqueueMs must be > 0');
  return { chunkSize, inlineContentBytes, abandonedEnqueueMs };
}
