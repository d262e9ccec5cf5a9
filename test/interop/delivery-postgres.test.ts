/**
 * Many workers on one PostgreSQL queue: 3 worker processes deliver 3,000 messages to one
 * scripted SMTP peer (MX via our loopback DNS server). The peer cuts the connection after the
 * final dot of every 100th message, once. Every message must arrive, and the only duplicates
 * allowed are those cut messages (at-least-once: the worker cannot know the peer kept it).
 */
import { spawn } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { createPostgresQueue } from '@smtpkit/queue-postgres';
import { type DnsServer, type SmtpPeer, startDnsServer, startSmtpPeer } from '@smtpkit/testing';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { postgresAvailability } from '../support/services';

const pg = await postgresAvailability();
const root = fileURLToPath(new URL('../../', import.meta.url));
const PG = `postgres://postgres@${process.env.PGHOST ?? '127.0.0.1'}:${process.env.PGPORT ?? 5432}/test`;
const MESSAGES = 3000;
const WORKERS = 3;

describe.skipIf(!pg.available)(`delivery with 3 workers on one PostgreSQL queue (${pg.reason})`, () => {
  const schema = `smtpkit_delivery_${process.pid}_${Date.now()}`;
  let dns: DnsServer;
  let peer: SmtpPeer;
  const cut = new Set<string>();

  beforeAll(async () => {
    peer = await startSmtpPeer({
      dropAfterData: (message) => {
        const id = /Message-ID: <pg-(\d+)@/.exec(new TextDecoder().decode(message.body))?.[1];
        // Every 100th message: read it all, then drop the connection instead of answering.
        if (id !== undefined && Number(id) % 100 === 0 && !cut.has(id)) {
          cut.add(id);
          return true;
        }
        return false;
      },
    });
    dns = await startDnsServer({
      zone: {
        'pg.example': { mx: [{ priority: 10, exchange: 'mx.pg.example' }] },
        'mx.pg.example': { a: ['127.0.0.1'] },
      },
    });
  });

  afterAll(async () => {
    await peer?.close();
    await dns?.close();
    const { default: pgModule } = await import('pg');
    const client = new pgModule.Client({ connectionString: PG });
    await client.connect();
    await client.query(`DROP SCHEMA IF EXISTS ${schema} CASCADE`);
    await client.end();
  });

  it('3 processes deliver 3,000 messages; duplicates only where the connection was cut after the dot', async () => {
    const queue = await createPostgresQueue({ connectionString: PG, schema });
    let next = 0;
    await Promise.all(
      Array.from({ length: 16 }, async () => {
        while (next < MESSAGES) {
          const i = next++;
          await queue.enqueue({
            envelope: {
              reversePath: 'sender@origin.example',
              recipients: [{ address: `u${i % 37}@pg.example` }],
            },
            content: new TextEncoder().encode(
              `From: sender@origin.example\r\nTo: u@pg.example\r\nSubject: pg ${i}\r\nMessage-ID: <pg-${i}@origin.example>\r\n\r\nhello\r\n`,
            ),
          });
        }
      }),
    );
    await queue.close();

    const outputs = await Promise.all(
      Array.from(
        { length: WORKERS },
        (_, n) =>
          new Promise<{ code: number | null; out: string }>((resolve) => {
            const child = spawn(
              process.execPath,
              ['--import', 'tsx', 'test/interop/delivery-postgres-worker.ts'],
              {
                cwd: root,
                env: {
                  ...process.env,
                  PG,
                  SCHEMA: schema,
                  DNS: dns.address,
                  PORT: String(peer.port),
                  NAME: `w${n}`,
                },
                stdio: ['ignore', 'pipe', 'inherit'],
              },
            );
            let out = '';
            child.stdout?.on('data', (c: Buffer) => {
              out += c.toString();
            });
            child.once('exit', (code) => resolve({ code, out }));
          }),
      ),
    );
    expect(outputs.map((o) => o.code)).toEqual([0, 0, 0]);
    const flagged = outputs.reduce(
      (n, o) => n + (JSON.parse(o.out.trim().split('\n').at(-1) ?? '{}').possibleDuplicates ?? 0),
      0,
    );

    const counts = new Map<string, number>();
    for (const m of peer.messages) {
      const id = /Message-ID: <pg-(\d+)@/.exec(new TextDecoder().decode(m.body))?.[1];
      if (id !== undefined) counts.set(id, (counts.get(id) ?? 0) + 1);
    }
    const duplicates = [...counts].filter(([, n]) => n > 1);
    console.log(
      `postgres: ${WORKERS} workers, ${counts.size}/${MESSAGES} delivered, ${duplicates.length} duplicated (cut after dot: ${cut.size}, flagged by workers: ${flagged})`,
    );
    expect(counts.size).toBe(MESSAGES);
    // Each duplicate is a message whose connection was cut after the final dot, and nothing else.
    expect(duplicates.every(([id, n]) => cut.has(id) && n === 2)).toBe(true);
    expect(duplicates.length).toBe(cut.size);
    expect(flagged).toBe(cut.size);
  });
});
