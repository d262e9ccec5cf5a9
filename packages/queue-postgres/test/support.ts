/**
 * Test helpers: the connection to the local PostgreSQL (database `test`, user `postgres`) and
 * throwaway schema names, so parallel runs and tests never share tables.
 */
import pg from 'pg';

/** The test database; `PGHOST`/`PGPORT` override the loopback default like the availability gate. */
export const connectionString = `postgres://postgres@${process.env.PGHOST ?? '127.0.0.1'}:${process.env.PGPORT ?? 5432}/test`;

let counter = 0;

/** A schema name no other run or test uses. */
export function freshSchema(label: string): string {
  counter++;
  return `smtpkit_t_${label}_${process.pid}_${Date.now().toString(36)}_${counter}`;
}

/** A pool for the test's own SQL (and to pass to queues). */
export function createTestPool(max = 4): pg.Pool {
  const pool = new pg.Pool({ connectionString, max });
  pool.on('error', () => {});
  return pool;
}

/** Drops a schema and everything in it. */
export async function dropSchema(pool: pg.Pool, schema: string): Promise<void> {
  await pool.query(`DROP SCHEMA IF EXISTS "${schema}" CASCADE`);
}
