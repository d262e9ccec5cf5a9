import { randomBytes } from 'node:crypto';
import { createTestCertificates } from '@smtpkit/testing';
import fc from 'fast-check';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { RawClient, startServer } from './support/net';

describe('events, logger and metrics', () => {
  it('reports each stage: connection, tls, message, timeout, disconnect', async () => {
    const cert = (await createTestCertificates()).server;
    const logged: string[] = [];
    const { server, port } = await startServer({
      tls: cert,
      limits: { commandTimeout: 300 },
      logger: { info: (message) => logged.push(message) },
    });
    const events: string[] = [];
    server.on('connection', () => events.push('connection'));
    server.on('tls', (e) => events.push(`tls ${e.tls.protocol}`));
    server.on('message', (e) => events.push(`message ${e.accepted} ${e.size}`));
    server.on('timeout', (e) => events.push(`timeout ${e.stage}`));
    const off = server.on('disconnect', () => events.push('disconnect'));
    try {
      const c = await RawClient.connect(port);
      await c.reply();
      await c.command('EHLO c');
      await c.command('STARTTLS');
      await c.startTls();
      await c.command('EHLO c');
      await c.command('MAIL FROM:<a@example.org>');
      await c.command('RCPT TO:<b@example.org>');
      await c.command('DATA');
      expect(await c.command('hello\r\n.')).toMatch(/^250 /);
      expect(await c.untilClosed()).toMatch(/^421 4\.4\.2 /);
      await new Promise((r) => setTimeout(r, 50));
      expect(events).toEqual([
        'connection',
        'tls TLSv1.3',
        'message true 7',
        'timeout command',
        'disconnect',
      ]);
      expect(logged).toContain('timeout');
      const metrics = server.metrics();
      expect(metrics).toMatchObject({
        connectionsTotal: 1,
        connectionsActive: 0,
        messagesAccepted: 1,
        bytesReceived: 7,
      });
      expect(metrics.rejectsByCode[421]).toBe(1);
      off();
    } finally {
      await server.close({ deadline: 100 });
    }
  });
});

describe('fast-check over a real socket: hostile byte streams never crash the server', () => {
  let s: Awaited<ReturnType<typeof startServer>>;
  beforeAll(async () => {
    s = await startServer({ limits: { maxMessageSize: 20_000 } });
  });
  afterAll(() => s.server.close({ deadline: 100 }));

  it('random and SMTP-shaped input, any split; the server keeps answering new clients', async () => {
    const token = fc.oneof(
      fc.constantFrom(
        'EHLO x\r\n',
        'MAIL FROM:<a@example.org>\r\n',
        'RCPT TO:<b@example.org>\r\n',
        'DATA\r\n',
        'BDAT 10\r\n',
        '\r\n.\r\n',
        'STARTTLS\r\n',
        'AUTH LOGIN\r\n',
        'RSET\r\n',
      ),
      fc.uint8Array({ maxLength: 300 }).map((b) => Buffer.from(b).toString('latin1')),
    );
    await fc.assert(
      fc.asyncProperty(fc.array(token, { maxLength: 25 }), async (tokens) => {
        const c = await RawClient.connect(s.port);
        for (const t of tokens) c.write(t);
        c.write(randomBytes(8));
        await new Promise((r) => setTimeout(r, 5));
        c.close();
      }),
      { numRuns: 40 },
    );
    const probe = await RawClient.connect(s.port);
    expect(await probe.reply()).toMatch(/^220 /);
    expect(await probe.command('NOOP')).toMatch(/^250 /);
    probe.close();
  });
});
