/**
 * End-to-end delivery: 4 KiB messages enqueued and delivered to Postfix `smtp-sink` through MX
 * resolution on loopback (our DNS server from @smtpkit/testing), msgs/s, beside Postfix itself
 * relaying the same stream from `smtp-source` to `smtp-sink` (a throw-away Postfix instance on
 * 127.0.0.1 whose relayhost is the sink). Both queues are durable: Postfix fsyncs each queue
 * file before its 250; ours is SQLite with `synchronous=FULL` (every commit synced, group commit).
 * The sink runs with `-M N` and exits after N messages: that is the end of each timing.
 *
 * Run: `npx tsx bench/delivery.bench.ts` (or `npm run bench -- delivery`). Needs root for Postfix
 * (it is skipped, with a line saying so, when it cannot run); so is PostgreSQL when 127.0.0.1:5432
 * does not answer. Connections to the sink are reused (the worker's default), as Postfix does.
 */
import { type ChildProcess, execFileSync, spawn } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createDeliveryWorker } from '@smtpkit/delivery';
import { createNodeResolver } from '@smtpkit/dns';
import { createMemoryQueue, type Queue } from '@smtpkit/queue';
import { createPostgresQueue } from '@smtpkit/queue-postgres';
import { createSqliteQueue } from '@smtpkit/queue-sqlite';
import { startDnsServer } from '@smtpkit/testing';
import pg from 'pg';
import { freePort } from '../test/interop/harness/ports';
import { postfixUsable, startPostfix } from '../test/interop/harness/postfix';

const N = Number(process.env.BENCH_MESSAGES ?? 2000);
const SESSIONS = 20;
const SINK = '/usr/sbin/smtp-sink';
const SOURCE = '/usr/sbin/smtp-source';

async function waitPort(port: number): Promise<void> {
  for (let i = 0; i < 200; i++) {
    const ok = await new Promise<boolean>((resolve) => {
      const s = createServer();
      s.once('error', () => resolve(true)); // in use: someone listens
      s.listen(port, '127.0.0.1', () => s.close(() => resolve(false)));
    });
    if (ok) return;
    await new Promise((r) => setTimeout(r, 50));
  }
  throw new Error(`nothing listens on ${port}`);
}

/** A sink that exits after `count` messages; resolves the exit time. */
function startSink(port: number, count: number): { child: ChildProcess; done: Promise<number> } {
  const child = spawn(SINK, ['-u', 'nobody', '-M', String(count), `127.0.0.1:${port}`, '256'], {
    stdio: 'ignore',
  });
  const done = new Promise<number>((resolve) => child.once('exit', () => resolve(performance.now())));
  return { child, done };
}

const message = (i: number): Uint8Array => {
  const head = `From: bench@source.example\r\nTo: x@bench.example\r\nSubject: bench ${i}\r\nMessage-ID: <${i}.${Date.now()}@source.example>\r\n\r\n`;
  const line = 'The quick brown fox jumps over the lazy dog. 0123456789 abcdefghij\r\n';
  let body = '';
  while (head.length + body.length + line.length <= 4096) body += line;
  return new TextEncoder().encode(head + body);
};

async function ours(
  name: string,
  open: () => Promise<{ queue: Queue; cleanup: () => Promise<void> | void }>,
): Promise<number> {
  const port = await freePort();
  const sink = startSink(port, N);
  await waitPort(port);
  const dns = await startDnsServer({
    zone: {
      'bench.example': { mx: [{ priority: 10, exchange: 'mx.bench.example' }] },
      'mx.bench.example': { a: ['127.0.0.1'] },
    },
  });
  const { queue, cleanup } = await open();
  const worker = createDeliveryWorker({
    queue,
    resolver: createNodeResolver({ servers: [dns.address] }),
    heloName: 'bench.test',
    port,
    allowPrivateAddresses: true,
    concurrency: SESSIONS,
    perDomainConcurrency: SESSIONS,
    pollIntervalMs: 50,
    dsn: false,
  });
  const started = performance.now();
  worker.start();
  let next = 0;
  await Promise.all(
    Array.from({ length: SESSIONS }, async () => {
      while (next < N) {
        const i = next++;
        await queue.enqueue({
          envelope: { reversePath: 'bench@source.example', recipients: [{ address: `u${i}@bench.example` }] },
          content: message(i),
        });
      }
    }),
  );
  const ended = await sink.done;
  await worker.stop({ deadlineMs: 5000 });
  await queue.close();
  await dns.close();
  await cleanup();
  const rate = N / ((ended - started) / 1000);
  console.log(`${name.padEnd(44)} ${rate.toFixed(0).padStart(6)} msgs/s  (${N} × 4 KiB)`);
  return rate;
}

async function postfix(): Promise<number | undefined> {
  if (!postfixUsable() || !existsSync('/usr/sbin/postfix')) {
    console.log('postfix relay: skipped (needs root and Debian postfix)');
    return undefined;
  }
  const sinkPort = await freePort();
  const sink = startSink(sinkPort, N);
  // The interop harness's throw-away instance, relaying to the sink over as many sessions as ours.
  const relay = await startPostfix({
    nextHopPort: sinkPort,
    mainCf: { default_destination_concurrency_limit: String(SESSIONS) },
  });
  try {
    await waitPort(sinkPort);
    const started = performance.now();
    execFileSync(SOURCE, [
      '-m',
      String(N),
      '-s',
      String(SESSIONS),
      '-l',
      '4096',
      '-f',
      'bench@source.example',
      '-t',
      'x@bench.example',
      `127.0.0.1:${relay.port}`,
    ]);
    const ended = await sink.done;
    const rate = N / ((ended - started) / 1000);
    console.log(
      `${'Postfix relay (smtp-source → postfix → sink)'.padEnd(44)} ${rate.toFixed(0).padStart(6)} msgs/s  (${N} × 4 KiB)`,
    );
    return rate;
  } finally {
    sink.child.kill();
    await relay.stop();
  }
}

const tmp = mkdtempSync(join(tmpdir(), 'smtpkit-bench-delivery-'));
console.log(
  `delivery end to end: ${N} messages of 4 KiB, ${SESSIONS} sessions, loopback, MX via our DNS server\n`,
);
const pf = await postfix();
const sqlite = await ours('smtpkit sqlite FULL (durable) → sink', async () => {
  const path = join(tmp, `q-${Date.now()}.db`);
  return {
    queue: createSqliteQueue({ path, synchronous: 'FULL' }),
    cleanup: () => rmSync(path, { force: true }),
  };
});
const PG = `postgres://postgres@${process.env.PGHOST ?? '127.0.0.1'}:${process.env.PGPORT ?? 5432}/test`;
let postgres: number | undefined;
try {
  const probe = new pg.Client({ connectionString: PG });
  await probe.connect();
  await probe.end();
  postgres = await ours('smtpkit postgres (durable) → sink', async () => {
    const schema = `smtpkit_bench_delivery_${process.pid}`;
    return {
      queue: await createPostgresQueue({ connectionString: PG, schema }),
      cleanup: async () => {
        const c = new pg.Client({ connectionString: PG });
        await c.connect();
        await c.query(`DROP SCHEMA IF EXISTS ${schema} CASCADE`);
        await c.end();
      },
    };
  });
} catch (error) {
  console.log(`smtpkit postgres: skipped (${error instanceof Error ? error.message : String(error)})`);
}
const memory = await ours('smtpkit memory queue (not durable) → sink', async () => ({
  queue: createMemoryQueue(),
  cleanup: () => {},
}));
rmSync(tmp, { recursive: true, force: true });
if (pf !== undefined) {
  console.log(`\nratio sqlite/postfix: ${(sqlite / pf).toFixed(2)}× (target ≥ 0.5×)`);
  if (postgres !== undefined) console.log(`ratio postgres/postfix: ${(postgres / pf).toFixed(2)}×`);
  console.log(`ratio memory/postfix: ${(memory / pf).toFixed(2)}×`);
}
