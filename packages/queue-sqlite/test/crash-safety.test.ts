/**
 * Crash safety: a child process enqueues (or claims and records) and is SIGKILLed at a random
 * moment, many times. After each kill the database is reopened and checked: every enqueue the
 * child acknowledged is there (or was finished by a worker), no half-written message is
 * visible, recorded final outcomes stuck, and every lease the dead child held recovers.
 */
import { type ChildProcess, spawn } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { isQueueError, type Queue } from '@smtpkit/queue';
import { createSqliteQueue } from '@smtpkit/queue-sqlite';
import Database from 'better-sqlite3';
import { afterAll, describe, expect, it } from 'vitest';
import { expectedContent } from './fixtures/crash-content.js';

const repoRoot = fileURLToPath(new URL('../../../', import.meta.url));
const child = fileURLToPath(new URL('./fixtures/crash-child.ts', import.meta.url));
const rounds = 24;
const lease = 60_000;

interface Run {
  readonly lines: string[];
}

/** Starts the child, waits for READY, lets it run `runMs`, SIGKILLs it, returns its output lines. */
async function runAndKill(
  mode: 'enqueue' | 'work',
  path: string,
  offset: number,
  seed: number,
  runMs: number,
): Promise<Run> {
  const proc: ChildProcess = spawn(
    process.execPath,
    ['--import', 'tsx', child, mode, path, String(offset), String(seed)],
    {
      cwd: repoRoot,
      stdio: ['ignore', 'pipe', 'pipe'],
    },
  );
  let out = '';
  let err = '';
  proc.stderr!.on('data', (data: Buffer) => {
    err += data.toString();
  });
  const exited = new Promise<void>((resolve) => proc.once('exit', () => resolve()));
  await new Promise<void>((resolve, reject) => {
    proc.stdout!.on('data', (data: Buffer) => {
      out += data.toString();
      if (out.startsWith('READY\n')) resolve();
    });
    proc.once('exit', (code) => reject(new Error(`child exited (${code}) before READY: ${err}`)));
  });
  await new Promise((resolve) => setTimeout(resolve, runMs));
  proc.kill('SIGKILL');
  await exited;
  expect(err).toBe('');
  // A line cut by the kill has no newline: it was not acknowledged.
  return { lines: out.split('\n').slice(1, -1) };
}

async function readAll(queue: Queue, id: string): Promise<Uint8Array> {
  const parts: Uint8Array[] = [];
  for await (const part of queue.readContent(id)) parts.push(part);
  return Buffer.concat(parts);
}

describe('crash safety (SIGKILL at random points)', () => {
  const dir = mkdtempSync(join(tmpdir(), 'smtpkit-queue-crash-'));
  const path = join(dir, 'queue.db');
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  it(`${rounds} kills while enqueueing and while claiming/recording: nothing acknowledged lost, nothing half-written, leases recover`, async () => {
    const acknowledged = new Set<string>();
    const finished = new Set<string>();
    /** Content is immutable once committed: each message is compared once. */
    const verified = new Set<string>();
    /** Final outcomes the child was told were applied: `id#index` → status. */
    const finals = new Map<string, string>();
    /** Final outcomes the child was about to record (it may have died before or after the commit). */
    const intended = new Set<string>();
    let random = 20_261_129;
    const pick = (n: number) => {
      random = (Math.imul(random, 1_103_515_245) + 12_345) >>> 0;
      return random % n;
    };
    let killsWhileEnqueueing = 0;
    let killsWhileWorking = 0;
    let orphansSeen = 0;

    for (let round = 0; round < rounds; round++) {
      // Each round's clock runs well past the last round's leases (the child's and the checker's).
      const offset = round * 10 * lease;
      const mode = round % 3 === 2 ? 'work' : 'enqueue';
      const { lines } = await runAndKill(mode, path, offset, pick(2 ** 31), 30 + pick(400));
      if (mode === 'enqueue') killsWhileEnqueueing++;
      else killsWhileWorking++;
      for (const line of lines) {
        const [kind, id, index, status, recipientStatus] = line.split(' ');
        if (kind === 'ACK') acknowledged.add(id!);
        else if (kind === 'WILL' && index !== undefined && status !== 'deferred')
          intended.add(`${id}#${index}`);
        else if (kind === 'REC' && status === 'applied' && recipientStatus !== 'pending')
          finals.set(`${id}#${index}`, recipientStatus!);
      }

      // Count what a cut enqueue left behind before the reopen cleans it up.
      const before = new Database(path);
      orphansSeen += (
        before
          .prepare(
            'SELECT count(DISTINCT message_id) AS n FROM chunks WHERE message_id NOT IN (SELECT id FROM messages)',
          )
          .get() as {
          n: number;
        }
      ).n;
      before.close();

      // Reopen after the crash, at a time past every lease the child could hold.
      const now = Date.now() + offset + 2 * lease;
      // Staging the dead child last touched (at most its clock, `now - 2 * lease`) counts as abandoned.
      const queue = createSqliteQueue({ path, now: () => now, abandonedEnqueueMs: lease });
      try {
        // No half-written message: every visible message has its full content and recipients.
        const visible = await queue.list({ limit: 100_000 });
        for (const summary of visible) {
          if (verified.has(summary.id)) continue;
          const info = await queue.inspect(summary.id);
          expect(info.recipients).toHaveLength(3);
          const { seed, length } = info.envelope.metadata as { seed: number; length: number };
          expect(info.size).toBe(length);
          expect(Buffer.from(await readAll(queue, summary.id)).equals(expectedContent(seed, length))).toBe(
            true,
          );
          verified.add(summary.id);
        }
        const visibleIds = new Set(visible.map((m) => m.id));
        // No acknowledged message lost: present, or finished by a worker (every recipient was
        // given a final outcome; a kill between commit and REC line leaves only the intent).
        for (const id of acknowledged) {
          if (visibleIds.has(id)) continue;
          const recorded = [0, 1, 2].filter((i) => finals.has(`${id}#${i}`) || intended.has(`${id}#${i}`));
          if (recorded.length === 3) {
            finished.add(id);
            continue;
          }
          throw new Error(
            `acknowledged message ${id} is gone (${recorded.length}/3 recipients recorded final)`,
          );
        }
        // Recorded final outcomes stuck.
        for (const [key, status] of finals) {
          const [id, index] = key.split('#');
          if (!visibleIds.has(id!)) continue;
          const info = await queue.inspect(id!);
          expect(info.recipients[Number(index)]?.status).toBe(status);
        }
        // Leases recover: every pending recipient is claimable once the dead child's leases ran out.
        const stats = await queue.stats();
        const claimed = await queue.claim({ limit: 1_000_000, leaseMs: 1, workerId: 'checker' });
        expect(claimed.reduce((n, g) => n + g.recipients.length, 0)).toBe(stats.recipients.pending);
      } catch (error) {
        if (isQueueError(error)) throw new Error(`round ${round}: ${error.message}`, { cause: error });
        throw error;
      } finally {
        await queue.close();
      }
      // Leftovers of an enqueue cut mid-stream were removed on open.
      const db = new Database(path, { readonly: true });
      const orphans = db
        .prepare('SELECT count(*) AS n FROM chunks WHERE message_id NOT IN (SELECT id FROM messages)')
        .get() as { n: number };
      db.close();
      expect(orphans.n).toBe(0);
    }
    expect(killsWhileEnqueueing).toBeGreaterThan(10);
    expect(killsWhileWorking).toBeGreaterThan(5);
    expect(acknowledged.size).toBeGreaterThan(50);
    expect(finals.size).toBeGreaterThan(20);
    console.log(
      `crash test: ${rounds} kills (${killsWhileEnqueueing} enqueueing, ${killsWhileWorking} working), ` +
        `${acknowledged.size} acknowledged, ${finished.size} finished by workers, ${finals.size} final outcomes recorded; ` +
        `${orphansSeen} half-written contents found and removed on reopen; none lost`,
    );
  }, 120_000);
});
