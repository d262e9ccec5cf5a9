/**
 * STARTTLS (RFC 3207): security modes, certificate verification, and the 2021 response
 * injection — bytes sent after the 220 in plaintext must never be taken as post-TLS replies.
 */
import { beforeAll, describe, expect, it } from 'vitest';
import { type ClientEvent, connect } from '../src/index';
import { makeTestCertificate, type TestCertificate } from './helpers/certs';
import { baseOptions, expectQuit, greetAndEhlo, useScriptedServer } from './helpers/session';

let cert: TestCertificate;
beforeAll(() => {
  cert = makeTestCertificate();
});

const serve = useScriptedServer();

describe('RFC 3207 STARTTLS', () => {
  it('§4.2 response injection: "220 ready\\r\\n250-INJECTED..." in one packet cannot add capabilities', async () => {
    const server = await serve(async (peer) => {
      await greetAndEhlo(peer, ['STARTTLS']);
      await peer.expect('STARTTLS\r\n');
      // The attack: plaintext lines right behind the 220, hoping to answer the post-TLS EHLO.
      await peer.send('220 ready\r\n250-INJECTED\r\n250-AUTH PLAIN\r\n250 SMTPUTF8\r\n');
      await peer.startTls(cert);
      await peer.expect('EHLO client.test\r\n');
      await peer.send('250-mx.test secured\r\n250 PIPELINING\r\n');
      await expectQuit(peer);
    });
    const events: ClientEvent[] = [];
    const client = await connect({
      ...baseOptions(server.port),
      security: 'starttls',
      tls: { ca: cert.cert },
      onEvent: (e) => events.push(e),
    });
    expect(client.capabilities?.extensions.has('INJECTED')).toBe(false);
    expect(client.capabilities?.auth).toEqual([]);
    expect(client.capabilities?.smtpUtf8).toBe(false);
    expect(client.capabilities?.pipelining).toBe(true);
    expect(client.capabilities?.greeting).toBe('secured');
    expect(client.tls).toMatchObject({ authorized: true, via: 'starttls', peerSubject: 'localhost' });
    expect(client.tls?.protocol).toMatch(/^TLSv1\.[23]$/);
    expect(events.some((e) => e.type === 'discarded' && e.bytes > 0)).toBe(true);
    await client.quit();
    await server.done();
  });

  it("security 'starttls' fails when STARTTLS is not offered, and never sends a transaction in plaintext", async () => {
    const server = await serve(async (peer) => {
      await greetAndEhlo(peer, ['PIPELINING']);
      const rest = await peer.closed();
      expect(rest.toString()).toBe('');
    });
    const error = await connect({
      ...baseOptions(server.port),
      security: 'starttls',
    }).catch((e) => e);
    await server.done();
    expect(error).toMatchObject({ name: 'SmtpClientError', code: 'ERR_SMTP_TLS', phase: 'tls' });
  });

  it('certificate verification is on for starttls: an untrusted self-signed cert fails the handshake', async () => {
    const server = await serve(async (peer) => {
      await greetAndEhlo(peer, ['STARTTLS']);
      await peer.expect('STARTTLS\r\n');
      await peer.send('220 ready\r\n');
      await peer.startTls(cert).catch(() => undefined);
    });
    const error = await connect({
      ...baseOptions(server.port),
      security: 'starttls',
    }).catch((e) => e);
    await server.done();
    expect(error).toMatchObject({ name: 'SmtpClientError', code: 'ERR_SMTP_TLS', phase: 'tls' });
    expect(String(error.message)).toMatch(/self[- ]signed/i);
  });

  it("opportunistic: STARTTLS when offered, unverified by default; 'none' never upgrades", async () => {
    const server = await serve(async (peer) => {
      await greetAndEhlo(peer, ['STARTTLS']);
      await peer.expect('STARTTLS\r\n');
      await peer.send('220 ready\r\n');
      await peer.startTls(cert);
      await peer.expect('EHLO client.test\r\n');
      await peer.send('250 mx.test\r\n');
      await expectQuit(peer);
    });
    const client = await connect({ host: '127.0.0.1', port: server.port, name: 'client.test' });
    expect(client.tls).toMatchObject({ authorized: false, via: 'starttls' });
    await client.quit();
    await server.done();
  });

  it('AUTH is refused over plaintext unless allowInsecureAuth', async () => {
    const server = await serve(async (peer) => {
      await greetAndEhlo(peer, ['AUTH PLAIN LOGIN']);
      const rest = await peer.closed();
      expect(rest.toString()).not.toContain('AUTH');
    });
    const error = await connect({
      ...baseOptions(server.port),
      auth: { user: 'u', pass: 'hunter2' },
    }).catch((e) => e);
    await server.done();
    expect(error).toMatchObject({ code: 'ERR_SMTP_AUTH', phase: 'auth' });
    expect(String(error.message)).not.toContain('hunter2');
  });
});
