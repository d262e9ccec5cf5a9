/**
 * A delivery worker process for delivery-postgres.test.ts: delivers from the PostgreSQL queue
 * in schema $SCHEMA to the MX our loopback DNS server ($DNS) names, on port $PORT, and exits 0
 * once the queue is empty (several of these run side by side on one queue).
 */
import { createDeliveryWorker, type DeliveryEvent } from '@smtpkit/delivery';
import { createNodeResolver } from '@smtpkit/dns';
import { createListSchedule } from '@smtpkit/queue';
import { createPostgresQueue } from '@smtpkit/queue-postgres';

const { PG, SCHEMA, DNS, PORT, NAME } = process.env;
if (!PG || !SCHEMA || !DNS || !PORT) throw new TypeError('PG, SCHEMA, DNS and PORT must be set');
const queue = await createPostgresQueue({ connectionString: PG, schema: SCHEMA, maxConnections: 4 });
let duplicates = 0;
const worker = createDeliveryWorker({
  queue,
  resolver: createNodeResolver({ servers: [DNS], timeout: 1000, tries: 2 }),
  heloName: 'pg.test',
  port: Number(PORT),
  allowPrivateAddresses: true,
  concurrency: 8,
  perDomainConcurrency: 8,
  leaseMs: 10_000,
  pollIntervalMs: 50,
  retrySchedule: createListSchedule([100]),
  dsn: false,
  ...(NAME && { workerId: NAME }),
  client: { timeouts: { connect: 2000, greeting: 2000, command: 2000, dataEnd: 5000 } },
  onEvent: (e: DeliveryEvent) => {
    if (e.type === 'possible-duplicate') duplicates++;
  },
});
worker.start();
const timer = setInterval(async () => {
  const stats = await queue.stats();
  if (stats.messages > 0) return;
  clearInterval(timer);
  await worker.stop({ deadlineMs: 2000 });
  await queue.close();
  process.stdout.write(`${JSON.stringify({ possibleDuplicates: duplicates })}\n`);
  process.exit(0);
}, 100);
