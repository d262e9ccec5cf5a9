/**
 * CHUNKING/BDAT (RFC 3030): no dot-stuffing, exact sizes, LAST, BINARYMIME, and the
 * envelope parameters (SIZE, BODY, SMTPUTF8, DSN, REQUIRETLS) a send derives.
 */
import { describe, expect, it } from 'vitest';
import { connect } from '../src/index';
import { baseOptions, expectQuit, greetAndEhlo, useScriptedServer } from './helpers/session';

const te = new TextEncoder();
const serve = useScriptedServer();

describe('RFC 3030 CHUNKING', () => {
  it('§2 BDAT n LAST carries the body as is: no dot-stuffing, no terminator', async () => {
    const body = te.encode('Subject: x\r\n\r\n.starts with a dot\r\n.\r\n');
    const server = await serve(async (peer) => {
      await greetAndEhlo(peer, ['PIPELINING', 'CHUNKING']);
      await peer.expect('MAIL FROM:<a@example.com>\r\nRCPT TO:<b@example.org>\r\n');
      await peer.send('250 ok\r\n250 ok\r\n');
      await peer.expect(`BDAT ${body.length} LAST\r\n`);
      const got = await peer.read(body.length);
      expect(Buffer.compare(got, Buffer.from(body))).toBe(0);
      await peer.send('250 2.0.0 ok\r\n');
    });
    const client = await connect(baseOptions(server.port));
    const result = await client.sendMail({ from: 'a@example.com', to: ['b@example.org'] }, body);
    await server.done();
    client.close();
    expect(result.method).toBe('BDAT');
    expect(result.accepted).toEqual(['b@example.org']);
  });

  it('§4.2 a large body goes as pipelined chunks, the last one marked LAST; BINARYMIME declared', async () => {
    const size = 200_000;
    const body = new Uint8Array(size).map((_, i) => i % 256);
    const server = await serve(async (peer) => {
      await greetAndEhlo(peer, ['CHUNKING', 'BINARYMIME', '8BITMIME']);
      await peer.expect('MAIL FROM:<a@example.com> BODY=BINARYMIME\r\n');
      await peer.send('250 ok\r\n');
      await peer.expect('RCPT TO:<b@example.org>\r\n');
      await peer.send('250 ok\r\n');
      let received = 0;
      for (;;) {
        const line = Buffer.from(await peer.line(), 'latin1').toString('utf8');
        const m = /^BDAT (\d+)( LAST)?$/.exec(line);
        expect(m).not.toBeNull();
        const n = Number(m?.[1]);
        const chunk = await peer.read(n);
        expect(Buffer.compare(chunk, Buffer.from(body.subarray(received, received + n)))).toBe(0);
        received += n;
        await peer.send(m?.[2] ? '250 2.0.0 message ok\r\n' : `250 2.0.0 ${n} octets received\r\n`);
        if (m?.[2]) break;
      }
      expect(received).toBe(size);
    });
    const client = await connect(baseOptions(server.port));
    const result = await client.sendMail({ from: 'a@example.com', to: ['b@example.org'] }, body, {
      bodyType: 'BINARYMIME',
    });
    await server.done();
    client.close();
    expect(result.dataReply?.lines).toEqual(['message ok']);
  });

  it('RFC 6531/6152/3461/1870 parameters: SMTPUTF8, BODY=8BITMIME, DSN RET/ENVID/NOTIFY/ORCPT, SIZE', async () => {
    const body = te.encode('Subject: caf\u00e9\r\n\r\nna\u00efve\r\n');
    const server = await serve(async (peer) => {
      await peer.send('220 mx.test ESMTP\r\n');
      await peer.expect('EHLO client.test\r\n');
      await peer.send(
        '250-mx.test\r\n250-PIPELINING\r\n250-8BITMIME\r\n250-SMTPUTF8\r\n250-DSN\r\n250 SIZE 100000\r\n',
      );
      const line = Buffer.from(await peer.line(), 'latin1').toString('utf8');
      expect(line).toMatch(/^MAIL FROM:<j\u00f6rg@example\.com> /);
      expect(line).toContain(`SIZE=${body.length}`);
      expect(line).toContain('BODY=8BITMIME');
      expect(line).toContain('SMTPUTF8');
      expect(line).toContain('RET=HDRS');
      expect(line).toContain('ENVID=id+2B1');
      const rcpt = await peer.line();
      expect(rcpt).toMatch(/^RCPT TO:<b@example\.org> /);
      expect(rcpt).toContain('NOTIFY=FAILURE,DELAY');
      expect(rcpt).toContain('ORCPT=rfc822;b+2Bx@example.org');
      await peer.expect('DATA\r\n');
      await peer.send('250 ok\r\n250 ok\r\n354 go\r\n');
      await peer.read(body.length + 3);
      await peer.send('250 ok\r\n');
    });
    const client = await connect(baseOptions(server.port));
    const result = await client.sendMail(
      {
        from: 'j\u00f6rg@example.com',
        to: [{ address: 'b@example.org', notify: ['FAILURE', 'DELAY'], orcpt: 'b+x@example.org' }],
        dsn: { ret: 'HDRS', envid: 'id+1' },
      },
      body,
    );
    await server.done();
    client.close();
    expect(result.dsnDropped).toBe(false);
  });

  it('clear errors before sending: no SMTPUTF8, no 8BITMIME, SIZE exceeded, REQUIRETLS without TLS', async () => {
    const server = await serve(async (peer) => {
      await greetAndEhlo(peer, ['SIZE 10']);
      await expectQuit(peer);
    });
    const client = await connect(baseOptions(server.port));
    const env = { from: 'a@example.com', to: ['b@example.org'] };
    await expect(
      client.sendMail({ ...env, from: 'j\u00f6rg@example.com' }, te.encode('x\r\n')),
    ).rejects.toMatchObject({
      code: 'ERR_SMTP_UNSUPPORTED',
      message: expect.stringContaining('SMTPUTF8'),
    });
    await expect(client.sendMail(env, te.encode('\u00e9\r\n'))).rejects.toMatchObject({
      code: 'ERR_SMTP_UNSUPPORTED',
      message: expect.stringContaining('8BITMIME'),
    });
    await expect(client.sendMail(env, te.encode('0123456789abc\r\n'))).rejects.toMatchObject({
      code: 'ERR_SMTP_SIZE',
    });
    await expect(client.sendMail(env, te.encode('x\r\n'), { requireTls: true })).rejects.toMatchObject({
      code: 'ERR_SMTP_UNSUPPORTED',
      message: expect.stringContaining('REQUIRETLS'),
    });
    await expect(
      client.sendMail({ from: 'a@example.com', to: ['bad address\r\nRSET'] }, te.encode('x')),
    ).rejects.toThrow(TypeError);
    await client.quit();
    await server.done();
  });
});
