/**
 * AUTH (RFC 4954) transcripts for every mechanism, over plaintext with allowInsecureAuth so
 * the bytes can be compared; SCRAM-SHA-256 replays RFC 7677 §3's exchange exactly.
 */
import { describe, expect, it } from 'vitest';
import { type ClientEvent, type ConnectOptions, connect } from '../src/index';
import type { ScriptPeer } from './helpers/scripted-server';
import { useScriptedServer } from './helpers/session';

const serve = useScriptedServer();

const b64 = (s: string) => Buffer.from(s, 'latin1').toString('base64');

async function hello(peer: ScriptPeer, mechanisms: string) {
  await peer.send('220 mx.test ESMTP\r\n');
  await peer.expect('EHLO client.test\r\n');
  await peer.send(`250-mx.test\r\n250 AUTH ${mechanisms}\r\n`);
}

function options(port: number, extra: Partial<ConnectOptions>): ConnectOptions {
  return {
    host: '127.0.0.1',
    port,
    security: 'none',
    name: 'client.test',
    allowInsecureAuth: true,
    ...extra,
  };
}

describe('RFC 4954 AUTH', () => {
  it('PLAIN with an initial response (RFC 4616)', async () => {
    const server = await serve(async (peer) => {
      await hello(peer, 'LOGIN PLAIN');
      await peer.expect(`AUTH PLAIN ${b64('\0user\0pass')}\r\n`);
      await peer.send('235 2.7.0 ok\r\n');
    });
    const client = await connect(options(server.port, { auth: { user: 'user', pass: 'pass' } }));
    await server.done();
    client.close();
  });

  it('LOGIN prompts for username and password', async () => {
    const server = await serve(async (peer) => {
      await hello(peer, 'LOGIN');
      await peer.expect('AUTH LOGIN\r\n');
      await peer.send(`334 ${b64('Username:')}\r\n`);
      await peer.expect(`${b64('user')}\r\n`);
      await peer.send(`334 ${b64('Password:')}\r\n`);
      await peer.expect(`${b64('pass')}\r\n`);
      await peer.send('235 ok\r\n');
    });
    const client = await connect(options(server.port, { auth: { user: 'user', pass: 'pass' } }));
    await server.done();
    client.close();
  });

  it('CRAM-MD5 (RFC 2195 §2 example challenge) is preferred over PLAIN', async () => {
    const server = await serve(async (peer) => {
      await hello(peer, 'PLAIN CRAM-MD5');
      await peer.expect('AUTH CRAM-MD5\r\n');
      await peer.send(`334 ${b64('<1896.697170952@postoffice.reston.mci.net>')}\r\n`);
      await peer.expect(`${b64('tim b913a602c7eda7a495b4e6e7334d3890')}\r\n`);
      await peer.send('235 ok\r\n');
    });
    const client = await connect(options(server.port, { auth: { user: 'tim', pass: 'tanstaaftanstaaf' } }));
    await server.done();
    client.close();
  });

  it('SCRAM-SHA-256 is the strongest: RFC 7677 §3 exchange on the wire, server signature verified', async () => {
    const nonce = Buffer.from('rOprNGfwEbeRWgbNEkqO', 'base64');
    const server = await serve(async (peer) => {
      await hello(peer, 'PLAIN CRAM-MD5 SCRAM-SHA-256');
      await peer.expect(`AUTH SCRAM-SHA-256 ${b64('n,,n=user,r=rOprNGfwEbeRWgbNEkqO')}\r\n`);
      await peer.send(
        `334 ${b64('r=rOprNGfwEbeRWgbNEkqO%hvYDpWUa2RaTCAfuxFIlj)hNlF$k0,s=W22ZaJ0SNY7soEsUEjb6gQ==,i=4096')}\r\n`,
      );
      await peer.expect(
        `${b64('c=biws,r=rOprNGfwEbeRWgbNEkqO%hvYDpWUa2RaTCAfuxFIlj)hNlF$k0,p=dHzbZapWIk4jUhN+Ute9ytag9zjfMHgsqmmiz7AndVQ=')}\r\n`,
      );
      await peer.send(`334 ${b64('v=6rriTRBi23WpRR/wtup+mMhUZUn/dB5nLTJRsjl95G4=')}\r\n`);
      await peer.expect('\r\n');
      await peer.send('235 2.7.0 ok\r\n');
    });
    const client = await connect(
      options(server.port, { auth: { user: 'user', pass: 'pencil' }, random: () => new Uint8Array(nonce) }),
    );
    await server.done();
    client.close();
  });

  it('XOAUTH2: an expired token (334 error, 535) makes the provider renew it once', async () => {
    const calls: boolean[] = [];
    const server = await serve(async (peer) => {
      await hello(peer, 'XOAUTH2 PLAIN');
      await peer.expect(`AUTH XOAUTH2 ${b64('user=u@example.com\x01auth=Bearer old\x01\x01')}\r\n`);
      await peer.send(`334 ${b64('{"status":"401","schemes":"bearer"}')}\r\n`);
      await peer.expect('\r\n');
      await peer.send('535 5.7.8 token expired\r\n');
      await peer.expect(`AUTH XOAUTH2 ${b64('user=u@example.com\x01auth=Bearer new\x01\x01')}\r\n`);
      await peer.send('235 ok\r\n');
    });
    const client = await connect(
      options(server.port, {
        auth: {
          user: 'u@example.com',
          tokenProvider: ({ renew }) => {
            calls.push(renew);
            return renew ? 'new' : 'old';
          },
        },
      }),
    );
    await server.done();
    client.close();
    expect(calls).toEqual([false, true]);
  });

  it('a refusal is an SmtpReplyError with verb AUTH; no secret in the error or in events', async () => {
    const events: ClientEvent[] = [];
    const server = await serve(async (peer) => {
      await hello(peer, 'PLAIN LOGIN');
      await peer.expect(`AUTH LOGIN\r\n`);
      await peer.send(`334 ${b64('Username:')}\r\n`);
      await peer.expect(`${b64('user')}\r\n`);
      await peer.send(`334 ${b64('Password:')}\r\n`);
      await peer.expect(`${b64('s3cret-pw')}\r\n`);
      await peer.send('535 5.7.8 bad credentials\r\n');
    });
    const error = await connect(
      options(server.port, {
        auth: { user: 'user', pass: 's3cret-pw' },
        authMethod: 'LOGIN',
        onEvent: (e) => events.push(e),
      }),
    ).catch((e) => e);
    await server.done();
    expect(error).toMatchObject({ name: 'SmtpReplyError', verb: 'AUTH', replyCode: 535 });
    const everything = JSON.stringify(events) + String(error.message) + String(error.stack);
    expect(everything).not.toContain('s3cret-pw');
    expect(everything).not.toContain(b64('s3cret-pw'));
    expect(everything).toContain('<redacted>');
  });
});
