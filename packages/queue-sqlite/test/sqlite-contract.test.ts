import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { runQueueContract } from '@smtpkit/queue/testing';
import { createSqliteQueue } from '@smtpkit/queue-sqlite';

function tempPath(onCleanup: (cleanup: () => void) => void): string {
  const dir = mkdtempSync(join(tmpdir(), 'smtpkit-queue-sqlite-'));
  onCleanup(() => rmSync(dir, { recursive: true, force: true }));
  return join(dir, 'queue.db');
}

runQueueContract('sqlite (synchronous=FULL)', ({ now, onCleanup }) =>
  createSqliteQueue({ path: tempPath(onCleanup), now }),
);

// Small inline limit and chunks: every multi-chunk test exercises the staged-content path.
runQueueContract(
  'sqlite (synchronous=NORMAL, staged content)',
  ({ now, onCleanup }) =>
    createSqliteQueue({
      path: tempPath(onCleanup),
      now,
      synchronous: 'NORMAL',
      chunkSize: 4096,
      inlineContentBytes: 16 * 1024,
    }),
  { bigContentBytes: 8 * 1024 * 1024 },
);
