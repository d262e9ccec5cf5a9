/**
 * The database schema and its migrations. Every table lives in one PostgreSQL schema (a
 * namespace) the caller names, so several queues, or several test runs, share a database
 * without colliding. Migrations are numbered, recorded in `<schema>.migrations`, and applied in
 * one transaction under an advisory lock: many processes starting at once serialise on the
 * lock, the first applies what is missing, the others find nothing left to do.
 */
import { QueueStorageError } from '@smtpkit/queue';
import type { Pool } from 'pg';

/** The schema version this code writes. */
export const schemaVersion = 1;

// An unquoted-identifier shape: no quoting or case-folding surprises in SQL or in operators' psql.
const schemaNamePattern = /^[a-z_][a-z0-9_]{0,62}$/;

/** Checks a schema name and returns it double-quoted for SQL; throws `TypeError`. */
export function quoteSchemaName(name: string): string {
  if (typeof name !== 'string' || !schemaNamePattern.test(name)) {
    throw new TypeError('schema must match /^[a-z_][a-z0-9_]{0,62}$/ (a lowercase SQL identifier)');
  }
  return `"${name}"`;
}

/**
 * Times are `bigint` epoch milliseconds, the same numbers the `Queue` API speaks (and the
 * injected `now` produces), so no time-zone or clock conversion happens in SQL.
 */
function migrations(s: string): readonly string[] {
  return [
    // Version 1.
    `
    CREATE TABLE ${s}.messages (
      id uuid PRIMARY KEY,
      envelope text NOT NULL,          -- versioned JSON record (encodeEnvelope), never lines; text, not jsonb: jsonb rejects \\u0000
      sender_lc text NOT NULL,
      size bigint NOT NULL,
      chunk_count integer NOT NULL,
      enqueued_at bigint NOT NULL,
      expires_at bigint NOT NULL,
      held boolean NOT NULL DEFAULT false
    );
    CREATE INDEX messages_enqueued ON ${s}.messages (enqueued_at, id);
    -- enqueued_at and held are copied from the message so a claim is one index scan of one table.
    CREATE TABLE ${s}.recipients (
      message_id uuid NOT NULL,
      idx integer NOT NULL,
      address text NOT NULL,
      domain text NOT NULL,
      status text NOT NULL CHECK (status IN ('pending', 'delivered', 'failed', 'expired')),
      attempts integer NOT NULL DEFAULT 0,
      next_attempt_at bigint,
      enqueued_at bigint NOT NULL,
      held boolean NOT NULL DEFAULT false,
      lease_token uuid,
      lease_worker text,
      lease_until bigint,
      last_attempt_at bigint,
      last_reason text,
      last_reply text,                 -- JSON
      PRIMARY KEY (message_id, idx)
    );
    CREATE INDEX recipients_due ON ${s}.recipients (next_attempt_at, enqueued_at, message_id, idx)
      WHERE status = 'pending';
    -- No index on the lease columns: a lease token names its message, so leases are found by
    -- primary key, and a claim (which changes only unindexed columns) is a HOT update that writes
    -- no index entries; fillfactor leaves the room on the page that needs.
    ALTER TABLE ${s}.recipients SET (fillfactor = 80);
    CREATE INDEX recipients_domain ON ${s}.recipients (domain, next_attempt_at) WHERE status = 'pending';
    -- Content of large messages is staged in earlier transactions; the enqueue is listed here
    -- (touched at every write) until the commit that inserts its message row.
    CREATE TABLE ${s}.staging (
      message_id uuid PRIMARY KEY,
      touched_at bigint NOT NULL
    );
    CREATE TABLE ${s}.chunks (
      message_id uuid NOT NULL,
      seq integer NOT NULL,
      data bytea NOT NULL,
      PRIMARY KEY (message_id, seq)
    );
    -- Mail is mostly already compressed or base64 of compressed data: pglz would spend CPU for nothing.
    ALTER TABLE ${s}.chunks ALTER COLUMN data SET STORAGE EXTERNAL;
    `,
  ];
}

/**
 * Brings the schema to `schemaVersion`; refuses a schema written by newer code. Idempotent and
 * safe to run from many processes at once.
 */
export async function migrate(pool: Pool, schema: string): Promise<void> {
  const s = quoteSchemaName(schema);
  const client = await pool.connect();
  try {
    await client.query('BEGIN');
    // Transaction-scoped, so a process that dies mid-migration releases it with its connection.
    // The key is per schema name: queues in other schemas migrate in parallel.
    await client.query('SELECT pg_advisory_xact_lock(hashtext($1), hashtext($2))', [
      '@smtpkit/queue-postgres',
      schema,
    ]);
    await client.query(`CREATE SCHEMA IF NOT EXISTS ${s}`);
    await client.query(
      `CREATE TABLE IF NOT EXISTS ${s}.migrations (version integer PRIMARY KEY, applied_at timestamptz NOT NULL DEFAULT now())`,
    );
    const { rows } = await client.query<{ version: number | null }>(
      `SELECT max(version) AS version FROM ${s}.migrations`,
    );
    const current = rows[0]?.version ?? 0;
    if (current > schemaVersion) {
      throw new QueueStorageError(
        `schema ${schema} is at version ${current}, newer than this driver (${schemaVersion})`,
      );
    }
    // Step i (0-based) brings the schema to version i + 1.
    for (const [i, step] of migrations(s).entries()) {
      if (i < current) continue;
      await client.query(step);
      await client.query(`INSERT INTO ${s}.migrations (version) VALUES ($1)`, [i + 1]);
    }
    await client.query('COMMIT');
  } catch (error) {
    await client.query('ROLLBACK').catch(() => {});
    throw error;
  } finally {
    client.release();
  }
}
