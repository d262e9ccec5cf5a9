/**
 * What the contract suite does not cover for PostgreSQL: the versioned schema (created on start,
 * idempotent, safe when many processes start at once, refusing a newer schema), the pool options,
 * abandoned staged content, and that `enqueue` resolves only after the commit (another
 * connection sees the message at once).
 */
import { isQueueError } from '@smtpkit/queue';
import { createPostgresQueue } from '@smtpkit/queue-postgres';
import pg from 'pg';
import { afterAll, describe, expect, it } from 'vitest';
import { postgresAvailability } from '../../../test/support/services.js';
import { connectionString, createTestPool, dropSchema, freshSchema } from './support.js';

const postgres = await postgresAvailability();
const envelope = { reversePath: 'a@example.org', recipients: [{ address: 'b@example.com' }] };

describe.skipIf(!postgres.available)('postgres: schema, pools and lifecycle', () => {
  const pool = createTestPool(4);
  const schemas: string[] = [];
  const schema = (label: string) => {
    const name = freshSchema(label);
    schemas.push(name);
    return name;
  };
  afterAll(async () => {
    for (const name of schemas) await dropSchema(pool, name);
    await pool.end();
  });

  it('creates the schema on start; 8 queues opening at once on their own connections all succeed, migrating once', async () => {
    const name = schema('race');
    const pools = Array.from({ length: 8 }, () => createTestPool(1));
    try {
      const queues = await Promise.all(pools.map((p) => createPostgresQueue({ pool: p, schema: name })));
      const { rows } = await pool.query(`SELECT version FROM "${name}".migrations ORDER BY version`);
      expect(rows).toEqual([{ version: 1 }]);
      const [first] = queues;
      const last = queues.at(-1);
      if (!first || !last) throw new Error('no queues opened');
      const id = await first.enqueue({ envelope, content: new Uint8Array(3) });
      expect((await last.inspect(id)).size).toBe(3);
      await Promise.all(queues.map((q) => q.close()));
    } finally {
      await Promise.all(pools.map((p) => p.end()));
    }
  });

  it('reopening is a no-op and keeps the data', async () => {
    const name = schema('reopen');
    const first = await createPostgresQueue({ pool, schema: name });
    const id = await first.enqueue({ envelope, content: new Uint8Array(5) });
    await first.close();
    const second = await createPostgresQueue({ pool, schema: name });
    expect((await second.inspect(id)).size).toBe(5);
    expect((await pool.query(`SELECT count(*)::int AS n FROM "${name}".migrations`)).rows).toEqual([
      { n: 1 },
    ]);
    await second.close();
  });

  it('refuses a schema written by a newer driver', async () => {
    const name = schema('newer');
    await (await createPostgresQueue({ pool, schema: name })).close();
    await pool.query(`INSERT INTO "${name}".migrations (version) VALUES (99)`);
    const error = await createPostgresQueue({ pool, schema: name }).catch((e: unknown) => e);
    expect(isQueueError(error, 'ERR_SMTP_QUEUE_STORAGE')).toBe(true);
    expect(String((error as Error).message)).toMatch(/version 99/);
  });

  it('rejects bad options as caller bugs', async () => {
    await expect(createPostgresQueue({})).rejects.toBeInstanceOf(TypeError);
    await expect(createPostgresQueue({ pool, schema: 'Robert"; DROP TABLE x; --' })).rejects.toBeInstanceOf(
      TypeError,
    );
    await expect(createPostgresQueue({ pool, schema: schema('chunk'), chunkSize: 0 })).rejects.toBeInstanceOf(
      RangeError,
    );
  });

  it('a queue opened from a connection string owns its pool and ends it on close', async () => {
    const name = schema('own');
    const queue = await createPostgresQueue({ connectionString, schema: name, maxConnections: 2 });
    const id = await queue.enqueue({ envelope, content: new Uint8Array(1) });
    await queue.close();
    await queue.close();
    const error = await queue.inspect(id).catch((e: unknown) => e);
    expect(isQueueError(error, 'ERR_SMTP_QUEUE_CLOSED')).toBe(true);
    // A pool passed in is left open.
    const shared = await createPostgresQueue({ pool, schema: name });
    await shared.close();
    expect((await pool.query('SELECT 1 AS one')).rows).toEqual([{ one: 1 }]);
  });

  it('an unreachable database is a QueueStorageError, not a crash', async () => {
    const error = await createPostgresQueue({
      connectionString: 'postgres://postgres@127.0.0.1:1/test',
      schema: 'unused',
    }).catch((e: unknown) => e);
    expect(isQueueError(error, 'ERR_SMTP_QUEUE_STORAGE')).toBe(true);
    expect((error as Error).cause).toBeInstanceOf(Error);
  });

  it('enqueue resolves after the commit: another connection sees the message at once', async () => {
    const name = schema('durable');
    const queue = await createPostgresQueue({ pool, schema: name });
    const other = new pg.Client({ connectionString });
    await other.connect();
    try {
      const ids = await Promise.all(
        Array.from({ length: 50 }, () => queue.enqueue({ envelope, content: new Uint8Array(10) })),
      );
      const { rows } = await other.query(
        `SELECT count(*)::int AS n FROM "${name}".messages WHERE id = ANY($1)`,
        [ids],
      );
      expect(rows).toEqual([{ n: 50 }]);
      const setting = await other.query('SHOW synchronous_commit');
      expect(setting.rows[0]).toEqual({ synchronous_commit: 'on' });
    } finally {
      await other.end();
      await queue.close();
    }
  });

  it('staged content of an enqueue that stopped writing is removed after abandonedEnqueueMs; that enqueue then fails', async () => {
    const name = schema('abandon');
    let time = Date.UTC(2027, 0, 1);
    const now = () => time;
    const options = { pool, schema: name, now, chunkSize: 1024, inlineContentBytes: 2048 };
    const queue = await createPostgresQueue(options);
    let resume: () => void = () => {};
    const paused = new Promise<void>((resolve) => {
      resume = resolve;
    });
    let staged: () => void = () => {};
    const stagedOnce = new Promise<void>((resolve) => {
      staged = resolve;
    });
    async function* slow() {
      yield new Uint8Array(4096);
      yield new Uint8Array(4096);
      staged();
      await paused;
      yield new Uint8Array(10);
    }
    const pending = queue.enqueue({ envelope, content: slow() }).catch((e: unknown) => e);
    await stagedOnce;
    // Give the staging write of the first pieces time to land.
    const count = async () =>
      (await pool.query(`SELECT count(*)::int AS n FROM "${name}".chunks`)).rows[0] as { n: number };
    for (let i = 0; i < 100 && (await count()).n === 0; i++) await new Promise((r) => setTimeout(r, 10));
    expect((await count()).n).toBeGreaterThan(0);
    // Another process starting an hour later takes the enqueue for dead.
    time += 3_600_001;
    const later = await createPostgresQueue(options);
    expect(await count()).toEqual({ n: 0 });
    resume();
    const error = await pending;
    expect(isQueueError(error, 'ERR_SMTP_QUEUE_STORAGE')).toBe(true);
    expect((await later.stats()).messages).toBe(0);
    expect(await count()).toEqual({ n: 0 });
    await later.close();
    await queue.close();
  });
});
