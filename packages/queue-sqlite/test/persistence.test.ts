import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { isQueueError } from '@smtpkit/queue';
import { createManualClock, type ManualClock } from '@smtpkit/queue/testing';
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

describe('sqlite staged content shared by processes', () => {
  async function* slowContent(gate: Promise<void>, staged: () => void) {
    for (let i = 0; i < 8; i++) yield new Uint8Array(64 * 1024).fill(i);
    staged();
    await gate;
    for (let i = 8; i < 16; i++) yield new Uint8Array(64 * 1024).fill(i);
  }

  /**
   * Opens a writer and starts an enqueue of 16 × 64 KiB that stages its first 8 chunks, then
   * waits until `release()`; resolves once the staging is written.
   */
  async function stalledEnqueue(path: string, clock: ManualClock) {
    const writer = createSqliteQueue({
      path,
      now: clock.now,
      chunkSize: 64 * 1024,
      inlineContentBytes: 128 * 1024,
    });
    let release!: () => void;
    const gate = new Promise<void>((resolve) => {
      release = resolve;
    });
    let staged!: () => void;
    const stagedOnce = new Promise<void>((resolve) => {
      staged = resolve;
    });
    const pending = writer.enqueue({
      envelope: { reversePath: '', recipients: [{ address: 'a@example.com' }] },
      content: slowContent(gate, staged),
    });
    await stagedOnce;
    return { writer, pending, release };
  }

  it('opening a second handle does not remove an enqueue another handle is still streaming', async () => {
    const path = tempPath();
    const clock = createManualClock();
    const { writer, pending, release } = await stalledEnqueue(path, clock);
    clock.advance(10 * 60_000); // an SMTP client may pause this long (RFC 5321 §4.5.3.2.6)
    const operator = createSqliteQueue({ path, now: clock.now });
    expect(await operator.list()).toEqual([]); // not visible before its commit
    await operator.close();
    release();
    const id = await pending;
    let size = 0;
    let index = 0;
    for await (const chunk of writer.readContent(id)) {
      expect(chunk.every((b) => b === index)).toBe(true);
      size += chunk.length;
      index++;
    }
    expect(size).toBe(16 * 64 * 1024);
    await writer.close();
  });

  it('staging abandoned for longer than abandonedEnqueueMs is removed, and its enqueue then fails instead of committing half', async () => {
    const path = tempPath();
    const clock = createManualClock();
    const { writer, pending, release } = await stalledEnqueue(path, clock);
    clock.advance(2 * 3_600_000);
    await createSqliteQueue({ path, now: clock.now }).close(); // its open removes the abandoned staging
    const db = new Database(path, { readonly: true });
    expect(db.prepare('SELECT count(*) FROM chunks').pluck().get()).toBe(0);
    db.close();
    release();
    let error: unknown;
    try {
      await pending;
    } catch (e) {
      error = e;
    }
    expect(isQueueError(error, 'ERR_SMTP_QUEUE_STORAGE')).toBe(true);
    expect(await writer.list()).toEqual([]);
    await writer.close();
  });
});
