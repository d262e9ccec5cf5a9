/**
 * The queue contract: what a message is, what a driver stores, and the operations every
 * driver (memory, SQLite, PostgreSQL) implements with the same semantics. The contract suite
 * in `@smtpkit/queue/testing` is the executable form of this file.
 */

/** A JSON value: what free-form envelope metadata may hold (it is stored encoded, never as lines). */
export type JsonValue =
  | string
  | number
  | boolean
  | null
  | readonly JsonValue[]
  | { readonly [key: string]: JsonValue };

/** A DSN notification condition (RFC 3461 §4.1). */
export type DsnNotifyCondition = 'SUCCESS' | 'FAILURE' | 'DELAY';

/** The original recipient (RFC 3461 §4.2 ORCPT), xtext already decoded. */
export interface OriginalRecipient {
  /** The address type, e.g. `rfc822` or `utf-8` (RFC 6533). */
  readonly type: string;
  /** The address as given by the client, decoded. May contain any character; it is stored encoded. */
  readonly address: string;
}

/** One forward-path with its DSN parameters. */
export interface EnvelopeRecipient {
  /** The mailbox, without angle brackets (`user@example.com`, or `postmaster`, RFC 5321 §4.5.1). */
  readonly address: string;
  /** RFC 3461 §4.1 NOTIFY: `'NEVER'` or a non-empty list of conditions. Absent: the MTA's default. */
  readonly notify?: 'NEVER' | readonly DsnNotifyCondition[];
  /** RFC 3461 §4.2 ORCPT. */
  readonly orcpt?: OriginalRecipient;
}

/** The SMTP envelope of a queued message, with the parameters delivery and DSNs need. */
export interface Envelope {
  /** The reverse-path mailbox without angle brackets; `''` is the null reverse-path (never bounced to). */
  readonly reversePath: string;
  /** At least one recipient. */
  readonly recipients: readonly EnvelopeRecipient[];
  /** RFC 3461 §4.4 ENVID, xtext decoded. */
  readonly envid?: string;
  /** RFC 3461 §4.3 RET. */
  readonly ret?: 'FULL' | 'HDRS';
  /** RFC 8689 REQUIRETLS: deliver only over validated TLS. */
  readonly requireTls?: boolean;
  /** RFC 6531 SMTPUTF8 was requested. */
  readonly smtpUtf8?: boolean;
  /** RFC 6152 / RFC 3030 BODY parameter. */
  readonly body?: '7BIT' | '8BITMIME' | 'BINARYMIME';
  /** Free-form data for the operator and the worker (auth user, client IP, received time, ...). */
  readonly metadata?: { readonly [key: string]: JsonValue };
}

/** Message content: bytes, or a stream of chunks (Node Readable and web ReadableStream both are). */
export type MessageContent = Uint8Array | AsyncIterable<Uint8Array>;

/** Options every asynchronous queue call accepts. */
export interface QueueCallOptions {
  /**
   * Aborting rejects the call with the signal's reason. An enqueue aborted while its content is
   * still streaming stores nothing; once the final commit has begun it completes.
   */
  readonly signal?: AbortSignal;
}

/** What `enqueue` stores. */
export interface EnqueueInput {
  /** The envelope; validated (`TypeError` on a caller bug) and stored as a typed record. */
  readonly envelope: Envelope;
  /** Streamed to storage chunk by chunk; never concatenated whole by a durable driver. */
  readonly content: MessageContent;
  /** Delayed delivery: no recipient is handed out before this time (epoch ms). */
  readonly notBefore?: number;
  /** When to give up (epoch ms). Default: enqueue time + the driver's `maxQueueLifetimeMs` (5 days). */
  readonly expiresAt?: number;
}

/**
 * A recipient's stored status. `pending` recipients are waiting, due or leased; the other three
 * are final. A message whose recipients are all final is done and leaves the queue.
 */
export type RecipientStatus = 'pending' | 'delivered' | 'failed' | 'expired';

/**
 * A message's operator-facing state, derived from its recipients at a given time, first match wins:
 * `held` (on hold), `active` (a pending recipient is under an unexpired lease), `deferred` (a pending
 * recipient has been tried before), `queued` (waiting for its first attempt).
 */
export type MessageState = 'held' | 'active' | 'deferred' | 'queued';

/** A reply from the remote server, as the delivery worker saw it. */
export interface RemoteReply {
  /** The three-digit reply code (RFC 5321 §4.2). */
  readonly code: number;
  /** The enhanced status code (RFC 3463), e.g. `2.0.0`. */
  readonly enhanced?: string;
  /** The reply text lines, without codes and CRLF. */
  readonly lines: readonly string[];
  /** The host that answered. */
  readonly host?: string;
}

/** What became of one delivery attempt for one recipient. */
export type DeliveryOutcome =
  /** The remote server accepted the recipient's copy (final). */
  | { readonly kind: 'delivered'; readonly reply?: RemoteReply }
  /** A transient failure: try again at `nextAttemptAt` (epoch ms), unless the message has expired. */
  | {
      readonly kind: 'deferred';
      readonly reason: string;
      readonly nextAttemptAt: number;
      readonly reply?: RemoteReply;
    }
  /** A permanent failure (final). */
  | { readonly kind: 'failed'; readonly reason: string; readonly reply?: RemoteReply };

/** `claim` parameters. */
export interface ClaimRequest {
  /** At most this many recipients are leased (groups may hold part of a message's recipients). */
  readonly limit: number;
  /** Lease duration in milliseconds; after it the recipients may be claimed again. */
  readonly leaseMs: number;
  /** Who holds the lease (shown to operators). */
  readonly workerId: string;
  /** Only recipients at these domains (lowercase), e.g. for a per-destination worker. */
  readonly domains?: readonly string[];
}

/** One claimed recipient. */
export interface ClaimedRecipient {
  /** The recipient's position in `envelope.recipients`: its id within the message. */
  readonly index: number;
  /** The recipient as enqueued (address, NOTIFY, ORCPT). */
  readonly recipient: EnvelopeRecipient;
  /** Outcomes recorded before this attempt. */
  readonly attempts: number;
}

/** Due recipients of one message at one destination domain, leased together under one token. */
export interface ClaimedGroup {
  /** The message the recipients belong to. */
  readonly messageId: string;
  /** The recipients' domain, lowercased (`''` for a domainless `postmaster`). */
  readonly domain: string;
  /** Pass it back to `record` and `extendLease`. */
  readonly leaseToken: string;
  /** When the lease runs out (epoch ms). */
  readonly leaseExpiresAt: number;
  /** The whole envelope (all recipients, for DSN construction). */
  readonly envelope: Envelope;
  /** The leased recipients of this message at this domain. */
  readonly recipients: readonly ClaimedRecipient[];
  /** When the message was enqueued (epoch ms). */
  readonly enqueuedAt: number;
  /** When the message expires (epoch ms): a deferral from then on makes a recipient `expired`. */
  readonly expiresAt: number;
  /** Content size in octets. */
  readonly size: number;
}

/** `extendLease` parameters. */
export interface ExtendLeaseRequest {
  /** The token `claim` returned. */
  readonly leaseToken: string;
  /** The new lease runs this long from now. */
  readonly leaseMs: number;
}

/** One outcome to record. */
export interface OutcomeRecord {
  /** The message. */
  readonly messageId: string;
  /** The recipient's `index`. */
  readonly index: number;
  /** The token the recipient was claimed under. */
  readonly leaseToken: string;
  /** What happened. */
  readonly outcome: DeliveryOutcome;
}

/**
 * What recording one outcome did. Recording is idempotent: `duplicate` means the recipient was
 * already final (nothing changed); `stale` means a deferral arrived from a lease another claim has
 * replaced (ignored: the newer holder decides); `not-found` means the message is gone (done or deleted).
 * Final outcomes (`delivered`, `failed`) are applied even from an expired lease: they are facts.
 */
export interface RecordResult {
  /** What the call did (see above). */
  readonly status: 'applied' | 'duplicate' | 'stale' | 'not-found';
  /** The recipient's status after the call (absent for `not-found`). */
  readonly recipientStatus?: RecipientStatus;
  /** True when this call made the last recipient final: the message left the queue. */
  readonly messageDone: boolean;
}

/** A recipient as operators see it. */
export interface RecipientInfo {
  /** The recipient's position in the envelope: its id within the message. */
  readonly index: number;
  /** The recipient as enqueued. */
  readonly recipient: EnvelopeRecipient;
  /** Lowercased domain of the address. */
  readonly domain: string;
  /** Where the recipient stands. */
  readonly status: RecipientStatus;
  /** Outcomes recorded so far. */
  readonly attempts: number;
  /** Next attempt time (epoch ms) for pending recipients, `null` for final ones. */
  readonly nextAttemptAt: number | null;
  /** The current lease, while unexpired. */
  readonly lease: { readonly workerId: string; readonly expiresAt: number } | null;
  /** When the last outcome was recorded (epoch ms). */
  readonly lastAttemptAt: number | null;
  /** Why the last attempt did not deliver. */
  readonly lastReason: string | null;
  /** The remote reply of the last attempt, when there was one. */
  readonly lastReply: RemoteReply | null;
}

/** A message in a listing. */
export interface MessageSummary {
  /** The message id `enqueue` returned. */
  readonly id: string;
  /** Its state at the time of the call. */
  readonly state: MessageState;
  /** The reverse-path (`''` for the null reverse-path). */
  readonly reversePath: string;
  /** Recipients in the envelope. */
  readonly recipientCount: number;
  /** Recipients not yet final. */
  readonly pendingCount: number;
  /** Distinct lowercased domains of the pending recipients, sorted. */
  readonly domains: readonly string[];
  /** Enqueue time (epoch ms). */
  readonly enqueuedAt: number;
  /** Expiry time (epoch ms). */
  readonly expiresAt: number;
  /** Content size in octets. */
  readonly size: number;
  /** Whether the message is on hold. */
  readonly held: boolean;
  /** Earliest next attempt among pending recipients. */
  readonly nextAttemptAt: number | null;
}

/** One message in full. */
export interface MessageInfo {
  /** The message id. */
  readonly id: string;
  /** Its state at the time of the call. */
  readonly state: MessageState;
  /** The envelope as enqueued. */
  readonly envelope: Envelope;
  /** Every recipient with its status, in envelope order. */
  readonly recipients: readonly RecipientInfo[];
  /** Enqueue time (epoch ms). */
  readonly enqueuedAt: number;
  /** Expiry time (epoch ms). */
  readonly expiresAt: number;
  /** Content size in octets. */
  readonly size: number;
  /** Whether the message is on hold. */
  readonly held: boolean;
}

/** Filters for `list`; all given ones must match. */
export interface ListFilter {
  /** Messages in this state. */
  readonly state?: MessageState;
  /** A pending recipient at this domain (case-insensitive). */
  readonly domain?: string;
  /** The reverse-path, exactly (case-insensitive); `''` finds null reverse-path messages. */
  readonly sender?: string;
  /** Enqueued at least this long ago (ms). */
  readonly minAgeMs?: number;
  /** Enqueued at most this long ago (ms). */
  readonly maxAgeMs?: number;
  /** Default 100. */
  readonly limit?: number;
  /** Skip this many matches (ordered by enqueue time, then id). */
  readonly offset?: number;
}

/** Counts for monitoring. */
export interface QueueStats {
  /** Messages in the queue. */
  readonly messages: number;
  /** Messages by state. */
  readonly byState: Readonly<Record<MessageState, number>>;
  /** Recipients of messages still in the queue, by status. */
  readonly recipients: Readonly<Record<RecipientStatus, number>>;
  /** Enqueue time of the oldest message, `null` when empty. */
  readonly oldestEnqueuedAt: number | null;
  /** Age of the oldest message at the time of the call, `null` when empty. */
  readonly oldestAgeMs: number | null;
}

/** What happened in the queue, emitted after it is durable. Listeners run in the process that made the change. */
export type QueueEvent =
  | {
      readonly type: 'enqueue';
      readonly at: number;
      readonly messageId: string;
      readonly reversePath: string;
      readonly recipientCount: number;
      readonly size: number;
    }
  | {
      readonly type: 'deliver';
      readonly at: number;
      readonly messageId: string;
      readonly index: number;
      readonly address: string;
      readonly reply?: RemoteReply;
    }
  | {
      readonly type: 'defer';
      readonly at: number;
      readonly messageId: string;
      readonly index: number;
      readonly address: string;
      readonly reason: string;
      readonly nextAttemptAt: number;
      readonly attempts: number;
    }
  | {
      readonly type: 'fail';
      readonly at: number;
      readonly messageId: string;
      readonly index: number;
      readonly address: string;
      readonly reason: string;
      readonly reply?: RemoteReply;
    }
  | {
      readonly type: 'expire';
      readonly at: number;
      readonly messageId: string;
      readonly index: number;
      readonly address: string;
      readonly reason: string;
    }
  | { readonly type: 'done'; readonly at: number; readonly messageId: string }
  | { readonly type: 'hold' | 'release' | 'delete'; readonly at: number; readonly messageId: string };

/** A `subscribe` listener. Exceptions it throws are swallowed: a listener cannot break the queue. */
export type QueueListener = (event: QueueEvent) => void;

/**
 * A durable mail queue. Every driver implements all of it with the semantics the contract suite
 * (`runQueueContract` from `@smtpkit/queue/testing`) checks.
 */
export interface Queue {
  /**
   * Stores a message. Resolves with its id only when the message is durable (committed and
   * synced): a server may then answer 250. Invalid envelopes throw `TypeError`/`RangeError`.
   */
  enqueue(input: EnqueueInput, options?: QueueCallOptions): Promise<string>;
  /**
   * Leases up to `limit` due recipients (pending, not held, next attempt reached, no unexpired
   * lease), earliest next attempt first (ties in any order), grouped by message and domain. Two
   * concurrent claims never return the same recipient.
   */
  claim(request: ClaimRequest, options?: QueueCallOptions): Promise<ClaimedGroup[]>;
  /**
   * Extends a lease; resolves with the new expiry, or `null` if the lease was lost (its recipients
   * were claimed again by someone else, or are all final). A lease that ran out but whose
   * recipients nobody has claimed since can still be extended.
   */
  extendLease(request: ExtendLeaseRequest, options?: QueueCallOptions): Promise<number | null>;
  /** Records outcomes idempotently, one result per record, in order. */
  record(outcomes: readonly OutcomeRecord[], options?: QueueCallOptions): Promise<RecordResult[]>;
  /** The content, chunk by chunk. Throws `QueueNotFoundError` (on iteration) if the message is gone. */
  readContent(messageId: string, options?: QueueCallOptions): AsyncIterable<Uint8Array>;
  /** Messages matching `filter`, oldest first. */
  list(filter?: ListFilter, options?: QueueCallOptions): Promise<MessageSummary[]>;
  /** One message; throws `QueueNotFoundError`. */
  inspect(messageId: string, options?: QueueCallOptions): Promise<MessageInfo>;
  /** Puts a message on hold: none of its recipients is claimed until `release`. Idempotent. */
  hold(messageId: string, options?: QueueCallOptions): Promise<void>;
  /** Takes a message off hold. Idempotent. */
  release(messageId: string, options?: QueueCallOptions): Promise<void>;
  /** Makes every pending recipient due now; resolves with how many were rescheduled. */
  retryNow(messageId: string, options?: QueueCallOptions): Promise<number>;
  /** Removes a message and its content; resolves `false` if it was not there. */
  delete(messageId: string, options?: QueueCallOptions): Promise<boolean>;
  /** Counts by state and the age of the oldest message. */
  stats(options?: QueueCallOptions): Promise<QueueStats>;
  /** Adds a listener; returns the function that removes it. */
  subscribe(listener: QueueListener): () => void;
  /** Releases resources; later calls reject with `QueueClosedError`. */
  close(): Promise<void>;
}

/** Options every driver accepts. */
export interface QueueDriverOptions {
  /** The clock (epoch ms). Inject one in tests instead of sleeping. Default `Date.now`. */
  readonly now?: () => number;
  /** Default message lifetime. Default 5 days, Postfix's `maximal_queue_lifetime`. */
  readonly maxQueueLifetimeMs?: number;
}
