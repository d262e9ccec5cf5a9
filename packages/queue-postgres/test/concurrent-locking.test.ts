/**
 * Row-lock ordering: outcomes, lease extensions and operator calls (hold, release, retryNow,
 * delete) running at once on the same messages through two handles never deadlock (PostgreSQL
 * would abort one with "deadlock detected", surfacing as a QueueStorageError), and messages
 * whose recipients all became final leave the queue exactly once.
 */
import type { Queue } from '@smtpkit/queue';
import { createPostgresQueue } from '@smtpkit/queue-postgres';
import { afterAll, describe, expect, it } from 'vitest';
import { postgresAvailability } from '../../../test/support/services.js';
import { createTestPool, dropSchema, freshSchema } from './support.js';

const postgres = await postgresAvailability();

describe.skipIf(!postgres.available)('postgres: concurrent outcomes and operator calls', () => {
  const poolA = createTestPool(6);
  const poolB = createTestPool(6);
  const schema = freshSchema('locks');
  afterAll(async () => {
    await dropSchema(poolA, schema);
    await Promise.all([poolA.end(), poolB.end()]);
  });

  it('no deadlock and no lost completion across 40 messages × 6 recipients, 3 rounds', async () => {
    const a = await createPostgresQueue({ pool: poolA, schema });
    const b = await createPostgresQueue({ pool: poolB, schema });
    const handles: Queue[] = [a, b];
    const done = new Set<string>();
    const doneTwice: string[] = [];
    for (const queue of handles) {
      queue.subscribe((event) => {
        if (event.type !== 'done') return;
        if (done.has(event.messageId)) doneTwice.push(event.messageId);
        done.add(event.messageId);
      });
    }
    const ids = await Promise.all(
      Array.from({ length: 40 }, () =>
        a.enqueue({
          envelope: {
            reversePath: 's@example.org',
            recipients: Array.from({ length: 6 }, (_, r) => ({ address: `r${r}@d${r % 3}.example` })),
          },
          content: new Uint8Array(100),
        }),
      ),
    );
    const deleted = new Set<string>();
    for (let round = 0; round < 3; round++) {
      const groups = (
        await Promise.all(handles.map((q, i) => q.claim({ limit: 200, leaseMs: 60_000, workerId: `w${i}` })))
      ).flat();
      const work: Promise<unknown>[] = [];
      groups.forEach((group, g) => {
        const queue = handles[g % 2] ?? a;
        work.push(queue.extendLease({ leaseToken: group.leaseToken, leaseMs: 120_000 }));
        // Deliver, fail or defer by position: some messages finish this round, some never do.
        const records = group.recipients.map((r) => ({
          messageId: group.messageId,
          index: r.index,
          leaseToken: group.leaseToken,
          outcome:
            (r.index + round) % 3 === 0
              ? ({ kind: 'deferred', reason: 'busy', nextAttemptAt: 0 } as const)
              : ({ kind: 'delivered' } as const),
        }));
        work.push(queue.record(records.reverse()));
      });
      for (const [m, id] of ids.entries()) {
        const queue = handles[m % 2] ?? a;
        if (m % 4 === round) work.push(queue.hold(id).catch(() => {}));
        if (m % 4 === round + 1) work.push(queue.release(id).catch(() => {}));
        if (m % 5 === round) work.push(queue.retryNow(id).catch(() => {}));
        if (m % 13 === round) {
          work.push(queue.delete(id).then((existed) => existed && deleted.add(id)));
        }
      }
      const results = await Promise.allSettled(work);
      expect(results.filter((r) => r.status === 'rejected')).toEqual([]);
      for (const id of ids) await a.release(id).catch(() => {});
    }
    expect(doneTwice).toEqual([]);
    expect(done.size).toBeGreaterThan(0);
    const left = new Set((await a.list({ limit: 1000 })).map((m) => m.id));
    for (const id of ids) {
      // Every message is in exactly one place: still queued, finished once, or deleted.
      expect([left.has(id), done.has(id), deleted.has(id)].filter(Boolean).length).toBe(1);
    }
    await Promise.all([a.close(), b.close()]);
  }, 30_000);
});
