/**
 * Byte-exact transcripts against a raw scripted peer: what the client writes is compared
 * octet for octet, and the peer's replies drive the per-recipient results.
 */
import { isSmtpReplyError } from '@smtpkit/wire';
import { describe, expect, it } from 'vitest';
import { type ClientEvent, connect, isSmtpClientError, sendMail } from '../src/index';
import { baseOptions, expectQuit, greetAndEhlo, useScriptedServer } from './helpers/session';

const te = new TextEncoder();
const body = te.encode('Subject: hi\r\n\r\nhello\r\n.leading dot\r\n');
const stuffed = 'Subject: hi\r\n\r\nhello\r\n..leading dot\r\n.\r\n';

const serve = useScriptedServer();

describe('RFC 5321 sessions, byte for byte', () => {
  it('§3.3 lock-step transaction without PIPELINING, §4.5.2 dot-stuffing, QUIT', async () => {
    const server = await serve(async (peer) => {
      await peer.send('220 mx.test ESMTP\r\n');
      await peer.expect('EHLO client.test\r\n');
      await peer.send('250-mx.test hello\r\n250 ENHANCEDSTATUSCODES\r\n');
      await peer.expect('MAIL FROM:<a@example.com>\r\n');
      await peer.send('250 2.1.0 ok\r\n');
      await peer.expect('RCPT TO:<b@example.org>\r\n');
      await peer.send('250 2.1.5 ok\r\n');
      await peer.expect('DATA\r\n');
      await peer.send('354 go ahead\r\n');
      await peer.expect(stuffed);
      await peer.send('250 2.0.0 queued as X\r\n');
      await peer.expect('QUIT\r\n');
      await peer.send('221 2.0.0 bye\r\n');
    });
    const client = await connect(baseOptions(server.port));
    expect(client.capabilities?.pipelining).toBe(false);
    const result = await client.sendMail({ from: 'a@example.com', to: ['b@example.org'] }, body);
    await client.quit();
    await server.done();
    expect(result.accepted).toEqual(['b@example.org']);
    expect(result.method).toBe('DATA');
    expect(result.dataReply).toEqual({ code: 250, enhanced: '2.0.0', lines: ['queued as X'] });
    expect(result.server).toBe(`127.0.0.1:${server.port}`);
    expect(result.tls).toBeUndefined();
  });

  it('RFC 2920 §3.1: MAIL, every RCPT and DATA go as one group; mixed per-recipient results', async () => {
    const server = await serve(async (peer) => {
      await greetAndEhlo(peer, ['PIPELINING', 'SIZE 1000000', '8BITMIME']);
      // The peer answers nothing until the whole group arrived: a lock-step client would hang.
      await peer.expect(
        `MAIL FROM:<a@example.com> SIZE=${body.length}\r\nRCPT TO:<ok@example.org>\r\nRCPT TO:<gone@example.org>\r\nRCPT TO:<busy@example.org>\r\nDATA\r\n`,
      );
      await peer.send('250 ok\r\n250 ok\r\n550 5.1.1 no such user\r\n450 4.2.0 mailbox busy\r\n354 go\r\n');
      await peer.expect(stuffed);
      await peer.send('250 2.0.0 ok\r\n');
      await expectQuit(peer);
    });
    const client = await connect(baseOptions(server.port));
    const result = await client.sendMail(
      { from: 'a@example.com', to: ['ok@example.org', 'gone@example.org', 'busy@example.org'] },
      body,
    );
    await client.quit();
    await server.done();
    expect(result.recipients.map((r) => [r.address, r.status, r.reply.code])).toEqual([
      ['ok@example.org', 'accepted', 250],
      ['gone@example.org', 'rejected', 550],
      ['busy@example.org', 'deferred', 450],
    ]);
    expect(result.recipients[1]?.reply.enhanced).toBe('5.1.1');
    expect(result.accepted).toEqual(['ok@example.org']);
    expect(result.rejected).toEqual(['gone@example.org']);
    expect(result.deferred).toEqual(['busy@example.org']);
  });

  it('every recipient refused: no message data, the transaction is reset (RFC 5321 §4.1.1.5)', async () => {
    const server = await serve(async (peer) => {
      await greetAndEhlo(peer, ['PIPELINING']);
      await peer.expect('MAIL FROM:<>\r\nRCPT TO:<x@example.org>\r\nRCPT TO:<y@example.org>\r\nDATA\r\n');
      await peer.send('250 ok\r\n550 no\r\n450 later\r\n554 5.5.1 no valid recipients\r\n');
      await peer.expect('RSET\r\n');
      await peer.send('250 flushed\r\n');
      await expectQuit(peer);
    });
    const client = await connect(baseOptions(server.port));
    const result = await client.sendMail({ from: '', to: ['x@example.org', 'y@example.org'] }, body);
    await client.quit();
    await server.done();
    expect(result.method).toBe('none');
    expect(result.dataReply).toBeUndefined();
    expect(result.rejected).toEqual(['x@example.org']);
    expect(result.deferred).toEqual(['y@example.org']);
  });

  it('RFC 2920 §3.1: a 354 after every RCPT failed is ended with an empty body', async () => {
    const server = await serve(async (peer) => {
      await greetAndEhlo(peer, ['PIPELINING']);
      await peer.expect('MAIL FROM:<a@example.com>\r\nRCPT TO:<x@example.org>\r\nDATA\r\n');
      await peer.send('250 ok\r\n550 no\r\n354 go anyway\r\n');
      await peer.expect('.\r\n');
      await peer.send('554 no recipients\r\n');
      await peer.expect('RSET\r\n');
      await peer.send('250 ok\r\n');
    });
    const client = await connect(baseOptions(server.port));
    const result = await client.sendMail({ from: 'a@example.com', to: ['x@example.org'] }, body);
    await server.done();
    client.close();
    expect(result.rejected).toEqual(['x@example.org']);
    expect(result.method).toBe('none');
  });

  it('MAIL refused: SmtpReplyError with verb MAIL, after the pipelined replies are drained', async () => {
    const server = await serve(async (peer) => {
      await greetAndEhlo(peer, ['PIPELINING']);
      await peer.expect('MAIL FROM:<a@example.com>\r\nRCPT TO:<x@example.org>\r\nDATA\r\n');
      await peer.send('550 5.7.1 sender blocked\r\n503 5.5.1 need MAIL\r\n503 5.5.1 need RCPT\r\n');
      await peer.expect('NOOP\r\n');
      await peer.send('250 ok\r\n');
    });
    const client = await connect(baseOptions(server.port));
    const error = await client
      .sendMail({ from: 'a@example.com', to: ['x@example.org'] }, body)
      .catch((e) => e);
    expect(error).toMatchObject({ name: 'SmtpReplyError', verb: 'MAIL', replyCode: 550, permanent: true });
    expect((await client.noop()).code).toBe(250);
    await server.done();
    client.close();
  });

  it('§3.8 421 in the middle of a transaction: a transient connection error naming the phase', async () => {
    const server = await serve(async (peer) => {
      await greetAndEhlo(peer);
      await peer.expect('MAIL FROM:<a@example.com>\r\n');
      await peer.send('250 ok\r\n');
      await peer.expect('RCPT TO:<b@example.org>\r\n');
      await peer.send('421 4.3.2 shutting down\r\n');
      peer.end();
    });
    const client = await connect(baseOptions(server.port));
    const error = await client
      .sendMail({ from: 'a@example.com', to: ['b@example.org'] }, body)
      .catch((e) => e);
    await server.done();
    expect(isSmtpClientError(error)).toBe(true);
    expect(error).toMatchObject({
      code: 'ERR_SMTP_CONNECTION',
      phase: 'rcpt',
      transient: true,
      messageMayBeAccepted: false,
    });
    expect(error.message).toContain('421');
    // The reply is kept, so a caller can back off from the host rather than see a plain drop.
    expect(isSmtpReplyError(error.cause)).toBe(true);
    expect(error.cause).toMatchObject({ replyCode: 421, verb: 'RCPT' });
    expect(client.closed).toBe(true);
  });

  it('server closes after the final dot without replying: a deferral (message may be accepted), not a success', async () => {
    const server = await serve(async (peer) => {
      await greetAndEhlo(peer, ['PIPELINING']);
      await peer.expect('MAIL FROM:<a@example.com>\r\nRCPT TO:<b@example.org>\r\nDATA\r\n');
      await peer.send('250 ok\r\n250 ok\r\n354 go\r\n');
      await peer.expect(stuffed);
      peer.destroy();
    });
    const client = await connect(baseOptions(server.port));
    const error = await client
      .sendMail({ from: 'a@example.com', to: ['b@example.org'] }, body)
      .catch((e) => e);
    await server.done();
    expect(error).toMatchObject({
      name: 'SmtpClientError',
      code: 'ERR_SMTP_CONNECTION',
      phase: 'data',
      transient: true,
      messageMayBeAccepted: true,
    });
  });

  it('§4.1.4 EHLO refused with 502: HELO fallback, then a plain transaction', async () => {
    const server = await serve(async (peer) => {
      await peer.send('220 old.test SMTP\r\n');
      await peer.expect('EHLO client.test\r\n');
      await peer.send('502 command not implemented\r\n');
      await peer.expect('HELO client.test\r\n');
      await peer.send('250 old.test\r\n');
      await expectQuit(peer);
    });
    const client = await connect(baseOptions(server.port));
    expect(client.capabilities?.pipelining).toBe(false);
    expect(client.capabilities?.domain).toBe('old.test');
    await client.quit();
    await server.done();
  });

  it('§4.3.1 a 554 greeting is a refusal: SmtpReplyError without verb, QUIT sent', async () => {
    const server = await serve(async (peer) => {
      await peer.send('554 5.7.1 go away\r\n');
      await expectQuit(peer);
    });
    const error = await connect(baseOptions(server.port)).catch((e) => e);
    await server.done();
    expect(error).toMatchObject({ name: 'SmtpReplyError', replyCode: 554, verb: undefined });
  });

  it('LMTP (RFC 2033 §4.2): LHLO and one reply per accepted recipient after the data', async () => {
    const server = await serve(async (peer) => {
      await peer.send('220 lmtp.test LMTP\r\n');
      await peer.expect('LHLO client.test\r\n');
      await peer.send('250-lmtp.test\r\n250 PIPELINING\r\n');
      await peer.expect(
        'MAIL FROM:<a@example.com>\r\nRCPT TO:<x@example.org>\r\nRCPT TO:<n@example.org>\r\nRCPT TO:<y@example.org>\r\nDATA\r\n',
      );
      await peer.send('250 ok\r\n250 ok\r\n550 unknown\r\n250 ok\r\n354 go\r\n');
      await peer.expect(stuffed);
      await peer.send('250 2.1.5 x delivered\r\n452 4.2.2 y over quota\r\n');
    });
    const client = await connect({ ...baseOptions(server.port), lmtp: true });
    const result = await client.sendMail(
      { from: 'a@example.com', to: ['x@example.org', 'n@example.org', 'y@example.org'] },
      body,
    );
    await server.done();
    client.close();
    expect(result.recipients.map((r) => [r.status, r.reply.code])).toEqual([
      ['accepted', 250],
      ['rejected', 550],
      ['deferred', 452],
    ]);
  });

  it('a streamed body (async iterable) is dot-stuffed across chunk boundaries, bare LF normalised', async () => {
    const server = await serve(async (peer) => {
      await greetAndEhlo(peer);
      await peer.expect('MAIL FROM:<a@example.com>\r\n');
      await peer.send('250 ok\r\n');
      await peer.expect('RCPT TO:<b@example.org>\r\n');
      await peer.send('250 ok\r\n');
      await peer.expect('DATA\r\n');
      await peer.send('354 go\r\n');
      await peer.expect('Subject: x\r\n\r\nline\r\n..dot\r\nend\r\n.\r\n');
      await peer.send('250 ok\r\n');
    });
    async function* chunks() {
      yield te.encode('Subject: x\n\nline\r');
      yield te.encode('\n.');
      yield te.encode('dot\nend');
    }
    const client = await connect(baseOptions(server.port));
    const result = await client.sendMail({ from: 'a@example.com', to: ['b@example.org'] }, chunks());
    await server.done();
    client.close();
    expect(result.accepted).toEqual(['b@example.org']);
  });

  it('one-call sendMail() connects, sends and QUITs; events trace every stage', async () => {
    const server = await serve(async (peer) => {
      await greetAndEhlo(peer, ['PIPELINING']);
      await peer.expect('MAIL FROM:<a@example.com>\r\nRCPT TO:<b@example.org>\r\nDATA\r\n');
      await peer.send('250 ok\r\n250 ok\r\n354 go\r\n');
      await peer.expect(stuffed);
      await peer.send('250 ok\r\n');
      await expectQuit(peer);
    });
    const events: ClientEvent[] = [];
    const result = await sendMail({
      ...baseOptions(server.port),
      envelope: { from: 'a@example.com', to: ['b@example.org'] },
      body,
      onEvent: (e) => events.push(e),
    });
    await server.done();
    expect(result.accepted).toEqual(['b@example.org']);
    expect(events.map((e) => e.type)).toContain('connect');
    expect(
      events.filter((e) => e.type === 'command').map((e) => (e.type === 'command' ? e.line : '')),
    ).toEqual(['EHLO client.test', 'MAIL FROM:<a@example.com>', 'RCPT TO:<b@example.org>', 'DATA', 'QUIT']);
  });
});
