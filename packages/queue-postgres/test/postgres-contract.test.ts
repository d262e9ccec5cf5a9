import { runQueueContract } from '@smtpkit/queue/testing';
import { createPostgresQueue } from '@smtpkit/queue-postgres';
import { afterAll, describe } from 'vitest';
import { postgresAvailability } from '../../../test/support/services.js';
import { createTestPool, dropSchema, freshSchema } from './support.js';

const postgres = await postgresAvailability();

describe.skipIf(!postgres.available)('postgres', () => {
  // One pool for the file; every test gets a fresh schema, dropped after it.
  const pool = createTestPool(6);
  afterAll(() => pool.end());

  runQueueContract(
    'postgres (batched enqueues, 256 KiB chunks)',
    async ({ now, onCleanup }) => {
      const schema = freshSchema('contract');
      onCleanup(() => dropSchema(pool, schema));
      return createPostgresQueue({ pool, schema, now });
    },
    { bigContentBytes: 32 * 1024 * 1024 },
  );

  // Small chunks and a small inline limit: every multi-chunk test takes the staged-content path.
  runQueueContract(
    'postgres (staged content, 4 KiB chunks)',
    async ({ now, onCleanup }) => {
      const schema = freshSchema('staged');
      onCleanup(() => dropSchema(pool, schema));
      return createPostgresQueue({ pool, schema, now, chunkSize: 4096, inlineContentBytes: 16 * 1024 });
    },
    { bigContentBytes: 4 * 1024 * 1024 },
  );
});
