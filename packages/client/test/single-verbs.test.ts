/**
 * The single verbs (mail, rcpt, data, bdat, rset, noop, ehlo, quit) for callers who drive the
 * session themselves: byte-exact, refusals as SmtpReplyError with the verb.
 */
import { describe, expect, it } from 'vitest';
import { connect } from '../src/index';
import { baseOptions, expectQuit, greetAndEhlo, useScriptedServer } from './helpers/session';

const te = new TextEncoder();
const serve = useScriptedServer();

describe('single verbs', () => {
  it('MAIL with SIZE, RCPT refusal, RSET, DATA, BDAT, NOOP, EHLO again, QUIT', async () => {
    const server = await serve(async (peer) => {
      await greetAndEhlo(peer, ['CHUNKING', 'SIZE 1000']);
      await peer.expect('MAIL FROM:<a@example.com> SIZE=42\r\n');
      await peer.send('250 ok\r\n');
      await peer.expect('RCPT TO:<x@example.org>\r\n');
      await peer.send('550 5.1.1 unknown\r\n');
      await peer.expect('RSET\r\n');
      await peer.send('250 reset\r\n');
      await peer.expect('MAIL FROM:<a@example.com>\r\n');
      await peer.send('250 ok\r\n');
      await peer.expect('RCPT TO:<b@example.org>\r\n');
      await peer.send('250 ok\r\n');
      await peer.expect('DATA\r\n');
      await peer.send('354 go\r\n');
      await peer.expect('..x\r\n.\r\n');
      await peer.send('250 stored\r\n');
      await peer.expect('MAIL FROM:<a@example.com>\r\n');
      await peer.send('250 ok\r\n');
      await peer.expect('RCPT TO:<b@example.org>\r\n');
      await peer.send('250 ok\r\n');
      await peer.expect('BDAT 3\r\n.ab');
      await peer.send('250 3 octets\r\n');
      await peer.expect('BDAT 2 LAST\r\ncd');
      await peer.send('250 message ok\r\n');
      await peer.expect('NOOP\r\n');
      await peer.send('250 ok\r\n');
      await peer.expect('EHLO other.test\r\n');
      await peer.send('250 mx.test\r\n');
      await expectQuit(peer);
    });
    const client = await connect({
      ...baseOptions(server.port),
    });
    expect((await client.mail('a@example.com', { size: 42 })).code).toBe(250);
    await expect(client.rcpt('x@example.org')).rejects.toMatchObject({
      name: 'SmtpReplyError',
      verb: 'RCPT',
      replyCode: 550,
    });
    await client.rset();
    await client.mail('a@example.com');
    await client.rcpt('b@example.org');
    expect((await client.data(te.encode('.x\r\n'))).lines).toEqual(['stored']);
    await client.mail('a@example.com');
    await client.rcpt('b@example.org');
    await client.bdat(te.encode('.ab'));
    expect((await client.bdat(te.encode('cd'), { last: true })).lines).toEqual(['message ok']);
    await client.noop();
    await client.ehlo('other.test');
    expect(client.capabilities?.chunking).toBe(false);
    await expect(client.ehlo('bad name')).rejects.toThrow(TypeError);
    await client.quit();
    await server.done();
    expect(client.closed).toBe(true);
  });
});
