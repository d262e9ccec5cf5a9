/**
 * The SQL the driver runs, built once per schema name (which is checked and quoted first).
 * Every call is one statement where the semantics allow it: a statement is its own
 * transaction, so a batch of enqueues or a claim costs one round trip and one commit.
 */

/** State of a message at `$1` (epoch ms), as `deriveMessageState` computes it; `m` is the message. */
function stateSql(s: string, now: string): string {
  return `CASE
    WHEN m.held THEN 'held'
    WHEN EXISTS (SELECT 1 FROM ${s}.recipients r WHERE r.message_id = m.id AND r.status = 'pending' AND r.lease_until > ${now}) THEN 'active'
    WHEN EXISTS (SELECT 1 FROM ${s}.recipients r WHERE r.message_id = m.id AND r.status = 'pending' AND r.attempts > 0) THEN 'deferred'
    ELSE 'queued' END`;
}

/** Builds the statements for the (already quoted) schema `s`. */
export function statements(s: string) {
  const claim = (withDomains: boolean) => `
    WITH due AS MATERIALIZED (
      SELECT message_id, idx FROM ${s}.recipients
      WHERE status = 'pending' AND NOT held AND next_attempt_at <= $1::bigint
        AND (lease_until IS NULL OR lease_until <= $1::bigint)
        ${withDomains ? 'AND domain = ANY($7::text[])' : ''}
      ORDER BY next_attempt_at, enqueued_at, message_id, idx
      LIMIT $2::integer
      -- Rows another claim has locked are skipped, not waited for: concurrent claimers never
      -- block each other and never get the same recipient.
      FOR UPDATE SKIP LOCKED
    ), leased AS (
      UPDATE ${s}.recipients r
      -- One token per (claim, message, domain) group, derived from the claim's random token.
      SET lease_token = md5($3::text || r.message_id::text || '/' || r.domain)::uuid,
          lease_worker = $4::text, lease_until = $5::bigint
      FROM due WHERE r.message_id = due.message_id AND r.idx = due.idx
      RETURNING r.message_id, r.idx, r.domain, r.attempts, r.lease_token, r.next_attempt_at
    )
    SELECT m.id, m.envelope, m.enqueued_at, m.expires_at, m.size, min(l.next_attempt_at) AS first_due,
      json_agg(json_build_array(l.idx, l.domain, l.attempts, l.lease_token) ORDER BY l.idx) AS leased,
      -- Small content comes along, saving the worker a round trip per message.
      CASE WHEN m.size <= $6::bigint AND m.chunk_count <= 1 THEN coalesce(
        (SELECT c.data FROM ${s}.chunks c WHERE c.message_id = m.id AND c.seq = 0), '\\x'::bytea
      ) END AS content
    FROM leased l JOIN ${s}.messages m ON m.id = l.message_id
    GROUP BY m.id
    ORDER BY first_due, m.enqueued_at, m.id`;

  return {
    /** A batch of small enqueues; content rows bound as an ARRAY of binary parameters. */
    enqueue: (chunkParams: readonly string[]) => `
      WITH m AS (
        INSERT INTO ${s}.messages (id, envelope, sender_lc, size, chunk_count, enqueued_at, expires_at)
        SELECT * FROM unnest($1::uuid[], $2::text[], $3::text[], $4::bigint[], $5::integer[], $6::bigint[], $7::bigint[])
      ), r AS (
        INSERT INTO ${s}.recipients (message_id, idx, address, domain, status, next_attempt_at, enqueued_at)
        SELECT message_id, idx, address, domain, 'pending', next_at, enqueued_at
        FROM unnest($8::uuid[], $9::integer[], $10::text[], $11::text[], $12::bigint[], $13::bigint[])
          AS t(message_id, idx, address, domain, next_at, enqueued_at)
      )
      INSERT INTO ${s}.chunks (message_id, seq, data)
      SELECT * FROM unnest($14::uuid[], $15::integer[], ARRAY[${chunkParams.join(', ')}]::bytea[])`,
    /**
     * Staged content of a large enqueue. The first write creates the staging entry; later ones
     * touch it and write nothing if it is gone (a cleanup took the enqueue for abandoned: its
     * earlier chunks are deleted, so it must fail, not go on).
     */
    stage: (first: boolean, chunkParams: readonly string[]) => `
      WITH t AS (
        ${
          first
            ? `INSERT INTO ${s}.staging (message_id, touched_at) VALUES ($1::uuid, $2::bigint) RETURNING 1`
            : `UPDATE ${s}.staging SET touched_at = $2::bigint WHERE message_id = $1::uuid RETURNING 1`
        }
      )
      INSERT INTO ${s}.chunks (message_id, seq, data)
      SELECT $1::uuid, $3::integer + n::integer - 1, d
      FROM unnest(ARRAY[${chunkParams.join(', ')}]::bytea[]) WITH ORDINALITY AS u(d, n)
      WHERE EXISTS (SELECT 1 FROM t)`,
    endStaging: `DELETE FROM ${s}.staging WHERE message_id = $1`,
    abandonStaging: `
      WITH t AS (DELETE FROM ${s}.staging WHERE message_id = $1)
      DELETE FROM ${s}.chunks WHERE message_id = $1`,
    /** Removes staged content untouched since `$1`: its enqueue died or gave up. */
    removeAbandoned: `
      WITH gone AS (DELETE FROM ${s}.staging WHERE touched_at < $1 RETURNING message_id)
      DELETE FROM ${s}.chunks WHERE message_id IN (SELECT message_id FROM gone)`,
    claim: claim(false),
    claimInDomains: claim(true),
    extend: `
      WITH locked AS MATERIALIZED (
        SELECT message_id, idx FROM ${s}.recipients
        WHERE message_id = $1::uuid AND lease_token = $2::uuid AND status = 'pending'
        ORDER BY idx FOR UPDATE
      )
      UPDATE ${s}.recipients r SET lease_until = $3::bigint
      FROM locked WHERE r.message_id = locked.message_id AND r.idx = locked.idx`,
    /**
     * Locks the messages an outcome batch touches, in id order. Outcomes change a recipient's
     * status only under its message's lock, so "was that the last pending recipient" is decided
     * by one transaction at a time per message.
     */
    lockMessages: `SELECT id, expires_at FROM ${s}.messages WHERE id = ANY($1::uuid[]) ORDER BY id FOR UPDATE`,
    /** The recipients an outcome batch names (locked) and each message's pending count. */
    outcomeRows: `
      WITH k AS (SELECT DISTINCT * FROM unnest($1::uuid[], $2::integer[]) AS k(message_id, idx)),
      locked AS MATERIALIZED (
        SELECT r.message_id, r.idx, r.status, r.attempts, r.lease_token, r.address
        FROM ${s}.recipients r JOIN k ON r.message_id = k.message_id AND r.idx = k.idx
        ORDER BY r.message_id, r.idx FOR UPDATE OF r
      ), pending AS (
        SELECT message_id, count(*) AS n FROM ${s}.recipients
        WHERE message_id IN (SELECT message_id FROM k) AND status = 'pending'
        GROUP BY message_id
      )
      SELECT locked.*, coalesce(pending.n, 0) AS pending
      FROM locked LEFT JOIN pending ON pending.message_id = locked.message_id`,
    /** Applies outcome updates and removes the messages that are done. */
    applyOutcomes: `
      WITH u AS (
        UPDATE ${s}.recipients r SET status = v.status, attempts = v.attempts, next_attempt_at = v.next_at,
          last_attempt_at = v.last_at, last_reason = v.reason, last_reply = v.reply,
          lease_token = NULL, lease_worker = NULL, lease_until = NULL
        FROM unnest($1::uuid[], $2::integer[], $3::text[], $4::integer[], $5::bigint[], $6::bigint[], $7::text[], $8::text[])
          AS v(message_id, idx, status, attempts, next_at, last_at, reason, reply)
        WHERE r.message_id = v.message_id AND r.idx = v.idx
      ), dm AS (
        DELETE FROM ${s}.messages WHERE id = ANY($9::uuid[])
      ), dr AS (
        DELETE FROM ${s}.recipients WHERE message_id = ANY($9::uuid[])
      )
      DELETE FROM ${s}.chunks WHERE message_id = ANY($9::uuid[])`,
    /** The first chunk with the message head, so a small message is read in one round trip. */
    contentHead: `
      SELECT m.chunk_count, c.data FROM ${s}.messages m
      LEFT JOIN ${s}.chunks c ON c.message_id = m.id AND c.seq = 0
      WHERE m.id = $1`,
    chunk: `SELECT data FROM ${s}.chunks WHERE message_id = $1 AND seq = $2`,
    list: (where: readonly string[]) => `
      SELECT x.*, p.pending, p.next_at, p.domains, t.total FROM (
        SELECT m.id, m.envelope, m.size, m.enqueued_at, m.expires_at, m.held, m.sender_lc,
          ${stateSql(s, '$1')} AS state
        FROM ${s}.messages m
      ) x
      CROSS JOIN LATERAL (
        SELECT count(*) AS pending, min(next_attempt_at) AS next_at,
          coalesce(array_agg(DISTINCT domain ORDER BY domain), '{}') AS domains
        FROM ${s}.recipients WHERE message_id = x.id AND status = 'pending'
      ) p
      CROSS JOIN LATERAL (SELECT count(*) AS total FROM ${s}.recipients WHERE message_id = x.id) t
      ${where.length > 0 ? `WHERE ${where.join(' AND ')}` : ''}
      ORDER BY x.enqueued_at, x.id LIMIT $2 OFFSET $3`,
    message: `SELECT * FROM ${s}.messages WHERE id = $1`,
    recipients: `SELECT * FROM ${s}.recipients WHERE message_id = $1 ORDER BY idx`,
    // Operator calls lock the message row, then its recipients in index order, like `record`
    // (and like `extendLease`, which locks recipients in index order): no two lock orders cross.
    setHeld: `
      WITH m AS (UPDATE ${s}.messages SET held = $2 WHERE id = $1 AND held <> $2 RETURNING id),
      l AS MATERIALIZED (
        SELECT message_id, idx FROM ${s}.recipients WHERE message_id IN (SELECT id FROM m) ORDER BY idx FOR UPDATE
      ),
      r AS (UPDATE ${s}.recipients x SET held = $2 FROM l WHERE x.message_id = l.message_id AND x.idx = l.idx)
      SELECT (SELECT count(*) FROM m) AS changed, EXISTS (SELECT 1 FROM ${s}.messages WHERE id = $1) AS found`,
    retryNow: `
      WITH m AS MATERIALIZED (SELECT id FROM ${s}.messages WHERE id = $1 FOR UPDATE),
      l AS MATERIALIZED (
        SELECT message_id, idx FROM ${s}.recipients
        WHERE message_id IN (SELECT id FROM m) AND status = 'pending' ORDER BY idx FOR UPDATE
      ),
      r AS (
        UPDATE ${s}.recipients x SET next_attempt_at = $2 FROM l
        WHERE x.message_id = l.message_id AND x.idx = l.idx RETURNING 1
      )
      SELECT (SELECT count(*) FROM m) AS found, (SELECT count(*) FROM r) AS changed`,
    delete: `
      WITH m AS (DELETE FROM ${s}.messages WHERE id = $1 RETURNING id),
      l AS MATERIALIZED (
        SELECT message_id, idx FROM ${s}.recipients WHERE message_id IN (SELECT id FROM m) ORDER BY idx FOR UPDATE
      ),
      r AS (DELETE FROM ${s}.recipients x USING l WHERE x.message_id = l.message_id AND x.idx = l.idx),
      c AS (DELETE FROM ${s}.chunks WHERE message_id IN (SELECT id FROM m))
      SELECT count(*) AS n FROM m`,
    /** Everything `stats` reports, from one snapshot. */
    stats: `
      SELECT
        (SELECT count(*) FROM ${s}.messages) AS messages,
        (SELECT min(enqueued_at) FROM ${s}.messages) AS oldest,
        (SELECT coalesce(json_object_agg(state, n), '{}') FROM (
          SELECT state, count(*) AS n FROM (SELECT ${stateSql(s, '$1')} AS state FROM ${s}.messages m) t GROUP BY state
        ) g) AS by_state,
        (SELECT coalesce(json_object_agg(status, n), '{}') FROM (
          SELECT status, count(*) AS n FROM ${s}.recipients GROUP BY status
        ) g) AS by_status`,
  };
}

/** The statement set of one schema. */
export type Statements = ReturnType<typeof statements>;
