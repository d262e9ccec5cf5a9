// queue: the operator's view of a relay's queue, like Postfix's postqueue/postsuper.
//
//   npx tsx examples/queue.ts list                      (default queue: ./relay-data/queue.sqlite)
//   npx tsx examples/queue.ts --queue postgres://postgres@127.0.0.1/test show ID
//   npx tsx examples/queue.ts hold ID | release ID | retry ID | delete ID | stats
import { existsSync } from 'node:fs';
import { parseArgs } from 'node:util';
import { isQueueError, type Queue } from '@smtpkit/queue';
import { parseCli, usageError } from './lib/cli';
import { openQueue } from './lib/open-queue';

const usage = `usage: queue [--queue FILE | postgres://...] COMMAND [ID]

  list             every message: id, state, sender, pending/total recipients, next attempt
  show ID          one message with each recipient's status and last reply
  hold ID          keep it from being delivered (postsuper -h)
  release ID       take it off hold (postsuper -H)
  retry ID         make its pending recipients due now (postqueue -i)
  delete ID        remove it, no bounce (postsuper -d)
  stats            counts by state, oldest message
  --queue SPEC     a SQLite file (default ./relay-data/queue.sqlite) or a postgres:// URL
  -h, --help       this text`;

const { values, positionals } = parseCli(usage, () =>
  parseArgs({
    allowPositionals: true,
    options: {
      queue: { type: 'string', default: './relay-data/queue.sqlite' },
      help: { type: 'boolean', short: 'h' },
    },
  }),
);
const [command = 'list', id] = positionals;
const needsId = ['show', 'hold', 'release', 'retry', 'delete'];
if (![...needsId, 'list', 'stats'].includes(command)) usageError(usage, `unknown command '${command}'`);
if (needsId.includes(command) && !id) usageError(usage, `${command} needs a message id`);

const time = (ms: number | null) => (ms === null ? '-' : new Date(ms).toISOString());

async function run(queue: Queue, messageId: string): Promise<void> {
  switch (command) {
    case 'list':
      for (const m of await queue.list({ limit: 1000 })) {
        const next = m.held ? 'held' : time(m.nextAttemptAt);
        console.log(
          `${m.id}  ${m.state.padEnd(8)} <${m.reversePath}>  ${m.pendingCount}/${m.recipientCount}  ${next}`,
        );
      }
      return;
    case 'show': {
      const m = await queue.inspect(messageId);
      console.log(
        `${m.id} ${m.state}${m.held ? ' (held)' : ''} from <${m.envelope.reversePath}>, ${m.size} octets`,
      );
      console.log(`enqueued ${time(m.enqueuedAt)}, expires ${time(m.expiresAt)}`);
      for (const r of m.recipients) {
        const reply = r.lastReply ? ` ${r.lastReply.code} ${r.lastReply.lines.join(' ')}` : '';
        console.log(
          `  ${r.recipient.address}: ${r.status}, ${r.attempts} attempt(s), next ${time(r.nextAttemptAt)}${reply}`,
        );
      }
      return;
    }
    case 'hold':
      await queue.hold(messageId);
      console.log(`${messageId} held`);
      return;
    case 'release':
      await queue.release(messageId);
      console.log(`${messageId} released`);
      return;
    case 'retry':
      console.log(`${messageId}: ${await queue.retryNow(messageId)} recipient(s) due now`);
      return;
    case 'delete':
      console.log(
        (await queue.delete(messageId)) ? `${messageId} deleted` : `${messageId} was not in the queue`,
      );
      return;
    default: {
      const s = await queue.stats();
      const states = Object.entries(s.byState).map(([state, n]) => `${state} ${n}`);
      console.log(`${s.messages} message(s): ${states.join(', ')}; oldest ${time(s.oldestEnqueuedAt)}`);
    }
  }
}

if (!/^postgres(ql)?:/.test(values.queue) && !existsSync(values.queue)) {
  usageError(usage, `no queue at ${values.queue} (run relay.ts first, or give --queue)`);
}
const queue = await openQueue(values.queue);
try {
  await run(queue, id ?? '');
} catch (error) {
  // QueueNotFoundError and friends carry a code: say it plainly, exit 1.
  if (!isQueueError(error)) throw error;
  console.error(`error: ${error.code}: ${error.message}`);
  process.exitCode = 1;
} finally {
  await queue.close();
}
