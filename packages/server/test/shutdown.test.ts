import { setTimeout as sleep } from 'node:timers/promises';
import { describe, expect, it } from 'vitest';
import { RawClient, startServer } from './support/net';

describe('graceful shutdown', () => {
  it('idle sessions get 421 4.3.2 at once; new connections are refused', async () => {
    const { server, port } = await startServer({});
    const c = await RawClient.connect(port);
    await c.reply();
    await c.command('EHLO c');
    const closing = server.close({ deadline: 2000 });
    expect(await c.untilClosed()).toMatch(/^421 4\.3\.2 /);
    await closing;
    await expect(RawClient.connect(port)).rejects.toThrow();
  });

  it('close() during a transaction lets it finish (250), then 421', async () => {
    const { server, port, recorder } = await startServer({});
    const c = await RawClient.connect(port);
    await c.reply();
    await c.command('EHLO c');
    await c.command('MAIL FROM:<a@example.org>');
    await c.command('RCPT TO:<b@example.org>');
    await c.command('DATA');
    c.write('Subject: x\r\n\r\npart one\r\n');
    const closing = server.close({ deadline: 5000 });
    await sleep(100);
    c.write('part two\r\n.\r\n');
    expect(await c.reply()).toMatch(/^250 /);
    expect(await c.untilClosed()).toMatch(/^421 4\.3\.2 /);
    await closing;
    expect(recorder.messages).toHaveLength(1);
  });

  it('past the deadline, a transaction still open gets 421 and the backend never acknowledges', async () => {
    const { server, port, recorder } = await startServer({});
    const c = await RawClient.connect(port);
    await c.reply();
    await c.command('EHLO c');
    await c.command('MAIL FROM:<a@example.org>');
    await c.command('RCPT TO:<b@example.org>');
    await c.command('DATA');
    c.write('never finished\r\n');
    const started = Date.now();
    await server.close({ deadline: 300 });
    expect(Date.now() - started).toBeLessThan(2000);
    expect(await c.untilClosed()).toMatch(/^421 4\.3\.2 /);
    expect(recorder.messages).toHaveLength(0);
  });
});
