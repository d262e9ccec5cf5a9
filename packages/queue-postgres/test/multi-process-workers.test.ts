/**
 * Many processes, one queue: 4 worker processes claim 5,000 recipients concurrently through their
 * own pools. Each recipient is handed to exactly one live worker and delivered exactly once; none
 * is lost. A fifth process claims a batch under a short lease and is SIGKILLed holding it: its
 * recipients are claimed again by the live workers only after that lease has run out.
 */
import { createPostgresQueue } from '@smtpkit/queue-postgres';
import { afterAll, describe, expect, it } from 'vitest';
import { postgresAvailability } from '../../../test/support/services.js';
import { startWorker } from './fixtures/processes.js';
import { connectionString, createTestPool, dropSchema, freshSchema } from './support.js';

const postgres = await postgresAvailability();
interface Claim {
  readonly worker: string;
  readonly leaseExpiresAt: number;
  readonly returnedAt: number;
  readonly keys: readonly string[];
}

function claims(lines: readonly string[]): Claim[] {
  return lines
    .filter((line) => line.startsWith('CLAIM '))
    .map((line) => {
      const [, worker, leaseExpiresAt, returnedAt, ...keys] = line.split(' ');
      return {
        worker: worker ?? '',
        leaseExpiresAt: Number(leaseExpiresAt),
        returnedAt: Number(returnedAt),
        keys,
      };
    });
}

describe.skipIf(!postgres.available)('postgres: many worker processes', () => {
  const pool = createTestPool(4);
  const schema = freshSchema('procs');
  afterAll(async () => {
    await dropSchema(pool, schema);
    await pool.end();
  });

  it('4 processes deliver 5,000 recipients, each by exactly one live worker; a SIGKILLed worker’s lease is taken over after it expires', async () => {
    const queue = await createPostgresQueue({ pool, schema });
    const content = new Uint8Array(4096).fill(0x61);
    // 1,250 messages × 4 recipients at 2 domains: claims hand out groups of several recipients.
    const ids = await Promise.all(
      Array.from({ length: 1250 }, (_, m) =>
        queue.enqueue({
          envelope: {
            reversePath: 'sender@example.org',
            recipients: [0, 1, 2, 3].map((r) => ({ address: `r${r}-${m}@d${r % 2}.example` })),
          },
          content,
        }),
      ),
    );
    const all = new Set(ids.flatMap((id) => [0, 1, 2, 3].map((r) => `${id}#${r}`)));
    expect(all.size).toBe(5000);

    // The victim claims first, under a 3 s lease, and is killed holding it.
    const victimLeaseMs = 3000;
    const victim = startWorker(['hold', connectionString, schema, 'victim', '200', String(victimLeaseMs)]);
    await victim.printed('HOLDING');
    victim.proc.kill('SIGKILL');
    await victim.exited;
    const victimClaims = claims(victim.lines);
    const victimKeys = new Set(victimClaims.flatMap((c) => c.keys));
    expect(victimKeys.size).toBe(200);
    const victimLeaseEnds = Math.min(...victimClaims.map((c) => c.leaseExpiresAt));

    const workers = [1, 2, 3, 4].map((n) =>
      startWorker(['work', connectionString, schema, `w${n}`, '50', '120000']),
    );
    const codes = await Promise.all(workers.map((w) => w.exited));
    for (const worker of workers) expect(worker.stderr()).toBe('');
    expect(codes).toEqual([0, 0, 0, 0]);

    const lines = workers.flatMap((w) => w.lines);
    // No recipient was handed to two live workers (their leases never ran out) ...
    const liveClaims = claims(lines);
    const claimedBy = new Map<string, string>();
    for (const claim of liveClaims) {
      for (const key of claim.keys) {
        expect(claimedBy.get(key), `${key} claimed twice`).toBeUndefined();
        claimedBy.set(key, claim.worker);
      }
    }
    // ... every recipient was claimed by one (none lost) ...
    expect(new Set(claimedBy.keys())).toEqual(all);
    // ... the killed worker's recipients only after its lease ran out ...
    const takenOver = liveClaims.filter((c) => c.keys.some((k) => victimKeys.has(k)));
    expect(takenOver.flatMap((c) => c.keys.filter((k) => victimKeys.has(k))).length).toBe(200);
    for (const claim of takenOver) expect(claim.returnedAt).toBeGreaterThanOrEqual(victimLeaseEnds);
    // ... and delivered exactly once, by the worker that held it.
    const applied = lines
      .filter((l) => l.startsWith('REC ') && l.endsWith(' applied'))
      .map((l) => l.split(' ')[1]);
    expect(applied.length).toBe(5000);
    expect(new Set(applied)).toEqual(all);
    // Every live worker took part.
    expect(new Set(liveClaims.map((c) => c.worker))).toEqual(new Set(['w1', 'w2', 'w3', 'w4']));

    const stats = await queue.stats();
    expect(stats.messages).toBe(0);
    expect((await pool.query(`SELECT count(*)::int AS n FROM "${schema}".chunks`)).rows[0]).toEqual({ n: 0 });
    await queue.close();
  }, 60_000);
});
