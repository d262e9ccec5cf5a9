/**
 * A delivery worker process for delivery-crash.test.ts: delivers from the SQLite queue at
 * $DB to the MX hosts our loopback DNS server ($DNS) names, on port $PORT, and exits 0 once the
 * queue is empty. The test SIGKILLs it at arbitrary points and starts it again.
 */
import { createDeliveryWorker } from '@smtpkit/delivery';
import { createNodeResolver } from '@smtpkit/dns';
import { createListSchedule } from '@smtpkit/queue';
import { createSqliteQueue } from '@smtpkit/queue-sqlite';

const { DB, DNS, PORT } = process.env;
if (!DB || !DNS || !PORT) throw new TypeError('DB, DNS and PORT must be set');
const queue = createSqliteQueue({ path: DB });
const worker = createDeliveryWorker({
  queue,
  resolver: createNodeResolver({ servers: [DNS], timeout: 1000, tries: 2 }),
  heloName: 'crash.test',
  port: Number(PORT),
  allowPrivateAddresses: true,
  concurrency: 10,
  perDomainConcurrency: 10,
  // A killed worker's leases run out quickly, so the next process takes its work over.
  leaseMs: 1500,
  pollIntervalMs: 50,
  retrySchedule: createListSchedule([200]),
  dsn: false,
  client: { timeouts: { connect: 2000, greeting: 2000, command: 2000, dataEnd: 5000 } },
});
worker.start();
const timer = setInterval(async () => {
  const stats = await queue.stats();
  process.stdout.write(`${stats.messages}\n`);
  if (stats.messages > 0) return;
  clearInterval(timer);
  await worker.stop({ deadlineMs: 2000 });
  await queue.close();
  process.exit(0);
}, 100);
