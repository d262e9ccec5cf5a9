import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { isQueueError } from '@smtpkit/queue';
import { createManualClock } from '@smtpkit/queue/testing';
import { createSqliteQueue } from '@smtpkit/queue-sqlite';
import Database from 'better-sqlite3';
import { afterEach, describe, expect, it } from 'vitest';

const dirs: string[] = [];
function tempPath(): string {
  const dir = mkdtempSync(join(tmpdir(), 'smtpkit-queue-persist-'));
  dirs.push(dir);
  return join(dir, 'queue.db');
}
afterEach(() => {
  for (const dir of dirs.splice(0)) rmSync(dir, { recursive: true, force: true });
});

describe('sqlite persistence', () => {
  it('state survives close and reopen: envelope, content, deferrals, holds and leases', async () => {
    const path = tempPath();
    const clock = createManualClock();
    const first = createSqliteQueue({ path, now: clock.now });
    const a = await first.enqueue({
      envelope: {
        reversePath: 's@example.org',
        recipients: [{ address: 'a@example.com' }, { address: 'b@example.net' }],
      },
      content: new TextEncoder().encode('Subject: x\r\n\r\nbody\r\n'),
    });
    const b = await first.enqueue({
      envelope: { reversePath: '', recipients: [{ address: 'c@example.com' }] },
      content: new Uint8Array(3),
    });
    await first.hold(b);
    const groups = await first.claim({ limit: 10, leaseMs: 60_000, workerId: 'w1' });
    const net = groups.find((g) => g.domain === 'example.net')!;
    await first.record([
      {
        messageId: a,
        index: 1,
        leaseToken: net.leaseToken,
        outcome: { kind: 'deferred', reason: 'busy', nextAttemptAt: clock.now() + 300_000 },
      },
    ]);
    await first.close();

    const second = createSqliteQueue({ path, now: clock.now });
    const info = await second.inspect(a);
    expect(info.recipients.map((r) => [r.status, r.attempts, r.lastReason])).toEqual([
      ['pending', 0, null],
      ['pending', 1, 'busy'],
    ]);
    expect(info.recipients[0]?.lease?.workerId).toBe('w1');
    expect((await second.inspect(b)).held).toBe(true);
    const parts: Uint8Array[] = [];
    for await (const part of second.readContent(a)) parts.push(part);
    expect(Buffer.concat(parts).toString()).toBe('Subject: x\r\n\r\nbody\r\n');
    clock.advance(300_000);
    // The first process's lease ran out and the deferral is due: both are claimable again.
    const again = await second.claim({ limit: 10, leaseMs: 60_000, workerId: 'w2' });
    expect(again.flatMap((g) => g.recipients.map((r) => r.index)).sort()).toEqual([0, 1]);
    await second.close();
  });

  it('uses WAL and records its schema version', async () => {
    const path = tempPath();
    await createSqliteQueue({ path }).close();
    const db = new Database(path, { readonly: true });
    expect(db.pragma('journal_mode', { simple: true })).toBe('wal');
    expect(db.pragma('user_version', { simple: true })).toBe(1);
    db.close();
  });

  it('refuses a database written by a newer schema (ERR_SMTP_QUEUE_STORAGE)', async () => {
    const path = tempPath();
    await createSqliteQueue({ path }).close();
    const db = new Database(path);
    db.pragma('user_version = 99');
    db.close();
    let error: unknown;
    try {
      createSqliteQueue({ path });
    } catch (e) {
      error = e;
    }
    expect(isQueueError(error, 'ERR_SMTP_QUEUE_STORAGE')).toBe(true);
  });

  it('rejects bad options as caller bugs', () => {
    expect(() => createSqliteQueue({ path: tempPath(), synchronous: 'OFF' as never })).toThrow(TypeError);
    expect(() => createSqliteQueue({} as never)).toThrow(TypeError);
  });
});
