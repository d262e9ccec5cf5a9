/**
 * Crash safety of @smtpkit/delivery with the SQLite queue: a worker process is SIGKILLed at
 * arbitrary points while delivering 1,000 messages to Postfix's smtp-sink and restarted each
 * time. Every message must arrive (smtp-sink's dumps are the count); duplicates — a message
 * the sink took whose outcome the killed worker never recorded — are allowed (at-least-once)
 * and reported.
 */
import { type ChildProcess, spawn } from 'node:child_process';
import { chmodSync, mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { createSqliteQueue } from '@smtpkit/queue-sqlite';
import { type DnsServer, startDnsServer } from '@smtpkit/testing';
import { afterAll, describe, expect, it } from 'vitest';
import { programAvailability, tcpReachable } from '../support/services';
import { freePort } from './harness/ports';

const SINK = '/usr/sbin/smtp-sink';
const sink = programAvailability(SINK);
const root = fileURLToPath(new URL('../../', import.meta.url));
const MESSAGES = 1000;
// Kill points: after the worker's Nth progress line (it prints one every 100 ms once it is
// delivering) plus a few ms, fixed so that a failure can be replayed.
const KILLS: readonly (readonly [ticks: number, ms: number])[] = [
  [2, 37],
  [4, 81],
  [1, 13],
  [3, 59],
  [2, 91],
  [5, 5],
  [1, 66],
  [3, 23],
];

describe.skipIf(!sink.available)(`delivery crash test, SQLite queue (${sink.reason})`, () => {
  const cleanups: (() => Promise<void> | void)[] = [];
  afterAll(async () => {
    for (const c of cleanups.reverse()) await c();
  });

  it('SIGKILLed worker restarted repeatedly: all 1,000 messages delivered, none lost', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'smtpkit-crash-'));
    chmodSync(dir, 0o777);
    cleanups.push(() => rmSync(dir, { recursive: true, force: true }));
    const db = join(dir, 'queue.db');
    const port = await freePort();
    const sinkProc: ChildProcess = spawn(
      SINK,
      [
        ...(process.getuid?.() === 0 ? ['-u', 'nobody'] : []),
        '-d',
        `${dir}/dump/%M.`,
        `127.0.0.1:${port}`,
        '256',
      ],
      { stdio: 'ignore' },
    );
    cleanups.push(() => {
      sinkProc.kill('SIGTERM');
    });
    for (let i = 0; i < 100 && !(await tcpReachable(port)); i++) await new Promise((r) => setTimeout(r, 50));
    const dns: DnsServer = await startDnsServer({
      zone: {
        'crash.example': { mx: [{ priority: 10, exchange: 'mx.crash.example' }] },
        'mx.crash.example': { a: ['127.0.0.1'] },
      },
    });
    cleanups.push(() => dns.close());

    const queue = createSqliteQueue({ path: db });
    for (let i = 0; i < MESSAGES; i++) {
      await queue.enqueue({
        envelope: {
          reversePath: 'sender@origin.example',
          recipients: [{ address: `u${i % 50}@crash.example` }],
        },
        content: new TextEncoder().encode(
          `From: sender@origin.example\r\nTo: u@crash.example\r\nSubject: crash ${i}\r\nMessage-ID: <crash-${i}@origin.example>\r\n\r\n${'payload line\r\n'.repeat(20)}`,
        ),
      });
    }
    await queue.close();

    const run = (kill: readonly [number, number] | undefined) =>
      new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((resolve) => {
        const child = spawn(process.execPath, ['--import', 'tsx', 'test/interop/delivery-crash-worker.ts'], {
          cwd: root,
          env: { ...process.env, DB: db, DNS: dns.address, PORT: String(port) },
          stdio: ['ignore', 'pipe', 'ignore'],
        });
        let ticks = 0;
        let timer: NodeJS.Timeout | undefined;
        child.stdout?.on('data', (chunk: Buffer) => {
          ticks += chunk.toString().split('\n').length - 1;
          if (kill && ticks >= kill[0] && timer === undefined)
            timer = setTimeout(() => child.kill('SIGKILL'), kill[1]);
        });
        child.once('exit', (code, signal) => {
          clearTimeout(timer);
          resolve({ code, signal });
        });
      });

    let kills = 0;
    for (const at of KILLS) {
      const r = await run(at);
      if (r.signal === 'SIGKILL') kills++;
      if (r.code === 0) break; // finished before the kill point
    }
    const final = await run(undefined);
    expect(final.code).toBe(0);

    // What smtp-sink received: one dump file per transaction.
    for (let i = 0; i < 40; i++) {
      const n = readdirSync(join(dir, 'dump')).length;
      await new Promise((r) => setTimeout(r, 50));
      if (n === readdirSync(join(dir, 'dump')).length && n >= MESSAGES) break;
    }
    const counts = new Map<string, number>();
    for (const f of readdirSync(join(dir, 'dump'))) {
      const id = /Message-ID: <(crash-\d+)@/.exec(readFileSync(join(dir, 'dump', f), 'latin1'))?.[1];
      if (id) counts.set(id, (counts.get(id) ?? 0) + 1);
    }
    const duplicates = [...counts.values()].reduce((a, n) => a + n - 1, 0);
    console.log(
      `crash test: ${kills} SIGKILLs, ${counts.size}/${MESSAGES} messages delivered, ${duplicates} duplicate deliveries (at-least-once)`,
    );
    expect(counts.size).toBe(MESSAGES);
    const left = createSqliteQueue({ path: db });
    expect((await left.stats()).messages).toBe(0);
    await left.close();
  });
});
