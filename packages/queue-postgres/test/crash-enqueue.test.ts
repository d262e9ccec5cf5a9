/**
 * A process SIGKILLed while streaming large messages into the queue (content staged in pieces
 * before the commit): every enqueue it acknowledged is there with its content intact, no
 * half-written message is visible, and the staged content it left behind is removed once it is
 * older than `abandonedEnqueueMs`.
 */
import { createPostgresQueue } from '@smtpkit/queue-postgres';
import { afterAll, describe, expect, it } from 'vitest';
import { postgresAvailability } from '../../../test/support/services.js';
import { patternByte } from './fixtures/pattern.js';
import { startWorker } from './fixtures/processes.js';
import { connectionString, createTestPool, dropSchema, freshSchema } from './support.js';

const postgres = await postgresAvailability();

describe.skipIf(!postgres.available)('postgres: SIGKILL while enqueueing', () => {
  const pool = createTestPool(4);
  const schema = freshSchema('crash');
  afterAll(async () => {
    await dropSchema(pool, schema);
    await pool.end();
  });

  it('acknowledged enqueues survive intact, nothing half-written is visible, abandoned staging is removed', async () => {
    const acknowledged = new Set<string>();
    for (const runMs of [800, 1400]) {
      const child = startWorker(['enqueue', connectionString, schema, 'producer', '0', '0']);
      await child.ready;
      await new Promise((resolve) => setTimeout(resolve, runMs));
      child.proc.kill('SIGKILL');
      await child.exited;
      expect(child.stderr()).toBe('');
      for (const line of child.lines) if (line.startsWith('ACK ')) acknowledged.add(line.slice(4));
    }
    expect(acknowledged.size).toBeGreaterThan(0);

    const queue = await createPostgresQueue({ pool, schema });
    const listed = await queue.list({ limit: 10_000 });
    const visible = new Set(listed.map((m) => m.id));
    // Every acknowledged message is there; anything else visible committed just before the kill.
    for (const id of acknowledged) expect(visible.has(id), id).toBe(true);
    for (const summary of listed) {
      const info = await queue.inspect(summary.id);
      const { seed, length } = info.envelope.metadata as { seed: number; length: number };
      expect(info.size).toBe(length);
      let offset = 0;
      let mismatches = 0;
      for await (const chunk of queue.readContent(summary.id)) {
        for (let i = 0; i < chunk.length; i++) if (chunk[i] !== patternByte(seed, offset + i)) mismatches++;
        offset += chunk.length;
      }
      expect({ id: summary.id, offset, mismatches }).toEqual({
        id: summary.id,
        offset: length,
        mismatches: 0,
      });
    }
    const orphans = async () =>
      (
        await pool.query(
          `SELECT count(*)::int AS n FROM "${schema}".chunks c WHERE NOT EXISTS (SELECT 1 FROM "${schema}".messages m WHERE m.id = c.message_id)`,
        )
      ).rows[0] as { n: number };
    // The killed enqueues left staged pieces; a process starting after abandonedEnqueueMs removes them.
    expect((await orphans()).n).toBeGreaterThan(0);
    await queue.close();
    const later = await createPostgresQueue({ pool, schema, now: () => Date.now() + 3_600_001 });
    expect(await orphans()).toEqual({ n: 0 });
    expect((await later.list({ limit: 10_000 })).length).toBe(listed.length);
    expect((await pool.query(`SELECT count(*)::int AS n FROM "${schema}".staging`)).rows[0]).toEqual({
      n: 0,
    });
    await later.close();
  }, 45_000);
});
