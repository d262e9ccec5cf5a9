import { X509Certificate } from 'node:crypto';
import type { TLSSocket } from 'node:tls';
import { createTestCertificates, type PemPair } from '@smtpkit/testing';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { RawClient, startServer } from './support/net';

// Test-only import: @smtpkit/testing depends on the server package, never the other way round.
let main: PemPair;
let other: PemPair;
beforeAll(async () => {
  const certificates = await createTestCertificates();
  main = certificates.server; // CN=localhost
  other = await certificates.issue({ names: ['other.test'] });
});

function peerName(client: RawClient): string {
  const raw = (client.socket as TLSSocket).getPeerCertificate().raw;
  return new X509Certificate(raw).subject;
}

describe('RFC 3207 STARTTLS over a socket', () => {
  let server: Awaited<ReturnType<typeof startServer>>['server'];
  let port: number;
  let recorder: Awaited<ReturnType<typeof startServer>>['recorder'];
  beforeAll(async () => {
    ({ server, port, recorder } = await startServer({ tls: { key: main.key, cert: main.cert } }));
  });
  afterAll(() => server.close({ deadline: 100 }));

  it('STARTTLS\\r\\nRSET\\r\\n in one packet: the RSET is never executed; EHLO again after TLS', async () => {
    const c = await RawClient.connect(port);
    await c.reply();
    expect(await c.command('EHLO c')).toContain('250-STARTTLS');
    await c.command('MAIL FROM:<a@example.org>');
    await c.command('RSET');
    const resets = recorder.events.filter((e) => e === 'reset').length;
    c.write('STARTTLS\r\nRSET\r\n');
    expect(await c.reply()).toBe('220 2.0.0 Ready to start TLS\r\n');
    await c.startTls();
    // The first reply inside TLS answers our EHLO, not the injected RSET.
    const ehlo = await c.command('EHLO c');
    expect(ehlo).toMatch(/^250-mx\.test\r\n/);
    expect(ehlo).not.toContain('STARTTLS');
    // One reset for the TLS session restart, none for the injected RSET's 250.
    expect(recorder.events.filter((e) => e === 'reset').length).toBe(resets + 1);
    expect(await c.command('MAIL FROM:<a@example.org>')).toMatch(/^250 /);
    c.close();
  });
});

describe('implicit TLS (RFC 8314), SNI and hot reload', () => {
  it('picks the certificate by SNI and serves new contexts after setSecureContext', async () => {
    const { server, port } = await startServer({
      secure: true,
      tls: { key: main.key, cert: main.cert, sni: { 'other.test': { key: other.key, cert: other.cert } } },
    });
    try {
      const a = await RawClient.connectTls(port, 'localhost');
      expect(await a.reply()).toMatch(/^220 /);
      expect(peerName(a)).toContain('CN=localhost');
      const ehlo = await a.command('EHLO c');
      expect(ehlo).toContain('REQUIRETLS');
      expect(ehlo).not.toContain('STARTTLS');
      a.close();
      const b = await RawClient.connectTls(port, 'other.test');
      expect(peerName(b)).toContain('CN=other.test');
      b.close();
      server.setSecureContext({ key: other.key, cert: other.cert });
      const c = await RawClient.connectTls(port, 'localhost');
      expect(peerName(c)).toContain('CN=other.test');
      c.close();
    } finally {
      await server.close({ deadline: 100 });
    }
  });
});
