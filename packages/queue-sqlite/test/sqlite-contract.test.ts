import { existsSync, mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { runQueueContract } from '@smtpkit/queue/testing';
import { createSqliteQueue } from '@smtpkit/queue-sqlite';
import { afterAll } from 'vitest';

const root = mkdtempSync(join(tmpdir(), 'smtpkit-queue-sqlite-'));
afterAll(() => rmSync(root, { recursive: true, force: true }));

/** One database file per test (`storageKey`), shared by every handle the test opens. */
function tempPath(storageKey: string, onCleanup: (cleanup: () => void) => void): string {
  const dir = join(root, storageKey);
  if (!existsSync(dir)) {
    mkdirSync(dir);
    onCleanup(() => rmSync(dir, { recursive: true, force: true }));
  }
  return join(dir, 'queue.db');
}

runQueueContract(
  'sqlite (synchronous=FULL)',
  ({ now, onCleanup, storageKey }) => createSqliteQueue({ path: tempPath(storageKey, onCleanup), now }),
  { sharedStorage: true },
);

// Small inline limit and chunks: every multi-chunk test exercises the staged-content path.
runQueueContract(
  'sqlite (synchronous=NORMAL, staged content)',
  ({ now, onCleanup, storageKey }) =>
    createSqliteQueue({
      path: tempPath(storageKey, onCleanup),
      now,
      synchronous: 'NORMAL',
      chunkSize: 4096,
      inlineContentBytes: 16 * 1024,
    }),
  { bigContentBytes: 8 * 1024 * 1024, sharedStorage: true },
);
