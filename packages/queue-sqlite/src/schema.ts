/**
 * The database schema, versioned with `PRAGMA user_version`. Migrations run in one
 * transaction on open and are idempotent: opening a current database changes nothing.
 */

import { QueueStorageError } from '@smtpkit/queue';
import type Database from 'better-sqlite3';

/** The schema version this code writes. */
export const schemaVersion = 1;

const migrations: readonly string[] = [
  // Version 1.
  `
  CREATE TABLE messages (
    id TEXT PRIMARY KEY,
    envelope TEXT NOT NULL,            -- versioned JSON record (encodeEnvelope), never lines
    sender_lc TEXT NOT NULL,
    size INTEGER NOT NULL,
    chunk_count INTEGER NOT NULL,
    enqueued_at INTEGER NOT NULL,
    expires_at INTEGER NOT NULL,
    held INTEGER NOT NULL DEFAULT 0
  );
  CREATE INDEX messages_enqueued ON messages (enqueued_at, id);
  CREATE TABLE recipients (
    message_id TEXT NOT NULL,
    idx INTEGER NOT NULL,
    address TEXT NOT NULL,
    domain TEXT NOT NULL,
    status TEXT NOT NULL CHECK (status IN ('pending', 'delivered', 'failed', 'expired')),
    attempts INTEGER NOT NULL DEFAULT 0,
    next_attempt_at INTEGER,
    lease_token TEXT,
    lease_worker TEXT,
    lease_until INTEGER,
    last_attempt_at INTEGER,
    last_reason TEXT,
    last_reply TEXT,                   -- JSON
    PRIMARY KEY (message_id, idx)
  ) WITHOUT ROWID;
  CREATE INDEX recipients_due ON recipients (next_attempt_at) WHERE status = 'pending';
  CREATE INDEX recipients_lease ON recipients (lease_token) WHERE lease_token IS NOT NULL;
  CREATE INDEX recipients_domain ON recipients (domain, message_id) WHERE status = 'pending';
  -- Content is written here before the message row that makes it visible. Large content is
  -- staged in earlier transactions; its enqueue is listed in staging (touched at every write)
  -- until the commit that inserts the message row. Staging untouched for long is abandoned.
  CREATE TABLE staging (
    message_id TEXT PRIMARY KEY,
    touched_at INTEGER NOT NULL
  ) WITHOUT ROWID;
  CREATE TABLE chunks (
    message_id TEXT NOT NULL,
    seq INTEGER NOT NULL,
    data BLOB NOT NULL,
    PRIMARY KEY (message_id, seq)
  ); -- a rowid table: blobs are appended in rowid order instead of splitting a keyed B-tree
  `,
];

/** Brings the database to `schemaVersion`; refuses a database written by newer code. */
export function migrate(db: Database.Database): void {
  db.transaction(() => {
    const current = db.pragma('user_version', { simple: true }) as number;
    if (current > schemaVersion) {
      throw new QueueStorageError(`database schema ${current} is newer than this driver (${schemaVersion})`);
    }
    for (let version = current; version < schemaVersion; version++) db.exec(migrations[version]!);
    if (current !== schemaVersion) db.pragma(`user_version = ${schemaVersion}`);
  }).immediate();
}

/**
 * Removes content left by enqueues that never committed (a crash or an abort mid-stream): staged
 * content untouched since `before` (another process may still be streaming newer staging), and
 * chunks that belong to neither a message nor a staging entry. Returns the enqueues removed.
 */
export function removeAbandonedContent(db: Database.Database, before: number): number {
  return db
    .transaction(() => {
      const abandoned = db.prepare('DELETE FROM staging WHERE touched_at < ?').run(before).changes;
      db.prepare(
        'DELETE FROM chunks WHERE message_id NOT IN (SELECT id FROM messages) AND message_id NOT IN (SELECT message_id FROM staging)',
      ).run();
      return abandoned;
    })
    .immediate();
}
