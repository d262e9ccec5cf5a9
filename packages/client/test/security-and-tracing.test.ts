/**
 * Implicit TLS (RFC 8314), REQUIRETLS (RFC 8689) on a TLS connection, a logger that never sees
 * secrets, and transcripts delivered in random fragments (fast-check) giving the same result.
 */
import fc from 'fast-check';
import { beforeAll, describe, expect, it } from 'vitest';
import { connect, type Logger } from '../src/index';
import { makeTestCertificate, type TestCertificate } from './helpers/certs';
import { scriptedServer } from './helpers/scripted-server';
import { baseOptions, expectQuit, greetAndEhlo, useScriptedServer } from './helpers/session';

const te = new TextEncoder();
let cert: TestCertificate;
beforeAll(() => {
  cert = makeTestCertificate();
});
const serve = useScriptedServer();

describe('security modes and tracing', () => {
  it("security 'tls' (RFC 8314 implicit TLS): TLS from the first byte, verified, TLS state in results", async () => {
    const server = await serve(
      async (peer) => {
        await greetAndEhlo(peer, ['PIPELINING', 'REQUIRETLS']);
        // RFC 8689 §4.1: REQUIRETLS as a MAIL parameter, only because we are on TLS.
        await peer.expect('MAIL FROM:<a@example.com> REQUIRETLS\r\nRCPT TO:<b@example.org>\r\nDATA\r\n');
        await peer.send('250 ok\r\n250 ok\r\n354 go\r\n');
        await peer.expect('hi\r\n.\r\n');
        await peer.send('250 ok\r\n');
        await expectQuit(peer);
      },
      { tls: cert },
    );
    const client = await connect({
      ...baseOptions(server.port),
      security: 'tls',
      tls: { ca: cert.cert },
    });
    expect(client.tls).toMatchObject({ via: 'implicit', authorized: true });
    const result = await client.sendMail(
      { from: 'a@example.com', to: ['b@example.org'] },
      te.encode('hi\r\n'),
      {
        requireTls: true,
      },
    );
    expect(result.tls).toMatchObject({ via: 'implicit', authorized: true });
    await client.quit();
    await server.done();
  });

  it('a logger sees commands and replies but never the AUTH secret', async () => {
    const lines: string[] = [];
    const logger: Logger = {
      debug: (o, m) => lines.push(JSON.stringify(o) + String(m)),
      info: (o, m) => lines.push(JSON.stringify(o) + String(m)),
      warn: (o, m) => lines.push(JSON.stringify(o) + String(m)),
      error: (o, m) => lines.push(JSON.stringify(o) + String(m)),
    };
    const secret = 'correct horse battery';
    const initial = Buffer.from(`\0u\0${secret}`).toString('base64');
    const server = await serve(async (peer) => {
      await greetAndEhlo(peer, ['AUTH PLAIN']);
      await peer.expect(`AUTH PLAIN ${initial}\r\n`);
      await peer.send('235 ok\r\n');
      await expectQuit(peer);
    });
    const client = await connect({
      ...baseOptions(server.port),
      allowInsecureAuth: true,
      auth: { user: 'u', pass: secret },
      logger,
    });
    await client.quit();
    await server.done();
    const all = lines.join('\n');
    expect(all).toContain('EHLO client.test');
    expect(all).toContain('AUTH PLAIN <redacted>');
    expect(all).not.toContain(initial);
    expect(all).not.toContain(secret);
  });

  it('replies delivered in random fragments give the same per-recipient result', async () => {
    const replies =
      '220 mx.test ESMTP\r\n|250-mx.test\r\n250 PIPELINING\r\n|250 ok\r\n250 ok\r\n550 5.1.1 no\r\n451 4.3.0 later\r\n354 go\r\n|250 2.0.0 done\r\n|221 bye\r\n';
    await fc.assert(
      fc.asyncProperty(fc.array(fc.nat(120), { maxLength: 8 }), async (cuts) => {
        const srv = await scriptedServer(async (peer) => {
          const parts = replies.split('|');
          const send = async (text: string) => {
            const points = [...new Set(cuts.map((c) => c % (text.length + 1)))].sort((a, b) => a - b);
            let at = 0;
            for (const p of [...points, text.length]) {
              if (p > at) await peer.send(text.slice(at, p));
              at = p;
            }
          };
          await send(parts[0] ?? '');
          await peer.line();
          await send(parts[1] ?? '');
          for (let i = 0; i < 5; i++) await peer.line();
          await send(parts[2] ?? '');
          await peer.expect('x\r\n.\r\n');
          await send(parts[3] ?? '');
          await peer.line();
          await send(parts[4] ?? '');
        });
        try {
          const client = await connect({
            ...baseOptions(srv.port),
          });
          const result = await client.sendMail(
            { from: 'a@example.com', to: ['a@example.org', 'b@example.org', 'c@example.org'] },
            te.encode('x\r\n'),
          );
          await client.quit();
          await srv.done();
          expect(
            result.recipients.map((r) => `${r.status}:${r.reply.code}:${r.reply.enhanced ?? ''}`),
          ).toEqual(['accepted:250:2.0.0', 'rejected:550:5.1.1', 'deferred:451:4.3.0']);
        } finally {
          await srv.close();
        }
      }),
      { numRuns: 25 },
    );
  });
});
