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
    await c.openData();
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
    await c.openData();
    c.write('never finished\r\n');
    await server.close({ deadline: 300 });
    expect(await c.untilClosed()).toMatch(/^421 4\.3\.2 /);
    expect(recorder.messages).toHaveLength(0);
  });
});

describe('shutdown in the sans-I/O core', () => {
  it('a backend call that outlives abort() is ignored, not an error', async () => {
    const { ServerSession } = await import('@smtpkit/server');
    const session = new ServerSession({ hostname: 'mx.test', nonce: () => 'n' });
    session.start();
    session.receive(Buffer.from('EHLO c\r\nMAIL FROM:<a@example.org>\r\n'));
    const kinds: string[] = [];
    for (let a = session.nextAction(); a; a = session.nextAction()) kinds.push(a.type);
    expect(kinds).toEqual(['send', 'send', 'call']);
    expect(session.waiting).toBe(true);
    session.abort();
    const out = session.nextAction();
    expect(out?.type === 'send' && Buffer.from(out.bytes).toString()).toMatch(/^421 4\.3\.2 /);
    expect(() => session.resolveCall()).not.toThrow();
    expect(session.state).toBe('closed');
  });
});
