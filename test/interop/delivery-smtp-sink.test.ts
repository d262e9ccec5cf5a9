/**
 * @smtpkit/delivery against Postfix's smtp-sink: real MX resolution (our loopback DNS server),
 * real SMTP to a real peer, and smtp-sink's fault flags for rejection (-f), a drop after the
 * final dot (-q .) and 421 (-Q). The DSNs go to the sender's MX (a sink too) and are parsed back.
 */
import { type ChildProcess, spawn } from 'node:child_process';
import { chmodSync, mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createDeliveryWorker, type DeliveryEvent, parseDsn } from '@smtpkit/delivery';
import { createNodeResolver } from '@smtpkit/dns';
import { createMemoryQueue } from '@smtpkit/queue';
import { type DnsServer, startDnsServer } from '@smtpkit/testing';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { programAvailability, tcpReachable } from '../support/services';
import { freePort } from './harness/ports';

const SINK = '/usr/sbin/smtp-sink';
const sink = programAvailability(SINK);

describe.skipIf(!sink.available)(`delivery → Postfix smtp-sink (${sink.reason})`, () => {
  let dns: DnsServer;
  let dir: string;
  let port: number;
  const children: ChildProcess[] = [];
  const dumps = (name: string) => {
    const d = join(dir, name);
    try {
      return readdirSync(d).map((f) => readFileSync(join(d, f), 'latin1'));
    } catch {
      return [];
    }
  };

  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), 'smtpkit-delivery-sink-'));
    chmodSync(dir, 0o777);
    port = await freePort();
    const run = (address: string, name: string, flags: string[]) => {
      const child = spawn(
        SINK,
        ['-u', 'nobody', '-d', `${join(dir, name)}/%M.`, ...flags, `${address}:${port}`, '100'],
        {
          stdio: 'ignore',
        },
      );
      children.push(child);
    };
    run('127.0.0.1', 'good', []);
    run('127.0.0.2', 'reject', ['-f', 'RCPT']);
    run('127.0.0.3', 'drop', ['-q', '.']);
    run('127.0.0.4', 'busy', ['-Q', 'EHLO']);
    for (const a of ['127.0.0.1', '127.0.0.2', '127.0.0.3', '127.0.0.4']) {
      for (let i = 0; i < 100 && !(await tcpReachable(port, a, 200)); i++)
        await new Promise((r) => setTimeout(r, 50));
    }
    dns = await startDnsServer({
      zone: {
        'good.example': { mx: [{ priority: 10, exchange: 'mx.good.example' }] },
        'mx.good.example': { a: ['127.0.0.1'] },
        'reject.example': { mx: [{ priority: 10, exchange: 'mx.reject.example' }] },
        'mx.reject.example': { a: ['127.0.0.2'] },
        'drop.example': { mx: [{ priority: 10, exchange: 'mx.drop.example' }] },
        'mx.drop.example': { a: ['127.0.0.3'] },
        'busy.example': { mx: [{ priority: 10, exchange: 'mx.busy.example' }] },
        'mx.busy.example': { a: ['127.0.0.4'] },
        'sender.example': { mx: [{ priority: 10, exchange: 'mx.good.example' }] },
      },
    });
  });

  afterAll(async () => {
    for (const c of children) c.kill('SIGTERM');
    await dns?.close();
    if (dir) rmSync(dir, { recursive: true, force: true });
  });

  it('delivers through MX resolution, bounces the rejected, defers the dropped and the 421', async () => {
    const clock = { t: Date.now() };
    const queue = createMemoryQueue({ now: () => clock.t });
    const events: DeliveryEvent[] = [];
    const worker = createDeliveryWorker({
      queue,
      resolver: createNodeResolver({ servers: [dns.address], timeout: 1000, tries: 1 }),
      heloName: 'delivery.test',
      port,
      allowPrivateAddresses: true,
      now: () => clock.t,
      client: { timeouts: { connect: 5000, greeting: 5000, command: 5000, dataEnd: 5000 } },
      onEvent: (e) => events.push(e),
    });
    const content = (i: number) =>
      new TextEncoder().encode(
        `From: a@sender.example\r\nTo: x@good.example\r\nSubject: message ${i}\r\nMessage-ID: <${i}@sender.example>\r\n\r\n${'line of text\r\n'.repeat(50)}`,
      );
    for (let i = 0; i < 40; i++) {
      await queue.enqueue({
        envelope: { reversePath: 'a@sender.example', recipients: [{ address: `u${i}@good.example` }] },
        content: content(i),
      });
    }
    await queue.enqueue({
      envelope: {
        reversePath: 'a@sender.example',
        ret: 'HDRS',
        recipients: [{ address: 'nobody@reject.example' }],
      },
      content: content(100),
    });
    const dropped = await queue.enqueue({
      envelope: { reversePath: 'a@sender.example', recipients: [{ address: 'x@drop.example' }] },
      content: content(101),
    });
    const busy = await queue.enqueue({
      envelope: { reversePath: 'a@sender.example', recipients: [{ address: 'x@busy.example' }] },
      content: content(102),
    });
    await worker.processDue();
    // smtp-sink writes its dump files as the transactions end; give it a moment.
    for (let i = 0; i < 50 && dumps('good').length < 41; i++) await new Promise((r) => setTimeout(r, 50));

    const good = dumps('good');
    const bounces = good.filter((d) => d.includes('Content-Type: multipart/report'));
    expect(good.length - bounces.length).toBe(40);
    expect(bounces).toHaveLength(1);
    const dsn = parseDsn(bounces[0]!);
    expect(dsn?.recipients[0]).toMatchObject({
      finalRecipient: { address: 'nobody@reject.example' },
      action: 'failed',
      remoteMta: { text: 'mx.reject.example' },
    });
    expect(dsn?.recipients[0]?.status).toMatch(/^5\./);
    expect(dsn?.recipients[0]?.diagnosticCode?.text).toMatch(/^5\d\d /);

    const dropInfo = await queue.inspect(dropped);
    expect(dropInfo.recipients[0]?.status).toBe('pending');
    expect(events.some((e) => e.type === 'possible-duplicate' && e.messageId === dropped)).toBe(true);
    const busyInfo = await queue.inspect(busy);
    expect(busyInfo.recipients[0]?.lastReason).toMatch(/421/);
    expect(events.some((e) => e.type === 'host-paused' && e.host === 'mx.busy.example')).toBe(true);
  });
});
