import { setTimeout as sleep } from 'node:timers/promises';
import { describe, expect, it } from 'vitest';
import { RawClient, startServer } from './support/net';

describe('limits over real sockets', () => {
  it('slowloris: a client trickling one byte at a time still times out (421 4.4.2)', async () => {
    const { server, port } = await startServer({ limits: { commandTimeout: 400 } });
    try {
      const c = await RawClient.connect(port);
      await c.reply();
      // A line that never ends: 100 bytes, one every 50 ms (5 s), far past the 400 ms budget.
      const line = 'NOOP '.repeat(20);
      const trickle = (async () => {
        let sent = 0;
        for (const ch of line) {
          if (c.closed) break;
          c.write(ch);
          sent++;
          await sleep(50);
        }
        return sent;
      })();
      const rest = await c.untilClosed(10_000);
      expect(rest).toMatch(/^421 4\.4\.2 /);
      // Cut off mid-trickle: the bytes never extended the deadline.
      expect(await trickle).toBeLessThan(line.length);
    } finally {
      await server.close({ deadline: 100 });
    }
  });

  it('each whole command restarts the deadline; silence after the last one still times out', async () => {
    const { server, port } = await startServer({ limits: { commandTimeout: 400 } });
    try {
      const c = await RawClient.connect(port);
      await c.reply();
      // Four commands 250 ms apart: the connection outlives the first deadline (400 ms)
      // because each command moved it.
      for (let i = 0; i < 4; i++) {
        await sleep(250);
        expect(await c.command('NOOP')).toBe('250 2.0.0 Ok\r\n');
      }
      expect(await c.untilClosed(10_000)).toMatch(/^421 4\.4\.2 /);
    } finally {
      await server.close({ deadline: 100 });
    }
  });

  it('slowloris in DATA: the body has a whole-stage deadline', async () => {
    const { server, port } = await startServer({ limits: { dataTimeout: 400 } });
    try {
      const c = await RawClient.connect(port);
      await c.openData();
      let stop = false;
      const trickle = (async () => {
        while (!stop && !c.closed) {
          c.write('x');
          await sleep(50);
        }
      })();
      const rest = await c.untilClosed(5000);
      stop = true;
      await trickle;
      expect(rest).toMatch(/^421 4\.4\.2 /);
    } finally {
      await server.close({ deadline: 100 });
    }
  });

  it('max connections (total and per IP): 421 4.7.0 for the one over', async () => {
    const { server, port } = await startServer({ limits: { maxConnections: 2 } });
    try {
      const a = await RawClient.connect(port);
      const b = await RawClient.connect(port);
      expect(await a.reply()).toMatch(/^220 /);
      expect(await b.reply()).toMatch(/^220 /);
      const c = await RawClient.connect(port);
      expect(await c.untilClosed()).toMatch(/^421 4\.7\.0 /);
      a.close();
      await sleep(50);
      const d = await RawClient.connect(port);
      expect(await d.reply()).toMatch(/^220 /);
      b.close();
      d.close();
      expect(server.metrics().connectionsRefused).toBe(1);
    } finally {
      await server.close({ deadline: 100 });
    }
    const perIp = await startServer({ limits: { maxConnectionsPerIp: 1 } });
    try {
      const a = await RawClient.connect(perIp.port);
      expect(await a.reply()).toMatch(/^220 /);
      const b = await RawClient.connect(perIp.port);
      expect(await b.untilClosed()).toMatch(/^421 4\.7\.0 /);
      a.close();
    } finally {
      await perIp.server.close({ deadline: 100 });
    }
  });

  it('RFC 1870: an oversize body gets 552 5.3.4 after the data, and the connection stays usable', async () => {
    const { server, port, recorder } = await startServer({ limits: { maxMessageSize: 1000 } });
    try {
      const c = await RawClient.connect(port);
      await c.openData();
      for (let i = 0; i < 100; i++) c.write(`${'y'.repeat(98)}\r\n`);
      c.write('.\r\n');
      expect(await c.reply()).toBe('552 5.3.4 Message size exceeds fixed maximum message size\r\n');
      expect(await c.command('MAIL FROM:<a@example.org>')).toMatch(/^250 /);
      await c.command('RCPT TO:<b@example.org>');
      await c.command('DATA');
      expect(await c.command('small\r\n.')).toMatch(/^250 /);
      // BDAT too: the chunk that crosses the limit is refused.
      await c.command('MAIL FROM:<a@example.org>');
      await c.command('RCPT TO:<b@example.org>');
      c.write(`BDAT 2000 LAST\r\n${'z'.repeat(2000)}`);
      expect(await c.reply()).toMatch(/^552 5\.3\.4 /);
      expect(await c.command('NOOP')).toMatch(/^250 /);
      c.close();
      expect(recorder.messages.map((m) => m.body)).toEqual(['small\r\n']);
      expect(server.metrics().rejectsByCode[552]).toBe(2);
    } finally {
      await server.close({ deadline: 100 });
    }
  });

  it('a backend that throws (asynchronously) gives 451 4.3.0, never 5xx', async () => {
    const { server, port } = await startServer(
      {},
      {
        async data(body) {
          for await (const _ of body) {
            // drain
          }
          throw new Error('queue unavailable');
        },
      },
    );
    try {
      const c = await RawClient.connect(port);
      await c.openData();
      expect(await c.command('hello\r\n.')).toBe('451 4.3.0 Local error in processing\r\n');
      c.close();
    } finally {
      await server.close({ deadline: 100 });
    }
  });

  it('pipelined input beyond maxPipelinedBytes is held back by TCP, not buffered', async () => {
    let release: () => void = () => {};
    const gate = new Promise<void>((resolve) => {
      release = resolve;
    });
    const { server, port } = await startServer(
      { limits: { maxPipelinedBytes: 4096 } },
      {
        async mail() {
          await gate;
        },
      },
    );
    try {
      const c = await RawClient.connect(port);
      await c.reply();
      await c.command('EHLO c');
      c.write('MAIL FROM:<a@example.org>\r\n');
      const noop = 'NOOP\r\n'.repeat(20_000);
      c.write(noop);
      await sleep(200);
      release();
      const first = await c.reply();
      expect(first).toMatch(/^250 2\.1\.0/);
      // The server went on, slowly; it never held 120 KB at once (junk limit closes first).
      const rest = await c.untilClosed(10_000);
      expect(rest).toContain('421 4.7.0');
    } finally {
      await server.close({ deadline: 100 });
    }
  });
});

describe('backend timeout', () => {
  it('a backend that never answers gets the client 451 4.3.0, and its late answer is ignored', async () => {
    let late: (() => void) | undefined;
    const { server, port, recorder } = await startServer(
      { limits: { backendTimeout: 300 } },
      {
        rcpt: () =>
          new Promise<void>((resolve) => {
            late = resolve;
          }),
      },
    );
    try {
      const c = await RawClient.connect(port);
      await c.reply();
      await c.command('EHLO c');
      await c.command('MAIL FROM:<a@example.org>');
      expect(await c.command('RCPT TO:<b@example.org>')).toBe('451 4.3.0 Local error in processing\r\n');
      late?.();
      await sleep(20);
      expect(await c.command('NOOP')).toBe('250 2.0.0 Ok\r\n');
      expect(await c.command('DATA')).toMatch(/^554 /);
      c.close();
      expect(recorder.events.filter((e) => e === 'rcpt')).toHaveLength(1);
    } finally {
      await server.close({ deadline: 100 });
    }
  });

  it('a data() that never settles gets 451 after the body; the session goes on', async () => {
    let calls = 0;
    const { server, port } = await startServer(
      { limits: { backendTimeout: 300 } },
      {
        data: async (body) => {
          calls++;
          for await (const _ of body) {
            // drain
          }
          // The first message hangs for good; the second is stored at once.
          if (calls === 1) await new Promise<never>(() => {});
        },
      },
    );
    try {
      const c = await RawClient.connect(port);
      await c.reply();
      await c.command('EHLO c');
      for (const expected of ['451 4.3.0', '250 2.0.0']) {
        await c.command('MAIL FROM:<a@example.org>');
        await c.command('RCPT TO:<b@example.org>');
        expect(await c.command('DATA')).toMatch(/^354 /);
        expect(await c.command('Subject: x\r\n\r\nbody\r\n.')).toMatch(new RegExp(`^${expected} `));
      }
      c.close();
    } finally {
      await server.close({ deadline: 100 });
    }
  });

  it('each call gets the whole deadline: the timer is re-armed when the next call starts', async () => {
    // Each call takes about 60% of the deadline: two in a row must both succeed.
    const slow = () => new Promise<void>((resolve) => setTimeout(resolve, 350));
    const { server, port } = await startServer(
      { limits: { backendTimeout: 600 } },
      { mail: slow, rcpt: slow },
    );
    try {
      const c = await RawClient.connect(port);
      await c.reply();
      await c.command('EHLO c');
      expect(await c.command('MAIL FROM:<a@example.org>')).toMatch(/^250 /);
      expect(await c.command('RCPT TO:<b@example.org>')).toMatch(/^250 /);
      c.close();
    } finally {
      await server.close({ deadline: 100 });
    }
  });
});
