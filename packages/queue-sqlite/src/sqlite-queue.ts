/**
 * The SQLite driver. One process owns a database file (WAL mode lets operator tools read it
 * meanwhile). Writes go through group commit; with `synchronous=FULL` every commit syncs the
 * WAL, so `enqueue` resolves only once the message is on disk. Content lives in the database
 * as chunk rows written before the message row that makes them visible.
 */
import {
  type ClaimedGroup,
  type ClaimRequest,
  chunkContent,
  DEFAULT_MAX_QUEUE_LIFETIME_MS,
  decideOutcome,
  decodeEnvelope,
  decodeReply,
  deriveMessageState,
  describeRecipient,
  type EnqueueInput,
  type Envelope,
  type ExtendLeaseRequest,
  encodeEnvelope,
  encodeReply,
  enqueueEvent,
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
  recipientDomain,
  resolveContentStorageOptions,
  throwIfAborted,
  validateClaimRequest,
  validateEnqueueInput,
  validateExtendLeaseRequest,
  validateListFilter,
  validateOutcomeRecords,
} from '@smtpkit/queue';
import Database from 'better-sqlite3';
import { GroupCommit } from './group-commit.js';
import { migrate, removeAbandonedContent } from './schema.js';

/** Options for `createSqliteQueue`. */
export interface SqliteQueueOptions extends QueueDriverOptions {
  /** The database file (created if missing). `':memory:'` works for tests but is not durable. */
  readonly path: string;
  /**
   * `FULL` (default): every commit syncs the WAL; an acknowledged enqueue survives power loss.
   * `NORMAL`: commits are not synced (only checkpoints are); a crash of the process loses nothing,
   * a power loss may lose the last commits. For benchmarks and throwaway queues.
   */
  readonly synchronous?: 'FULL' | 'NORMAL';
  /** Content is stored in rows of this many octets. Default 256 KiB. */
  readonly chunkSize?: number;
  /** Content up to this size is written in the enqueue's own commit; larger content is staged first. Default 1 MiB. */
  readonly inlineContentBytes?: number;
  /** How long to wait for a lock held by another connection. Default 5000 ms. */
  readonly busyTimeoutMs?: number;
  /**
   * Staged content of an enqueue that wrote nothing for this long is taken to be abandoned (its
   * process died) and removed, on open and then now and then during `claim`. Default 1 hour, far
   * above SMTP's own DATA timeouts (RFC 5321 §4.5.3.2: 3 and 10 minutes), so another process
   * sharing the file never loses an enqueue it is still streaming.
   */
  readonly abandonedEnqueueMs?: number;
}

interface RecipientRow {
  message_id: string;
  idx: number;
  address: string;
  domain: string;
  status: RecipientStatus;
  attempts: number;
  next_attempt_at: number | null;
  lease_token: string | null;
  lease_worker: string | null;
  lease_until: number | null;
  last_attempt_at: number | null;
  last_reason: string | null;
  last_reply: string | null;
}

interface MessageRow {
  id: string;
  envelope: string;
  size: number;
  chunk_count: number;
  enqueued_at: number;
  expires_at: number;
  held: number;
}

/** SQL computing a message's `MessageState` (see `deriveMessageState`); `:now` is bound. */
const stateSql = `CASE
  WHEN m.held THEN 'held'
  WHEN EXISTS (SELECT 1 FROM recipients r WHERE r.message_id = m.id AND r.status = 'pending' AND r.lease_until > :now) THEN 'active'
  WHEN EXISTS (SELECT 1 FROM recipients r WHERE r.message_id = m.id AND r.status = 'pending' AND r.attempts > 0) THEN 'deferred'
  ELSE 'queued' END`;

/**
 * Opens (creating or migrating) a SQLite queue.
 *
 * @example
 * ```ts
 * const queue = createSqliteQueue({ path: '/var/spool/smtpkit/queue.db' });
 * const id = await queue.enqueue({ envelope, content: socketBodyStream }); // durable when resolved
 * ```
 */
export function createSqliteQueue(options: SqliteQueueOptions): Queue {
  return new SqliteQueue(options);
}

function wrap(error: unknown, what: string): unknown {
  if (error instanceof TypeError || error instanceof RangeError) return error;
  if (error instanceof Error && error.name === 'SqliteError')
    return new QueueStorageError(`${what} failed`, { cause: error });
  return error;
}

function abandoned(): QueueStorageError {
  return new QueueStorageError('staged content was removed as abandoned before the commit');
}

class SqliteQueue implements Queue {
  readonly #db: Database.Database;
  readonly #commit: GroupCommit;
  readonly #now: () => number;
  readonly #lifetimeMs: number;
  readonly #synchronous: 'FULL' | 'NORMAL';
  readonly #chunkSize: number;
  readonly #inlineBytes: number;
  readonly #abandonedMs: number;
  #lastCleanup: number;
  readonly #events = new QueueEventHub();
  readonly #sql;
  #closed = false;

  constructor(options: SqliteQueueOptions) {
    if (typeof options?.path !== 'string') throw new TypeError('path must be a string');
    this.#now = options.now ?? Date.now;
    this.#lifetimeMs = options.maxQueueLifetimeMs ?? DEFAULT_MAX_QUEUE_LIFETIME_MS;
    this.#synchronous = options.synchronous ?? 'FULL';
    if (this.#synchronous !== 'FULL' && this.#synchronous !== 'NORMAL')
      throw new TypeError("synchronous must be 'FULL' or 'NORMAL'");
    const storage = resolveContentStorageOptions(options);
    this.#chunkSize = storage.chunkSize;
    this.#inlineBytes = storage.inlineContentBytes;
    this.#abandonedMs = storage.abandonedEnqueueMs;
    let db: Database.Database | undefined;
    try {
      db = new Database(options.path, { timeout: options.busyTimeoutMs ?? 5000 });
      db.pragma('journal_mode = WAL');
      db.pragma(`synchronous = ${this.#synchronous}`);
      migrate(db);
      removeAbandonedContent(db, this.#now() - this.#abandonedMs);
    } catch (error) {
      db?.close();
      throw wrap(error, 'opening the database');
    }
    this.#db = db;
    this.#lastCleanup = this.#now();
    this.#commit = new GroupCommit(this.#db);
    this.#sql = {
      insertMessage: db.prepare(
        'INSERT INTO messages (id, envelope, sender_lc, size, chunk_count, enqueued_at, expires_at) VALUES (?, ?, ?, ?, ?, ?, ?)',
      ),
      insertRecipient: db.prepare(
        "INSERT INTO recipients (message_id, idx, address, domain, status, next_attempt_at) VALUES (?, ?, ?, ?, 'pending', ?)",
      ),
      insertChunk: db.prepare('INSERT INTO chunks (message_id, seq, data) VALUES (?, ?, ?)'),
      deleteChunks: db.prepare('DELETE FROM chunks WHERE message_id = ?'),
      startStaging: db.prepare('INSERT INTO staging (message_id, touched_at) VALUES (?, ?)'),
      touchStaging: db.prepare('UPDATE staging SET touched_at = ? WHERE message_id = ?'),
      endStaging: db.prepare('DELETE FROM staging WHERE message_id = ?'),
      deleteRecipients: db.prepare('DELETE FROM recipients WHERE message_id = ?'),
      deleteMessage: db.prepare('DELETE FROM messages WHERE id = ?'),
      due: db.prepare(
        `SELECT r.message_id, r.idx, r.domain, r.attempts FROM recipients r JOIN messages m ON m.id = r.message_id
         WHERE r.status = 'pending' AND r.next_attempt_at <= :now AND (r.lease_until IS NULL OR r.lease_until <= :now) AND m.held = 0
         ORDER BY r.next_attempt_at, r.message_id, r.idx LIMIT :limit`,
      ),
      dueInDomains: db.prepare(
        `SELECT r.message_id, r.idx, r.domain, r.attempts FROM recipients r JOIN messages m ON m.id = r.message_id
         WHERE r.status = 'pending' AND r.next_attempt_at <= :now AND (r.lease_until IS NULL OR r.lease_until <= :now) AND m.held = 0
           AND r.domain IN (SELECT value FROM json_each(:domains))
         ORDER BY r.next_attempt_at, r.message_id, r.idx LIMIT :limit`,
      ),
      lease: db.prepare(
        'UPDATE recipients SET lease_token = ?, lease_worker = ?, lease_until = ? WHERE message_id = ? AND idx = ?',
      ),
      message: db.prepare('SELECT * FROM messages WHERE id = ?'),
      messageExists: db.prepare('SELECT chunk_count FROM messages WHERE id = ?'),
      recipient: db.prepare(
        'SELECT r.status, r.attempts, r.lease_token, r.address, m.expires_at FROM recipients r JOIN messages m ON m.id = r.message_id WHERE r.message_id = ? AND r.idx = ?',
      ),
      recipients: db.prepare('SELECT * FROM recipients WHERE message_id = ? ORDER BY idx'),
      updateRecipient: db.prepare(
        `UPDATE recipients SET status = ?, attempts = ?, next_attempt_at = ?, last_attempt_at = ?, last_reason = ?, last_reply = ?,
           lease_token = NULL, lease_worker = NULL, lease_until = NULL WHERE message_id = ? AND idx = ?`,
      ),
      pendingCount: db.prepare(
        "SELECT count(*) AS n FROM recipients WHERE message_id = ? AND status = 'pending'",
      ),
      extend: db.prepare(
        "UPDATE recipients SET lease_until = ? WHERE lease_token = ? AND status = 'pending'",
      ),
      setHeld: db.prepare('UPDATE messages SET held = ? WHERE id = ? AND held <> ?'),
      retryNow: db.prepare(
        "UPDATE recipients SET next_attempt_at = ? WHERE message_id = ? AND status = 'pending'",
      ),
      chunk: db.prepare('SELECT data FROM chunks WHERE message_id = ? AND seq = ?').pluck(),
      count: db.prepare('SELECT count(*) AS n, min(enqueued_at) AS oldest FROM messages'),
      byState: db.prepare(
        `SELECT state, count(*) AS n FROM (SELECT ${stateSql} AS state FROM messages m) GROUP BY state`,
      ),
      byStatus: db.prepare('SELECT status, count(*) AS n FROM recipients GROUP BY status'),
      pendingSummary: db.prepare(
        `SELECT count(*) AS n, min(next_attempt_at) AS next, group_concat(DISTINCT domain) AS domains, (SELECT count(*) FROM recipients a WHERE a.message_id = :id) AS total
         FROM recipients WHERE message_id = :id AND status = 'pending'`,
      ),
    };
  }

  #check(options?: QueueCallOptions): void {
    throwIfAborted(options?.signal);
    if (this.#closed) throw new QueueClosedError();
  }

  /** Runs a write in the next group commit; storage errors become `QueueStorageError`. */
  async #write<T>(what: string, run: () => T): Promise<T> {
    try {
      return await this.#commit.submit(run);
    } catch (error) {
      throw wrap(error, what);
    }
  }

  /**
   * Runs a write at once in its own transaction without syncing it. For leases only: losing a
   * lease to a power failure just makes its recipients claimable again, which is what a crash
   * calls for anyway; and the next synced commit makes it durable all the same (one WAL file).
   */
  #writeUnsynced<T>(what: string, run: () => T): T {
    return this.#read(what, () => {
      const relax = this.#synchronous === 'FULL';
      if (relax) this.#db.pragma('synchronous = NORMAL');
      try {
        return this.#db.transaction(run).immediate();
      } finally {
        if (relax) this.#db.pragma('synchronous = FULL');
      }
    });
  }

  #read<T>(what: string, run: () => T): T {
    try {
      return run();
    } catch (error) {
      throw wrap(error, what);
    }
  }

  /**
   * Writes staged chunks in their own unsynced transaction. In WAL mode NORMAL skips the fsync at
   * commit but still syncs around checkpoints, so the enqueue's final FULL commit (one fsync of the
   * WAL file) makes these frames durable too; until then no message row references them.
   */
  #stage(id: string, firstSeq: number, chunks: readonly Uint8Array[]): void {
    this.#writeUnsynced('staging content', () => {
      if (firstSeq === 0) this.#sql.startStaging.run(id, this.#now());
      else if (this.#sql.touchStaging.run(this.#now(), id).changes === 0) throw abandoned();
      for (const [i, chunk] of chunks.entries()) this.#sql.insertChunk.run(id, firstSeq + i, chunk);
    });
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
        if (inlineBytes >= this.#inlineBytes) {
          this.#check(options);
          this.#stage(id, staged, inline);
          staged += inline.length;
          inline = [];
          inlineBytes = 0;
        }
      }
      this.#check(options);
      const now = this.#now();
      const firstAttempt = Math.max(now, input.notBefore ?? now);
      const expiresAt = input.expiresAt ?? now + this.#lifetimeMs;
      const last = inline;
      await this.#write('enqueue', () => {
        // If the staging entry is gone, a cleanup took this enqueue for abandoned: fail, never commit half a message.
        if (staged > 0 && this.#sql.endStaging.run(id).changes === 0) {
          throw abandoned();
        }
        for (const [i, chunk] of last.entries()) this.#sql.insertChunk.run(id, staged + i, chunk);
        this.#sql.insertMessage.run(
          id,
          record,
          envelope.reversePath.toLowerCase(),
          size,
          staged + last.length,
          now,
          expiresAt,
        );
        envelope.recipients.forEach((recipient, index) => {
          this.#sql.insertRecipient.run(
            id,
            index,
            recipient.address,
            recipientDomain(recipient.address),
            firstAttempt,
          );
        });
      });
      this.#events.emit(enqueueEvent(id, envelope, size, now));
      return id;
    } catch (error) {
      if (staged > 0 && !this.#closed) {
        try {
          this.#db.transaction(() => {
            this.#sql.endStaging.run(id);
            this.#sql.deleteChunks.run(id);
          })();
        } catch {
          // Left for removeAbandonedContent.
        }
      }
      throw error;
    }
  }

  async claim(request: ClaimRequest, options?: QueueCallOptions): Promise<ClaimedGroup[]> {
    this.#check(options);
    validateClaimRequest(request);
    const now = this.#now();
    const leaseExpiresAt = now + request.leaseMs;
    const domains = request.domains
      ? JSON.stringify(request.domains.map((d) => String(d).toLowerCase()))
      : null;
    if (now - this.#lastCleanup >= this.#abandonedMs / 4) {
      this.#lastCleanup = now;
      this.#read('removing abandoned content', () =>
        removeAbandonedContent(this.#db, now - this.#abandonedMs),
      );
    }
    const groups = this.#writeUnsynced('claim', () => {
      const rows = (
        domains === null
          ? this.#sql.due.all({ now, limit: request.limit })
          : this.#sql.dueInDomains.all({ now, limit: request.limit, domains })
      ) as { message_id: string; idx: number; domain: string; attempts: number }[];
      const byKey = new Map<
        string,
        { messageId: string; domain: string; token: string; rows: typeof rows }
      >();
      for (const row of rows) {
        const key = `${row.message_id}\u0000${row.domain}`;
        let group = byKey.get(key);
        if (!group) {
          group = { messageId: row.message_id, domain: row.domain, token: randomId(), rows: [] };
          byKey.set(key, group);
        }
        group.rows.push(row);
        this.#sql.lease.run(group.token, request.workerId, leaseExpiresAt, row.message_id, row.idx);
      }
      const messages = new Map<string, { row: MessageRow; envelope: Envelope }>();
      return [...byKey.values()].map((group): ClaimedGroup => {
        let message = messages.get(group.messageId);
        if (!message) {
          const row = this.#sql.message.get(group.messageId) as MessageRow;
          message = { row, envelope: decodeEnvelope(row.envelope) };
          messages.set(group.messageId, message);
        }
        const { row, envelope } = message;
        return {
          messageId: group.messageId,
          domain: group.domain,
          leaseToken: group.token,
          leaseExpiresAt,
          envelope,
          recipients: group.rows.map((r) => ({
            index: r.idx,
            recipient: envelope.recipients[r.idx]!,
            attempts: r.attempts,
          })),
          enqueuedAt: row.enqueued_at,
          expiresAt: row.expires_at,
          size: row.size,
        };
      });
    });
    return groups;
  }

  async extendLease(request: ExtendLeaseRequest, options?: QueueCallOptions): Promise<number | null> {
    this.#check(options);
    validateExtendLeaseRequest(request);
    const expiresAt = this.#now() + request.leaseMs;
    const changed = await this.#write(
      'extendLease',
      () => this.#sql.extend.run(expiresAt, request.leaseToken).changes,
    );
    return changed > 0 ? expiresAt : null;
  }

  async record(outcomes: readonly OutcomeRecord[], options?: QueueCallOptions): Promise<RecordResult[]> {
    this.#check(options);
    validateOutcomeRecords(outcomes);
    const now = this.#now();
    const events: QueueEvent[] = [];
    const results = await this.#write('record', () => {
      events.length = 0;
      return outcomes.map((record): RecordResult => {
        const row = this.#sql.recipient.get(record.messageId, record.index) as
          | {
              status: RecipientStatus;
              attempts: number;
              lease_token: string | null;
              address: string;
              expires_at: number;
            }
          | undefined;
        if (!row) return { status: 'not-found', messageDone: false };
        const decision = decideOutcome({
          messageId: record.messageId,
          index: record.index,
          address: row.address,
          current: { status: row.status, attempts: row.attempts, leaseToken: row.lease_token },
          leaseToken: record.leaseToken,
          outcome: record.outcome,
          expiresAt: row.expires_at,
          now,
        });
        if (decision.status !== 'applied') {
          return { status: decision.status, recipientStatus: decision.recipientStatus, messageDone: false };
        }
        const u = decision.update;
        this.#sql.updateRecipient.run(
          u.status,
          u.attempts,
          u.nextAttemptAt,
          u.lastAttemptAt,
          u.lastReason,
          encodeReply(u.lastReply),
          record.messageId,
          record.index,
        );
        events.push(decision.event);
        const done = (this.#sql.pendingCount.get(record.messageId) as { n: number }).n === 0;
        if (done) {
          this.#remove(record.messageId);
          events.push({ type: 'done', at: now, messageId: record.messageId });
        }
        return { status: 'applied', recipientStatus: decision.recipientStatus, messageDone: done };
      });
    });
    this.#events.emit(...events);
    return results;
  }

  #remove(id: string): boolean {
    this.#sql.deleteChunks.run(id);
    this.#sql.deleteRecipients.run(id);
    return this.#sql.deleteMessage.run(id).changes > 0;
  }

  async *readContent(messageId: string, options?: QueueCallOptions): AsyncIterable<Uint8Array> {
    this.#check(options);
    const head = this.#read('readContent', () => this.#sql.messageExists.get(messageId)) as
      | { chunk_count: number }
      | undefined;
    if (!head) throw new QueueNotFoundError(messageId);
    for (let seq = 0; seq < head.chunk_count; seq++) {
      this.#check(options);
      const data = this.#read('readContent', () => this.#sql.chunk.get(messageId, seq)) as Buffer | undefined;
      // Content is immutable once committed, so a missing chunk means the message was removed meanwhile.
      if (data === undefined) throw new QueueNotFoundError(messageId);
      yield new Uint8Array(data.buffer, data.byteOffset, data.byteLength);
    }
  }

  async list(filter: ListFilter = {}, options?: QueueCallOptions): Promise<MessageSummary[]> {
    this.#check(options);
    validateListFilter(filter);
    const now = this.#now();
    const where: string[] = [];
    const params: Record<string, string | number> = {
      now,
      limit: filter.limit ?? 100,
      offset: filter.offset ?? 0,
    };
    if (filter.state !== undefined) {
      where.push('state = :state');
      params.state = filter.state;
    }
    if (filter.domain !== undefined) {
      where.push(
        "EXISTS (SELECT 1 FROM recipients r WHERE r.message_id = id AND r.status = 'pending' AND r.domain = :domain)",
      );
      params.domain = filter.domain.toLowerCase();
    }
    if (filter.sender !== undefined) {
      where.push('sender_lc = :sender');
      params.sender = filter.sender.toLowerCase();
    }
    if (filter.minAgeMs !== undefined) {
      where.push('enqueued_at <= :minAgeBefore');
      params.minAgeBefore = now - filter.minAgeMs;
    }
    if (filter.maxAgeMs !== undefined) {
      where.push('enqueued_at >= :maxAgeAfter');
      params.maxAgeAfter = now - filter.maxAgeMs;
    }
    const sql = `SELECT * FROM (SELECT m.*, ${stateSql} AS state FROM messages m)
      ${where.length > 0 ? `WHERE ${where.join(' AND ')}` : ''}
      ORDER BY enqueued_at, id LIMIT :limit OFFSET :offset`;
    return this.#read('list', () => {
      const rows = this.#db.prepare(sql).all(params) as (MessageRow & { state: MessageState })[];
      return rows.map((row): MessageSummary => {
        const pending = this.#sql.pendingSummary.get({ id: row.id }) as {
          n: number;
          next: number | null;
          domains: string | null;
          total: number;
        };
        return {
          id: row.id,
          state: row.state,
          reversePath: decodeEnvelope(row.envelope).reversePath,
          recipientCount: pending.total,
          pendingCount: pending.n,
          domains: pending.domains === null ? [] : pending.domains.split(',').sort(),
          enqueuedAt: row.enqueued_at,
          expiresAt: row.expires_at,
          size: row.size,
          held: row.held !== 0,
          nextAttemptAt: pending.next,
        };
      });
    });
  }

  async inspect(messageId: string, options?: QueueCallOptions): Promise<MessageInfo> {
    this.#check(options);
    const now = this.#now();
    return this.#read('inspect', () => {
      const row = this.#sql.message.get(messageId) as MessageRow | undefined;
      if (!row) throw new QueueNotFoundError(messageId);
      const envelope = decodeEnvelope(row.envelope);
      const rows = this.#sql.recipients.all(messageId) as RecipientRow[];
      const recipients = rows.map((r) =>
        describeRecipient(
          {
            index: r.idx,
            recipient: envelope.recipients[r.idx]!,
            domain: r.domain,
            status: r.status,
            attempts: r.attempts,
            nextAttemptAt: r.next_attempt_at,
            leaseWorker: r.lease_worker,
            leaseUntil: r.lease_until,
            lastAttemptAt: r.last_attempt_at,
            lastReason: r.last_reason,
            lastReply: decodeReply(r.last_reply),
          },
          now,
        ),
      );
      const held = row.held !== 0;
      const state = deriveMessageState(
        held,
        rows.map((r) => ({ status: r.status, attempts: r.attempts, leaseUntil: r.lease_until })),
        now,
      );
      return {
        id: row.id,
        state,
        envelope,
        recipients,
        enqueuedAt: row.enqueued_at,
        expiresAt: row.expires_at,
        size: row.size,
        held,
      };
    });
  }

  async #setHeld(messageId: string, held: boolean, options?: QueueCallOptions): Promise<void> {
    this.#check(options);
    const flag = held ? 1 : 0;
    const changed = await this.#write(held ? 'hold' : 'release', () => {
      const changes = this.#sql.setHeld.run(flag, messageId, flag).changes;
      if (changes === 0 && !this.#sql.messageExists.get(messageId)) throw new QueueNotFoundError(messageId);
      return changes > 0;
    });
    if (changed) this.#events.emit({ type: held ? 'hold' : 'release', at: this.#now(), messageId });
  }

  hold(messageId: string, options?: QueueCallOptions): Promise<void> {
    return this.#setHeld(messageId, true, options);
  }

  release(messageId: string, options?: QueueCallOptions): Promise<void> {
    return this.#setHeld(messageId, false, options);
  }

  async retryNow(messageId: string, options?: QueueCallOptions): Promise<number> {
    this.#check(options);
    const now = this.#now();
    return this.#write('retryNow', () => {
      if (!this.#sql.messageExists.get(messageId)) throw new QueueNotFoundError(messageId);
      return this.#sql.retryNow.run(now, messageId).changes;
    });
  }

  async delete(messageId: string, options?: QueueCallOptions): Promise<boolean> {
    this.#check(options);
    const existed = await this.#write('delete', () => this.#remove(messageId));
    if (existed) this.#events.emit({ type: 'delete', at: this.#now(), messageId });
    return existed;
  }

  async stats(options?: QueueCallOptions): Promise<QueueStats> {
    this.#check(options);
    const now = this.#now();
    return this.#read('stats', () =>
      this.#db.transaction(() => {
        const { n, oldest } = this.#sql.count.get() as { n: number; oldest: number | null };
        const byState: Partial<Record<MessageState, number>> = {};
        for (const row of this.#sql.byState.all({ now }) as { state: MessageState; n: number }[])
          byState[row.state] = row.n;
        const recipients: Partial<Record<RecipientStatus, number>> = {};
        for (const row of this.#sql.byStatus.all() as { status: RecipientStatus; n: number }[])
          recipients[row.status] = row.n;
        return queueStats(n, byState, recipients, oldest, now);
      })(),
    );
  }

  subscribe(listener: QueueListener): () => void {
    return this.#events.subscribe(listener);
  }

  async close(): Promise<void> {
    if (this.#closed) return;
    this.#closed = true;
    await this.#commit.drain();
    this.#db.close();
  }
}
