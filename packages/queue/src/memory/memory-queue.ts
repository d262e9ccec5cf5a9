/**
 * The in-memory driver: the reference implementation of the contract, for tests and for
 * programs that accept losing the queue on exit. "Durable" here means "in this process".
 */
import {
  randomId,
  validateClaimRequest,
  validateEnqueueInput,
  validateExtendLeaseRequest,
  validateListFilter,
  validateOutcomeRecords,
} from '../core/checks.js';
import { chunkContent, throwIfAborted } from '../core/content.js';
import { describeRecipient, enqueueEvent, queueStats } from '../core/driver.js';
import { normalizeEnvelope, recipientDomain } from '../core/envelope.js';
import { QueueEventHub } from '../core/event-hub.js';
import { decideOutcome, deriveMessageState } from '../core/outcome.js';
import { DEFAULT_MAX_QUEUE_LIFETIME_MS } from '../core/retry-schedule.js';
import { QueueClosedError, QueueNotFoundError } from '../errors.js';
import type {
  ClaimedGroup,
  ClaimRequest,
  EnqueueInput,
  Envelope,
  EnvelopeRecipient,
  ExtendLeaseRequest,
  ListFilter,
  MessageInfo,
  MessageState,
  MessageSummary,
  OutcomeRecord,
  Queue,
  QueueCallOptions,
  QueueDriverOptions,
  QueueEvent,
  QueueListener,
  QueueStats,
  RecipientStatus,
  RecordResult,
  RemoteReply,
} from '../types.js';

const chunkSize = 64 * 1024;

interface StoredRecipient {
  readonly index: number;
  readonly recipient: EnvelopeRecipient;
  readonly domain: string;
  status: RecipientStatus;
  attempts: number;
  nextAttemptAt: number | null;
  leaseToken: string | null;
  leaseWorker: string | null;
  leaseUntil: number | null;
  lastAttemptAt: number | null;
  lastReason: string | null;
  lastReply: RemoteReply | null;
}

interface StoredMessage {
  readonly id: string;
  readonly envelope: Envelope;
  readonly chunks: readonly Uint8Array[];
  readonly size: number;
  readonly enqueuedAt: number;
  readonly expiresAt: number;
  held: boolean;
  readonly recipients: StoredRecipient[];
}

interface Candidate {
  readonly message: StoredMessage;
  readonly recipient: StoredRecipient;
}

/** Claim order: earliest next attempt, then message id and index (what an index on next attempt gives a SQL driver). */
function compareCandidates(a: Candidate, b: Candidate): number {
  return (
    a.recipient.nextAttemptAt! - b.recipient.nextAttemptAt! ||
    (a.message.id < b.message.id ? -1 : a.message.id > b.message.id ? 1 : 0) ||
    a.recipient.index - b.recipient.index
  );
}

/** Options for `createMemoryQueue`. */
export interface MemoryQueueOptions extends QueueDriverOptions {}

/**
 * Creates an in-memory queue.
 *
 * @example
 * ```ts
 * const queue = createMemoryQueue();
 * const id = await queue.enqueue({
 *   envelope: { reversePath: 'a@example.org', recipients: [{ address: 'b@example.com' }] },
 *   content: new TextEncoder().encode('Subject: hi\r\n\r\nhello\r\n'),
 * });
 * const [group] = await queue.claim({ limit: 10, leaseMs: 60_000, workerId: 'w1' });
 * await queue.record([{ messageId: id, index: 0, leaseToken: group.leaseToken, outcome: { kind: 'delivered' } }]);
 * ```
 */
export function createMemoryQueue(options: MemoryQueueOptions = {}): Queue {
  return new MemoryQueue(options);
}

class MemoryQueue implements Queue {
  readonly #now: () => number;
  readonly #lifetimeMs: number;
  readonly #messages = new Map<string, StoredMessage>();
  readonly #events = new QueueEventHub();
  #closed = false;

  constructor(options: MemoryQueueOptions) {
    this.#now = options.now ?? Date.now;
    this.#lifetimeMs = options.maxQueueLifetimeMs ?? DEFAULT_MAX_QUEUE_LIFETIME_MS;
  }

  #check(options?: QueueCallOptions): void {
    throwIfAborted(options?.signal);
    if (this.#closed) throw new QueueClosedError();
  }

  #get(messageId: string): StoredMessage {
    const message = this.#messages.get(messageId);
    if (!message) throw new QueueNotFoundError(messageId);
    return message;
  }

  async enqueue(input: EnqueueInput, options?: QueueCallOptions): Promise<string> {
    this.#check(options);
    validateEnqueueInput(input);
    const envelope = normalizeEnvelope(input.envelope);
    const chunks: Uint8Array[] = [];
    let size = 0;
    for await (const chunk of chunkContent(input.content, chunkSize, options?.signal)) {
      chunks.push(chunk);
      size += chunk.length;
    }
    this.#check(options);
    const now = this.#now();
    const id = randomId();
    const firstAttempt = Math.max(now, input.notBefore ?? now);
    this.#messages.set(id, {
      id,
      envelope,
      chunks,
      size,
      enqueuedAt: now,
      expiresAt: input.expiresAt ?? now + this.#lifetimeMs,
      held: false,
      recipients: envelope.recipients.map((recipient, index) => ({
        index,
        recipient,
        domain: recipientDomain(recipient.address),
        status: 'pending',
        attempts: 0,
        nextAttemptAt: firstAttempt,
        leaseToken: null,
        leaseWorker: null,
        leaseUntil: null,
        lastAttemptAt: null,
        lastReason: null,
        lastReply: null,
      })),
    });
    this.#events.emit(enqueueEvent(id, envelope, size, now));
    return id;
  }

  async claim(request: ClaimRequest, options?: QueueCallOptions): Promise<ClaimedGroup[]> {
    this.#check(options);
    validateClaimRequest(request);
    const now = this.#now();
    const domains = request.domains ? new Set(request.domains.map((d) => d.toLowerCase())) : null;
    // Keep only the best `limit` candidates while scanning (sorted insertion), not a sort of all due work.
    const due: Candidate[] = [];
    for (const message of this.#messages.values()) {
      if (message.held) continue;
      for (const recipient of message.recipients) {
        if (
          recipient.status !== 'pending' ||
          recipient.nextAttemptAt === null ||
          recipient.nextAttemptAt > now
        )
          continue;
        if (recipient.leaseUntil !== null && recipient.leaseUntil > now) continue;
        if (domains && !domains.has(recipient.domain)) continue;
        const candidate = { message, recipient };
        if (due.length === request.limit && compareCandidates(candidate, due[due.length - 1]!) >= 0) continue;
        let at = due.length;
        while (at > 0 && compareCandidates(candidate, due[at - 1]!) < 0) at--;
        due.splice(at, 0, candidate);
        if (due.length > request.limit) due.pop();
      }
    }
    const leaseExpiresAt = now + request.leaseMs;
    const groups = new Map<
      string,
      { message: StoredMessage; domain: string; token: string; recipients: StoredRecipient[] }
    >();
    for (const { message, recipient } of due) {
      const key = `${message.id}\u0000${recipient.domain}`;
      let group = groups.get(key);
      if (!group) {
        group = { message, domain: recipient.domain, token: randomId(), recipients: [] };
        groups.set(key, group);
      }
      recipient.leaseToken = group.token;
      recipient.leaseWorker = request.workerId;
      recipient.leaseUntil = leaseExpiresAt;
      group.recipients.push(recipient);
    }
    return [...groups.values()].map(({ message, domain, token, recipients }) => ({
      messageId: message.id,
      domain,
      leaseToken: token,
      leaseExpiresAt,
      envelope: normalizeEnvelope(message.envelope),
      recipients: recipients.map((r) => ({ index: r.index, recipient: r.recipient, attempts: r.attempts })),
      enqueuedAt: message.enqueuedAt,
      expiresAt: message.expiresAt,
      size: message.size,
    }));
  }

  async extendLease(request: ExtendLeaseRequest, options?: QueueCallOptions): Promise<number | null> {
    this.#check(options);
    validateExtendLeaseRequest(request);
    const expiresAt = this.#now() + request.leaseMs;
    let found = false;
    for (const message of this.#messages.values()) {
      for (const recipient of message.recipients) {
        if (recipient.status === 'pending' && recipient.leaseToken === request.leaseToken) {
          recipient.leaseUntil = expiresAt;
          found = true;
        }
      }
    }
    return found ? expiresAt : null;
  }

  async record(outcomes: readonly OutcomeRecord[], options?: QueueCallOptions): Promise<RecordResult[]> {
    this.#check(options);
    validateOutcomeRecords(outcomes);
    const now = this.#now();
    const results: RecordResult[] = [];
    const events: QueueEvent[] = [];
    for (const record of outcomes) {
      const message = this.#messages.get(record.messageId);
      const recipient = message?.recipients[record.index];
      if (!message || !recipient) {
        results.push({ status: 'not-found', messageDone: false });
        continue;
      }
      const decision = decideOutcome({
        messageId: message.id,
        index: recipient.index,
        address: recipient.recipient.address,
        current: recipient,
        leaseToken: record.leaseToken,
        outcome: record.outcome,
        expiresAt: message.expiresAt,
        now,
      });
      if (decision.status !== 'applied') {
        results.push({
          status: decision.status,
          recipientStatus: decision.recipientStatus,
          messageDone: false,
        });
        continue;
      }
      Object.assign(recipient, decision.update, { leaseToken: null, leaseWorker: null, leaseUntil: null });
      events.push(decision.event);
      const done = message.recipients.every((r) => r.status !== 'pending');
      if (done) {
        this.#messages.delete(message.id);
        events.push({ type: 'done', at: now, messageId: message.id });
      }
      results.push({ status: 'applied', recipientStatus: decision.recipientStatus, messageDone: done });
    }
    this.#events.emit(...events);
    return results;
  }

  async *readContent(messageId: string, options?: QueueCallOptions): AsyncIterable<Uint8Array> {
    this.#check(options);
    const message = this.#get(messageId);
    for (const chunk of message.chunks) {
      throwIfAborted(options?.signal);
      yield chunk.slice();
    }
  }

  #state(message: StoredMessage, now: number): MessageState {
    return deriveMessageState(message.held, message.recipients, now);
  }

  async list(filter: ListFilter = {}, options?: QueueCallOptions): Promise<MessageSummary[]> {
    this.#check(options);
    validateListFilter(filter);
    const now = this.#now();
    const domain = filter.domain?.toLowerCase();
    const sender = filter.sender?.toLowerCase();
    const matches = [...this.#messages.values()]
      .filter((m) => filter.state === undefined || this.#state(m, now) === filter.state)
      .filter(
        (m) =>
          domain === undefined || m.recipients.some((r) => r.status === 'pending' && r.domain === domain),
      )
      .filter((m) => sender === undefined || m.envelope.reversePath.toLowerCase() === sender)
      .filter((m) => filter.minAgeMs === undefined || now - m.enqueuedAt >= filter.minAgeMs)
      .filter((m) => filter.maxAgeMs === undefined || now - m.enqueuedAt <= filter.maxAgeMs)
      .sort((a, b) => a.enqueuedAt - b.enqueuedAt || (a.id < b.id ? -1 : a.id > b.id ? 1 : 0));
    const offset = filter.offset ?? 0;
    return matches.slice(offset, offset + (filter.limit ?? 100)).map((m) => {
      const pending = m.recipients.filter((r) => r.status === 'pending');
      const next = pending.map((r) => r.nextAttemptAt ?? Number.POSITIVE_INFINITY);
      return {
        id: m.id,
        state: this.#state(m, now),
        reversePath: m.envelope.reversePath,
        recipientCount: m.recipients.length,
        pendingCount: pending.length,
        domains: [...new Set(pending.map((r) => r.domain))].sort(),
        enqueuedAt: m.enqueuedAt,
        expiresAt: m.expiresAt,
        size: m.size,
        held: m.held,
        nextAttemptAt: next.length > 0 ? Math.min(...next) : null,
      };
    });
  }

  async inspect(messageId: string, options?: QueueCallOptions): Promise<MessageInfo> {
    this.#check(options);
    const message = this.#get(messageId);
    const now = this.#now();
    return {
      id: message.id,
      state: this.#state(message, now),
      envelope: normalizeEnvelope(message.envelope),
      recipients: message.recipients.map((r) => describeRecipient(r, now)),
      enqueuedAt: message.enqueuedAt,
      expiresAt: message.expiresAt,
      size: message.size,
      held: message.held,
    };
  }

  async hold(messageId: string, options?: QueueCallOptions): Promise<void> {
    this.#check(options);
    const message = this.#get(messageId);
    if (message.held) return;
    message.held = true;
    this.#events.emit({ type: 'hold', at: this.#now(), messageId });
  }

  async release(messageId: string, options?: QueueCallOptions): Promise<void> {
    this.#check(options);
    const message = this.#get(messageId);
    if (!message.held) return;
    message.held = false;
    this.#events.emit({ type: 'release', at: this.#now(), messageId });
  }

  async retryNow(messageId: string, options?: QueueCallOptions): Promise<number> {
    this.#check(options);
    const message = this.#get(messageId);
    const now = this.#now();
    let count = 0;
    for (const recipient of message.recipients) {
      if (recipient.status !== 'pending') continue;
      recipient.nextAttemptAt = now;
      count++;
    }
    return count;
  }

  async delete(messageId: string, options?: QueueCallOptions): Promise<boolean> {
    this.#check(options);
    const existed = this.#messages.delete(messageId);
    if (existed) this.#events.emit({ type: 'delete', at: this.#now(), messageId });
    return existed;
  }

  async stats(options?: QueueCallOptions): Promise<QueueStats> {
    this.#check(options);
    const now = this.#now();
    const byState: Record<MessageState, number> = { held: 0, active: 0, deferred: 0, queued: 0 };
    const recipients: Record<RecipientStatus, number> = { pending: 0, delivered: 0, failed: 0, expired: 0 };
    let oldest: number | null = null;
    for (const message of this.#messages.values()) {
      byState[this.#state(message, now)]++;
      for (const r of message.recipients) recipients[r.status]++;
      if (oldest === null || message.enqueuedAt < oldest) oldest = message.enqueuedAt;
    }
    return queueStats(this.#messages.size, byState, recipients, oldest, now);
  }

  subscribe(listener: QueueListener): () => void {
    return this.#events.subscribe(listener);
  }

  async close(): Promise<void> {
    this.#closed = true;
  }
}
