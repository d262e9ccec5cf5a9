// `--queue` for relay.ts and queue.ts: a SQLite file (the default) or a postgres:// URL.

import type { Queue } from '@smtpkit/queue';
import { createPostgresQueue } from '@smtpkit/queue-postgres';
import { createSqliteQueue } from '@smtpkit/queue-sqlite';

/** Opens the queue `spec` names: `postgres://...` / `postgresql://...`, or a SQLite file path. */
export async function openQueue(spec: string): Promise<Queue> {
  if (/^postgres(ql)?:\/\//.test(spec)) return createPostgresQueue({ connectionString: spec });
  return createSqliteQueue({ path: spec });
}
