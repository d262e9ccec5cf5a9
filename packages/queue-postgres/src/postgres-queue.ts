/**
 * The PostgreSQL driver: many workers in many processes on many machines share one queue.
 * Claims are one statement (`FOR UPDATE SKIP LOCKED` in a CTE), so claimers never wait for one
 * another and never get the same recipient; leases are timestamps compared with the caller's
 * clock; outcomes change a recipient only under its message's row lock; concurrent enqueues
 * are written by one statement per batch (group commit). With `synchronous_commit` on (the
 * server default), a committed statement is flushed to the WAL, so `enqueue` resolves only once
 * the message is durable.
 */
import {
  type ClaimedGroup,
  type ClaimedRecipient,
  type ClaimRequest,
  chunkContent,
  DEFAULT_MAX_QUEUE_LIFETIME_MS,
  decideOutcome,
  decodeEnvelope,
  decodeReply,
  deriveMessageState,
  describeRecipient,
  type EnqueueInput,
  type ExtendLeaseRequest,
  encodeEnvelope,
  encodeReply,
  enqueueEvent,
  isQueueError,
  type ListFilter,
  type MessageInfo,
  type MessageState,
  type MessageSummary,
  normalizeEnvelope,
  type OutcomeRecord,
  type Queue,
  type QueueCallOptions,
  QueueClosedError,
  type QueueDriverOptions,
  type QueueEvent,
  QueueEventHub,
  type QueueListener,
  QueueNotFoundError,
  type QueueStats,
  QueueStorageError,
  queueStats,
  type RecipientStatus,
  type RecordResult,
  randomId,
  resolveContentStorageOptions,
  throwIfAborted,
  validateClaimRequest,
  validateEnqueueInput,
  validateExtendLeaseRequest,
  validateListFilter,
  validateOutcomeRecords,
} from '@smtpkit/queue';
import pg from 'pg';
import { Batcher } from './batcher.js';
import { ClaimedContent } from './claimed-content.js';
import { type EnqueueRow, enqueueQuery } from './enqueue-query.js';
import { leaseGroup, parseLeaseToken, toNumber, toNumberOrNull, uuidPattern } from './lease-token.js';
import type { MessageRow, RecipientRow } from './rows.js';
import { migrate, quoteSchemaName } from './schema.js';
import { type Statements, statements } from './statements.js';

/** Options for `createPostgresQueue`: a pool, or a connection string to create one from. */
export interface PostgresQueueOptions extends QueueDriverOptions {
  /**
   * A `pg` pool to use. The queue never ends it: `close()` leaves it to its owner. Give it at
   * least 2 connections (a batch of enqueues and a claim run side by side).
   */
  readonly pool?: pg.Pool;
  /** A connection string (`postgres://user@host:5432/db`) to create a pool from; `close()` ends it. */
  readonly connectionString?: string;
  /** Size of the pool created from `connectionString`. Default 10. */
  readonly maxConnections?: number;
  /** The PostgreSQL schema (namespace) holding the tables, created if missing. Default `smtpkit_queue`. */
  readonly schema?: string;
  /** Content is stored in rows of this many octets. Default 256 KiB. */
  readonly chunkSize?: number;
  /**
   * Content up to this size is held until the enqueue's commit (batched with other enqueues);
   * larger content is streamed to the database in pieces of about this size before it.
   * Default 1 MiB.
   */
  readonly inlineContentBytes?: number;
  /**
   * Staged content of a large enqueue that wrote nothing for this long is taken to be abandoned
   * (its process died) and removed, at start and now and then during `claim`. Default 1 hour,
   * far above SMTP's DATA timeouts (RFC 5321 §4.5.3.2: 3 and 10 minutes), so an enqueue another
   * process is still streaming is never removed.
   */
  readonly abandonedEnqueueMs?: number;
  /**
   * A claim fetches the content of claimed messages up to this size along with them, and the
   * first `readContent` of such a message under its lease is served from that copy (content
   * never changes once committed). 0 turns it off. Default 64 KiB.
   */
  readonly prefetchContentBytes?: number;
}

/**
 * Opens a queue on PostgreSQL, creating or migrating its schema first (idempotent; many
 * processes may start at once).
 *
 * @example
 * ```ts
 * const queue = await createPostgresQueue({ connectionString: 'postgres://postgres@127.0.0.1/mail' });
 * const id = await queue.enqueue({ envelope, content: socketBodyStream }); // committed when resolved
 * ```
 */
export async function createPostgresQueue(options: PostgresQueueOptions): Promise<Queue> {
  if (typeof options !== 'object' || options === null) throw new TypeError('options must be an object');
  const schema = options.schema ?? 'smtpkit_queue';
  quoteSchemaName(schema);
  let pool = options.pool;
  let ownPool = false;
  if (pool === undefined) {
    if (typeof options.connectionString !== 'string') {
      throw new TypeError('pass either pool or connectionString');
    }
    pool = new pg.Pool({
      connectionString: options.connectionString,
      max: options.maxConnections ?? 10,
    });
    // An idle connection the server dropped must not crash the process; the next query reconnects.
    pool.on('error', () => {});
    ownPool = true;
  }
  const queue = new PostgresQueue(pool, ownPool, schema, options);
  try {
    await migrate(pool, schema);
    await queue.removeAbandoned();
  } catch (error) {
    await queue.close();
    throw isQueueError(error) ? error : new QueueStorageError('opening the queue failed', { cause: error });
  }
  return queue;
}

class PostgresQueue implements Queue {
  readonly #pool: pg.Pool;
  readonly #ownPool: boolean;
  readonly #sql: Statements;
  readonly #now: () => number;
  readonly #lifetimeMs: number;
  readonly #chunkSize: number;
  readonly #inlineBytes: number;
  readonly #abandonedMs: number;
  readonly #batcher: Batcher<EnqueueRow>;
  readonly #prefetchBytes: number;
  // 16 MiB: a few claims' worth of small messages.
  readonly #claimed = new ClaimedContent(16 * 1024 * 1024);
  readonly #events = new QueueEventHub();
  #lastCleanup: number;
  #closed = false;

  constructor(pool: pg.Pool, ownPool: boolean, schema: string, options: PostgresQueueOptions) {
    this.#pool = pool;
    this.#ownPool = ownPool;
    this.#sql = statements(quoteSchemaName(schema));
    this.#now = options.now ?? Date.now;
    this.#lifetimeMs = options.maxQueueLifetimeMs ?? DEFAULT_MAX_QUEUE_LIFETIME_MS;
    const storage = resolveContentStorageOptions(options);
    this.#chunkSize = storage.chunkSize;
    this.#inlineBytes = storage.inlineContentBytes;
    this.#abandonedMs = storage.abandonedEnqueueMs;
    if (!(this.#lifetimeMs > 0)) throw new RangeError('maxQueueLifetimeMs must be > 0');
    this.#prefetchBytes = options.prefetchContentBytes ?? 64 * 1024;
    if (!(this.#prefetchBytes >= 0)) throw new RangeError('prefetchContentBytes must be ≥ 0');
    this.#lastCleanup = this.#now();
    this.#batcher = new Batcher<EnqueueRow>({
      write: (rows) => this.#insert(rows),
      maxItems: 500,
      maxBytes: 8 * 1024 * 1024,
      sizeOf: (row) => row.size + 512,
      concurrency: 2,
    });
  }

  #check(options?: QueueCallOptions): void {
    throwIfAborted(options?.signal);
    if (this.#closed) throw new QueueClosedError();
  }

  /** Runs database work; driver failures become `QueueStorageError`, everything else passes. */
  async #run<T>(what: string, work: () => Promise<T>): Promise<T> {
    try {
      return await work();
    } catch (error) {
      if (isQueueError(error) || error instanceof TypeError || error instanceof RangeError) throw error;
      if (this.#closed) throw new QueueClosedError();
      throw new QueueStorageError(`${what} failed`, { cause: error });
    }
  }

  /** Runs `work` in a transaction on one pooled connection. */
  async #transaction<T>(work: (client: pg.PoolClient) => Promise<T>): Promise<T> {
    const client = await this.#pool.connect();
    let broken: Error | undefined;
    try {
      await client.query('BEGIN');
      const result = await work(client);
      await client.query('COMMIT');
      return result;
    } catch (error) {
      try {
        await client.query('ROLLBACK');
      } catch (rollback) {
        // The connection is unusable: the pool must discard it, not hand it out again.
        broken = rollback instanceof Error ? rollback : new Error('rollback failed');
      }
      throw error;
    } finally {
      client.release(broken);
    }
  }

  /** Removes staged content whose enqueue stopped writing long ago (see `abandonedEnqueueMs`). */
  async removeAbandoned(): Promise<void> {
    await this.#pool.query(this.#sql.removeAbandoned, [this.#now() - this.#abandonedMs]);
  }

  /** Writes a batch of enqueues in one statement (one transaction). */
  async #insert(rows: readonly EnqueueRow[]): Promise<void> {
    await this.#pool.query(enqueueQuery(this.#sql, rows));
  }

  async #stage(id: string, firstSeq: number, chunks: readonly Uint8Array[]): Promise<void> {
    const params = chunks.map((_, i) => `$${4 + i}::bytea`);
    const result = await this.#pool.query(this.#sql.stage(firstSeq === 0, params), [
      id,
      this.#now(),
      firstSeq,
      ...chunks.map((c) => Buffer.from(c.buffer, c.byteOffset, c.byteLength)),
    ]);
    if (result.rowCount !== chunks.length) {
      throw new QueueStorageError('staged content was removed as abandoned while it was being written');
    }
  }

  async enqueue(input: EnqueueInput, options?: QueueCallOptions): Promise<string> {
    this.#check(options);
    validateEnqueueInput(input);
    const envelope = normalizeEnvelope(input.envelope);
    const record = encodeEnvelope(envelope);
    const id = randomId();
    let inline: Uint8Array[] = [];
    let inlineBytes = 0;
    let staged = 0;
    let size = 0;
    try {
      for await (const chunk of chunkContent(input.content, this.#chunkSize, options?.signal)) {
        size += chunk.length;
        inline.push(chunk);
        inlineBytes += chunk.length;
        if (inlineBytes > this.#inlineBytes) {
          // Too big to hold: write what we have (not yet visible: no message row) and go on.
          this.#check(options);
          const pieces = inline;
          await this.#run('staging content', () => this.#stage(id, staged, pieces));
          staged += pieces.length;
          inline = [];
          inlineBytes = 0;
        }
      }
      this.#check(options);
      const now = this.#now();
      const row: EnqueueRow = {
        id,
        record,
        senderLc: envelope.reversePath.toLowerCase(),
        size,
        chunks: inline,
        firstSeq: staged,
        enqueuedAt: now,
        expiresAt: input.expiresAt ?? now + this.#lifetimeMs,
        firstAttempt: Math.max(now, input.notBefore ?? now),
        addresses: envelope.recipients.map((r) => r.address),
      };
      if (staged === 0) {
        await this.#run('enqueue', () => this.#batcher.submit(row));
      } else {
        await this.#run('enqueue', () =>
          this.#transaction(async (client) => {
            // If the staging entry is gone, a cleanup took this enqueue for abandoned: fail
            // rather than commit half a message.
            const ended = await client.query(this.#sql.endStaging, [id]);
            if (ended.rowCount !== 1) {
              throw new QueueStorageError('staged content was removed as abandoned before the commit');
            }
            await client.query(enqueueQuery(this.#sql, [row]));
          }),
        );
      }
      this.#events.emit(enqueueEvent(id, envelope, size, now));
      return id;
    } catch (error) {
      if (staged > 0 && !this.#closed) {
        // Left for removeAbandoned if this fails too.
        await this.#pool.query(this.#sql.abandonStaging, [id]).catch(() => {});
      }
      throw error;
    }
  }

  async claim(request: ClaimRequest, options?: QueueCallOptions): Promise<ClaimedGroup[]> {
    this.#check(options);
    validateClaimRequest(request);
    const now = this.#now();
    const leaseExpiresAt = now + request.leaseMs;
    if (now - this.#lastCleanup >= this.#abandonedMs / 4) {
      this.#lastCleanup = now;
      await this.#run('removing abandoned content', () => this.removeAbandoned());
    }
    const params: unknown[] = [
      now,
      request.limit,
      randomId(),
      request.workerId,
      leaseExpiresAt,
      // -1: no message is that small, so nothing is prefetched.
      this.#prefetchBytes > 0 ? this.#prefetchBytes : -1,
    ];
    if (request.domains) params.push(request.domains.map((d) => String(d).toLowerCase()));
    const { rows } = await this.#run('claim', () =>
      this.#pool.query<{
        id: string;
        envelope: string;
        enqueued_at: string;
        expires_at: string;
        size: string;
        leased: [number, string, number, string][];
        content: Buffer | null;
      }>(request.domains ? this.#sql.claimInDomains : this.#sql.claim, params),
    );
    const groups: ClaimedGroup[] = [];
    for (const row of rows) {
      const envelope = decodeEnvelope(row.envelope);
      if (row.content !== null) this.#claimed.put(row.id, row.content, leaseExpiresAt);
      const byDomain = new Map<string, { token: string; recipients: ClaimedRecipient[] }>();
      for (const [index, domain, attempts, token] of row.leased) {
        const recipient = envelope.recipients[index];
        if (recipient === undefined)
          throw new QueueStorageError(`recipient ${index} of ${row.id} is missing`);
        let group = byDomain.get(domain);
        if (!group) {
          group = { token, recipients: [] };
          byDomain.set(domain, group);
        }
        group.recipients.push({ index, recipient, attempts });
      }
      for (const [domain, group] of byDomain) {
        groups.push({
          messageId: row.id,
          domain,
          leaseToken: `${row.id}.${group.token}`,
          leaseExpiresAt,
          envelope,
          recipients: group.recipients,
          enqueuedAt: toNumber(row.enqueued_at),
          expiresAt: toNumber(row.expires_at),
          size: toNumber(row.size),
        });
      }
    }
    return groups;
  }

  async extendLease(request: ExtendLeaseRequest, options?: QueueCallOptions): Promise<number | null> {
    this.#check(options);
    validateExtendLeaseRequest(request);
    const token = parseLeaseToken(request.leaseToken);
    if (token === null) return null;
    const expiresAt = this.#now() + request.leaseMs;
    const result = await this.#run('extendLease', () =>
      this.#pool.query(this.#sql.extend, [token.messageId, token.group, expiresAt]),
    );
    return (result.rowCount ?? 0) > 0 ? expiresAt : null;
  }

  async record(outcomes: readonly OutcomeRecord[], options?: QueueCallOptions): Promise<RecordResult[]> {
    this.#check(options);
    validateOutcomeRecords(outcomes);
    const now = this.#now();
    const known = outcomes.filter((o) => uuidPattern.test(o.messageId));
    if (known.length === 0) return outcomes.map(() => ({ status: 'not-found', messageDone: false }));
    const messageIds = [...new Set(known.map((o) => o.messageId.toLowerCase()))];
    const events: QueueEvent[] = [];
    const results = await this.#run('record', () =>
      this.#transaction(async (client) => {
        events.length = 0;
        const locked = await client.query<{ id: string; expires_at: string }>(this.#sql.lockMessages, [
          messageIds,
        ]);
        const expiresAt = new Map(locked.rows.map((r) => [r.id, toNumber(r.expires_at)]));
        const { rows } = await client.query<{
          message_id: string;
          idx: number;
          status: RecipientStatus;
          attempts: number;
          lease_token: string | null;
          address: string;
          pending: string;
        }>(this.#sql.outcomeRows, [known.map((o) => o.messageId.toLowerCase()), known.map((o) => o.index)]);
        const current = new Map(rows.map((r) => [`${r.message_id}#${r.idx}`, r]));
        const pending = new Map(rows.map((r) => [r.message_id, toNumber(r.pending)]));
        const updates = new Map<string, { messageId: string; index: number; update: RecipientUpdateRow }>();
        const done = new Set<string>();
        const results = outcomes.map((record): RecordResult => {
          const messageId = record.messageId.toLowerCase();
          const row = current.get(`${messageId}#${record.index}`);
          const expires = expiresAt.get(messageId);
          if (!row || expires === undefined || done.has(messageId)) {
            return { status: 'not-found', messageDone: false };
          }
          const decision = decideOutcome({
            messageId: record.messageId,
            index: record.index,
            address: row.address,
            current: { status: row.status, attempts: row.attempts, leaseToken: row.lease_token },
            // A token of another message matches no stored token.
            leaseToken: leaseGroup(record.leaseToken, messageId),
            outcome: record.outcome,
            expiresAt: expires,
            now,
          });
          if (decision.status !== 'applied') {
            return { status: decision.status, recipientStatus: decision.recipientStatus, messageDone: false };
          }
          const u = decision.update;
          // Later records in this batch see this one's result (a second `delivered` is a duplicate).
          row.status = u.status;
          row.attempts = u.attempts;
          row.lease_token = null;
          updates.set(`${messageId}#${record.index}`, {
            messageId,
            index: record.index,
            update: {
              status: u.status,
              attempts: u.attempts,
              nextAttemptAt: u.nextAttemptAt,
              lastAttemptAt: u.lastAttemptAt,
              lastReason: u.lastReason,
              lastReply: encodeReply(u.lastReply),
            },
          });
          events.push(decision.event);
          let left = pending.get(messageId) ?? 0;
          if (u.status !== 'pending') pending.set(messageId, --left);
          const messageDone = left === 0;
          if (messageDone) {
            done.add(messageId);
            events.push({ type: 'done', at: now, messageId: record.messageId });
          }
          return { status: 'applied', recipientStatus: decision.recipientStatus, messageDone };
        });
        const kept = [...updates.values()].filter((u) => !done.has(u.messageId));
        if (kept.length > 0 || done.size > 0) {
          await client.query(this.#sql.applyOutcomes, [
            kept.map((u) => u.messageId),
            kept.map((u) => u.index),
            kept.map((u) => u.update.status),
            kept.map((u) => u.update.attempts),
            kept.map((u) => u.update.nextAttemptAt),
            kept.map((u) => u.update.lastAttemptAt),
            kept.map((u) => u.update.lastReason),
            kept.map((u) => u.update.lastReply),
            [...done],
          ]);
        }
        return results;
      }),
    );
    for (const event of events) if (event.type === 'done') this.#claimed.delete(event.messageId);
    this.#events.emit(...events);
    return results;
  }

  async *readContent(messageId: string, options?: QueueCallOptions): AsyncIterable<Uint8Array> {
    this.#check(options);
    if (!uuidPattern.test(messageId)) throw new QueueNotFoundError(messageId);
    const claimed = this.#claimed.take(messageId, this.#now());
    if (claimed !== undefined) {
      if (claimed.length > 0) yield claimed;
      return;
    }
    const head = await this.#run('readContent', () =>
      this.#pool.query<{ chunk_count: number; data: Buffer | null }>(this.#sql.contentHead, [messageId]),
    );
    const first = head.rows[0];
    if (!first) throw new QueueNotFoundError(messageId);
    for (let seq = 0; seq < first.chunk_count; seq++) {
      this.#check(options);
      let data = seq === 0 ? first.data : null;
      if (seq > 0) {
        const result = await this.#run('readContent', () =>
          this.#pool.query<{ data: Buffer }>(this.#sql.chunk, [messageId, seq]),
        );
        data = result.rows[0]?.data ?? null;
      }
      // Content is immutable once committed: a missing chunk means the message was removed meanwhile.
      if (data === null) throw new QueueNotFoundError(messageId);
      yield new Uint8Array(data.buffer, data.byteOffset, data.byteLength);
    }
  }

  async list(filter: ListFilter = {}, options?: QueueCallOptions): Promise<MessageSummary[]> {
    this.#check(options);
    validateListFilter(filter);
    const now = this.#now();
    const where: string[] = [];
    const params: unknown[] = [now, filter.limit ?? 100, filter.offset ?? 0];
    const bind = (value: unknown) => {
      params.push(value);
      return `$${params.length}`;
    };
    if (filter.state !== undefined) where.push(`x.state = ${bind(filter.state)}::text`);
    if (filter.domain !== undefined)
      where.push(`${bind(filter.domain.toLowerCase())}::text = ANY(p.domains)`);
    if (filter.sender !== undefined) where.push(`x.sender_lc = ${bind(filter.sender.toLowerCase())}::text`);
    if (filter.minAgeMs !== undefined) where.push(`x.enqueued_at <= ${bind(now - filter.minAgeMs)}::bigint`);
    if (filter.maxAgeMs !== undefined) where.push(`x.enqueued_at >= ${bind(now - filter.maxAgeMs)}::bigint`);
    const { rows } = await this.#run('list', () =>
      this.#pool.query<
        MessageRow & {
          state: MessageState;
          pending: string;
          next_at: string | null;
          domains: string[];
          total: string;
        }
      >(this.#sql.list(where), params),
    );
    return rows.map(
      (row): MessageSummary => ({
        id: row.id,
        state: row.state,
        reversePath: decodeEnvelope(row.envelope).reversePath,
        recipientCount: toNumber(row.total),
        pendingCount: toNumber(row.pending),
        domains: row.domains,
        enqueuedAt: toNumber(row.enqueued_at),
        expiresAt: toNumber(row.expires_at),
        size: toNumber(row.size),
        held: row.held,
        nextAttemptAt: toNumberOrNull(row.next_at),
      }),
    );
  }

  async inspect(messageId: string, options?: QueueCallOptions): Promise<MessageInfo> {
    this.#check(options);
    if (!uuidPattern.test(messageId)) throw new QueueNotFoundError(messageId);
    const now = this.#now();
    // One snapshot for the message and its recipients.
    const [message, recipients] = await this.#run('inspect', () =>
      this.#transaction(async (client) => {
        await client.query('SET TRANSACTION ISOLATION LEVEL REPEATABLE READ READ ONLY');
        return [
          (await client.query<MessageRow>(this.#sql.message, [messageId])).rows[0],
          (await client.query<RecipientRow>(this.#sql.recipients, [messageId])).rows,
        ] as const;
      }),
    );
    if (!message) throw new QueueNotFoundError(messageId);
    const envelope = decodeEnvelope(message.envelope);
    const infos = recipients.map((r) => {
      const recipient = envelope.recipients[r.idx];
      if (recipient === undefined)
        throw new QueueStorageError(`recipient ${r.idx} of ${messageId} is missing`);
      return describeRecipient(
        {
          index: r.idx,
          recipient,
          domain: r.domain,
          status: r.status,
          attempts: r.attempts,
          nextAttemptAt: toNumberOrNull(r.next_attempt_at),
          leaseWorker: r.lease_worker,
          leaseUntil: toNumberOrNull(r.lease_until),
          lastAttemptAt: toNumberOrNull(r.last_attempt_at),
          lastReason: r.last_reason,
          lastReply: decodeReply(r.last_reply),
        },
        now,
      );
    });
    // An unexpired lease is exactly what `describeRecipient` reports as `lease`.
    const state = deriveMessageState(
      message.held,
      infos.map((r) => ({ status: r.status, attempts: r.attempts, leaseUntil: r.lease?.expiresAt ?? null })),
      now,
    );
    return {
      id: message.id,
      state,
      envelope,
      recipients: infos,
      enqueuedAt: toNumber(message.enqueued_at),
      expiresAt: toNumber(message.expires_at),
      size: toNumber(message.size),
      held: message.held,
    };
  }

  async #setHeld(messageId: string, held: boolean, options?: QueueCallOptions): Promise<void> {
    this.#check(options);
    if (!uuidPattern.test(messageId)) throw new QueueNotFoundError(messageId);
    const { rows } = await this.#run(held ? 'hold' : 'release', () =>
      this.#pool.query<{ changed: string; found: boolean }>(this.#sql.setHeld, [messageId, held]),
    );
    const row = rows[0];
    if (!row?.found) throw new QueueNotFoundError(messageId);
    if (toNumber(row.changed) > 0)
      this.#events.emit({ type: held ? 'hold' : 'release', at: this.#now(), messageId });
  }

  hold(messageId: string, options?: QueueCallOptions): Promise<void> {
    return this.#setHeld(messageId, true, options);
  }

  release(messageId: string, options?: QueueCallOptions): Promise<void> {
    return this.#setHeld(messageId, false, options);
  }

  async retryNow(messageId: string, options?: QueueCallOptions): Promise<number> {
    this.#check(options);
    if (!uuidPattern.test(messageId)) throw new QueueNotFoundError(messageId);
    const { rows } = await this.#run('retryNow', () =>
      this.#pool.query<{ found: string; changed: string }>(this.#sql.retryNow, [messageId, this.#now()]),
    );
    const row = rows[0];
    if (!row || toNumber(row.found) === 0) throw new QueueNotFoundError(messageId);
    return toNumber(row.changed);
  }

  async delete(messageId: string, options?: QueueCallOptions): Promise<boolean> {
    this.#check(options);
    if (!uuidPattern.test(messageId)) return false;
    const { rows } = await this.#run('delete', () =>
      this.#pool.query<{ n: string }>(this.#sql.delete, [messageId]),
    );
    this.#claimed.delete(messageId);
    const existed = toNumber(rows[0]?.n ?? 0) > 0;
    if (existed) this.#events.emit({ type: 'delete', at: this.#now(), messageId });
    return existed;
  }

  async stats(options?: QueueCallOptions): Promise<QueueStats> {
    this.#check(options);
    const now = this.#now();
    const { rows } = await this.#run('stats', () =>
      this.#pool.query<{
        messages: string;
        oldest: string | null;
        by_state: Partial<Record<MessageState, number>>;
        by_status: Partial<Record<RecipientStatus, number>>;
      }>(this.#sql.stats, [now]),
    );
    const row = rows[0];
    if (!row) throw new QueueStorageError('stats returned no row');
    return queueStats(toNumber(row.messages), row.by_state, row.by_status, toNumberOrNull(row.oldest), now);
  }

  subscribe(listener: QueueListener): () => void {
    return this.#events.subscribe(listener);
  }

  async close(): Promise<void> {
    if (this.#closed) return;
    this.#closed = true;
    this.#claimed.clear();
    await this.#batcher.drain();
    if (this.#ownPool) await this.#pool.end();
  }
}

interface RecipientUpdateRow {
  readonly status: RecipientStatus;
  readonly attempts: number;
  readonly nextAttemptAt: number | null;
  readonly lastAttemptAt: number;
  readonly lastReason: string | null;
  readonly lastReply: string | null;
}
