import { runQueueContract } from '@smtpkit/queue/testing';
import { createPostgresQueue } from '@smtpkit/queue-postgres';
import { afterAll, describe } from 'vitest';
import { postgresAvailability } from '../../../test/support/services.js';
import { connectionString, createTestPool, dropSchema } from './support.js';

const postgres = await postgresAvailability();

describe.skipIf(!postgres.available)('postgres', () => {
  // Every test gets a fresh schema named after its storage key, dropped after it.
  const pool = createTestPool(6);
  afterAll(() => pool.end());
  const schemaFor = (storageKey: string, onCleanup: (cleanup: () => Promise<void>) => void) => {
    const schema = `smtpkit_${storageKey}`;
    onCleanup(() => dropSchema(pool, schema));
    return schema;
  };

  // Handles share one pool passed in.
  runQueueContract(
    'postgres (shared pool, batched enqueues, 256 KiB chunks)',
    async ({ now, onCleanup, storageKey }) =>
      createPostgresQueue({ pool, schema: schemaFor(storageKey, onCleanup), now }),
    { bigContentBytes: 16 * 1024 * 1024, sharedStorage: true },
  );

  // Each handle owns a pool made from the connection string. Small chunks and a small inline
  // limit: every multi-chunk test takes the staged-content path. No prefetch: every read goes
  // to the database.
  runQueueContract(
    'postgres (own pools, staged content, 4 KiB chunks)',
    async ({ now, onCleanup, storageKey }) =>
      createPostgresQueue({
        connectionString,
        maxConnections: 3,
        schema: schemaFor(storageKey, onCleanup),
        now,
        chunkSize: 4096,
        inlineContentBytes: 16 * 1024,
        prefetchContentBytes: 0,
      }),
    { bigContentBytes: 4 * 1024 * 1024, sharedStorage: true },
  );
});
