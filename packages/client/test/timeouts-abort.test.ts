/**
 * RFC 5321 §4.5.3.2 timeouts per stage and AbortSignal: both close the connection and say
 * which phase they interrupted.
 */
import { describe, expect, it } from 'vitest';
import { connect, DEFAULT_TIMEOUTS } from '../src/index';
import { baseOptions, greetAndEhlo, useScriptedServer } from './helpers/session';

const serve = useScriptedServer();
const te = new TextEncoder();

describe('timeouts and abort', () => {
  it('§4.5.3.2 defaults: greeting 5 min, MAIL 5, RCPT 5, DATA init 2, data block 3, final dot 10', () => {
    expect(DEFAULT_TIMEOUTS).toMatchObject({
      greeting: 300_000,
      mail: 300_000,
      rcpt: 300_000,
      dataInit: 120_000,
      dataBlock: 180_000,
      dataEnd: 600_000,
    });
  });

  it('a missing greeting times out with a hint about implicit-TLS ports', async () => {
    const server = await serve(async (peer) => {
      await peer.closed();
    });
    const error = await connect({ ...baseOptions(server.port), timeouts: { greeting: 150 } }).catch((e) => e);
    await server.done();
    expect(error).toMatchObject({ code: 'ERR_SMTP_TIMEOUT', phase: 'greeting' });
    expect(error.message).toMatch(
      /connected to 127\.0\.0\.1:\d+, no greeting in 0\.15 s \(is this an implicit-TLS port/,
    );
  });

  it('a silent RCPT reply times out in phase rcpt; the connection is closed', async () => {
    const server = await serve(async (peer) => {
      await greetAndEhlo(peer);
      await peer.expect('MAIL FROM:<a@example.com>\r\n');
      await peer.send('250 ok\r\n');
      await peer.expect('RCPT TO:<b@example.org>\r\n');
      await peer.closed();
    });
    const client = await connect({ ...baseOptions(server.port), timeouts: { rcpt: 150 } });
    const error = await client
      .sendMail({ from: 'a@example.com', to: ['b@example.org'] }, te.encode('x\r\n'))
      .catch((e) => e);
    await server.done();
    expect(error).toMatchObject({ code: 'ERR_SMTP_TIMEOUT', phase: 'rcpt', transient: true });
    expect(client.closed).toBe(true);
  });

  it('abort during the envelope rejects with an AbortError and closes the socket', async () => {
    const server = await serve(async (peer) => {
      await greetAndEhlo(peer);
      await peer.expect('MAIL FROM:<a@example.com>\r\n');
      await peer.closed();
    });
    const client = await connect(baseOptions(server.port));
    const controller = new AbortController();
    const pending = client.sendMail({ from: 'a@example.com', to: ['b@example.org'] }, te.encode('x\r\n'), {
      signal: controller.signal,
    });
    setTimeout(() => controller.abort(), 50);
    const error = await pending.catch((e) => e);
    await server.done();
    expect(error.name).toBe('AbortError');
    expect(client.closed).toBe(true);
  });

  it('abort while connecting (no greeting yet) rejects with the signal reason', async () => {
    const server = await serve(async (peer) => {
      await peer.closed();
    });
    const reason = new Error('shutting down');
    const controller = new AbortController();
    setTimeout(() => controller.abort(reason), 50);
    const error = await connect({ ...baseOptions(server.port), signal: controller.signal }).catch((e) => e);
    await server.done();
    expect(error).toBe(reason);
  });

  it('an already-aborted signal rejects before any I/O', async () => {
    const error = await connect({ ...baseOptions(1), signal: AbortSignal.abort() }).catch((e) => e);
    expect(error.name).toBe('AbortError');
  });

  it('caller mistakes are TypeError/RangeError: bad EHLO name (CR/LF), bad port', async () => {
    await expect(connect({ host: 'x', name: 'evil\r\nMAIL FROM:<>' })).rejects.toThrow(TypeError);
    await expect(connect({ host: 'x', port: 70000 })).rejects.toThrow(RangeError);
  });

  it('abort while the body stream is stalled rejects at once and closes the connection', async () => {
    const server = await serve(async (peer) => {
      await greetAndEhlo(peer, ['PIPELINING']);
      await peer.expect('MAIL FROM:<a@example.com>\r\nRCPT TO:<b@example.org>\r\nDATA\r\n');
      await peer.send('250 ok\r\n250 ok\r\n354 go\r\n');
      await peer.closed();
    });
    let release: () => void = () => {};
    async function* stalled() {
      yield te.encode('Subject: x\r\n\r\n');
      await new Promise<void>((resolve) => {
        release = resolve;
      });
      yield te.encode('never\r\n');
    }
    const client = await connect(baseOptions(server.port));
    const controller = new AbortController();
    setTimeout(() => controller.abort(), 100);
    const error = await client
      .sendMail({ from: 'a@example.com', to: ['b@example.org'] }, stalled(), { signal: controller.signal })
      .catch((e) => e);
    expect(error.name).toBe('AbortError');
    expect(client.closed).toBe(true);
    release();
    await server.done();
  });
});
