// createTestCertificates: a CA and host certificates that node:tls accepts, over loopback.
import { X509Certificate } from 'node:crypto';
import { once } from 'node:events';
import type { AddressInfo } from 'node:net';
import { type ConnectionOptions, connect, createServer, type TLSSocket } from 'node:tls';
import { createTestCertificates, type TestCertificates } from '@smtpkit/testing';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

let certs: TestCertificates;
const servers: ReturnType<typeof createServer>[] = [];

beforeAll(async () => {
  certs = await createTestCertificates({ names: ['mx.example.test'] });
});

afterAll(() => {
  for (const server of servers) server.close();
});

async function serve(pair: { key: string; cert: string }, requestCert = false): Promise<number> {
  const server = createServer(
    { ...pair, ca: certs.ca.cert, requestCert, rejectUnauthorized: false },
    (socket) => {
      socket.end(socket.authorized ? 'client-ok\n' : 'hello\n');
    },
  );
  server.on('tlsClientError', () => {});
  servers.push(server);
  server.listen(0, '127.0.0.1');
  await once(server, 'listening');
  return (server.address() as AddressInfo).port;
}

function handshake(port: number, options: ConnectionOptions): Promise<TLSSocket> {
  return new Promise((resolve, reject) => {
    const socket = connect({ port, host: '127.0.0.1', ...options }, () => resolve(socket));
    socket.once('error', reject);
  });
}

describe('createTestCertificates', () => {
  it('issues a CA and a host certificate with SANs localhost, 127.0.0.1, ::1 and the names given', () => {
    const ca = new X509Certificate(certs.ca.cert);
    const host = new X509Certificate(certs.server.cert);
    expect(ca.ca).toBe(true);
    expect(host.ca).toBe(false);
    expect(host.verify(ca.publicKey)).toBe(true);
    expect(host.checkHost('localhost')).toBe('localhost');
    expect(host.checkHost('mx.example.test')).toBe('mx.example.test');
    expect(host.checkIP('127.0.0.1')).toBe('127.0.0.1');
    expect(host.checkIP('::1')).toBe('::1');
    expect(certs.names).toEqual(['localhost', '127.0.0.1', '::1', 'mx.example.test']);
  });

  it('node:tls verifies the host certificate against the CA, by name and by IP', async () => {
    const port = await serve(certs.serverOptions);
    const byName = await handshake(port, { ca: certs.ca.cert, servername: 'mx.example.test' });
    expect(byName.authorized).toBe(true);
    byName.destroy();
    const byIp = await handshake(port, { ca: certs.ca.cert });
    expect(byIp.authorized).toBe(true);
    byIp.destroy();
  });

  it('without the CA, or for another name, verification fails', async () => {
    const port = await serve(certs.serverOptions);
    // node's TLS server sends the CA along with the leaf, so the chain ends in an untrusted root.
    await expect(handshake(port, { servername: 'localhost' })).rejects.toMatchObject({
      code: 'SELF_SIGNED_CERT_IN_CHAIN',
    });
    await expect(handshake(port, { ca: certs.ca.cert, servername: 'other.example' })).rejects.toMatchObject({
      code: 'ERR_TLS_CERT_ALTNAME_INVALID',
    });
  });

  it('issue() makes expired certificates and client certificates from the same CA', async () => {
    const expired = await certs.issue({
      names: ['localhost'],
      notBefore: new Date(Date.now() - 48 * 3_600_000),
      notAfter: new Date(Date.now() - 24 * 3_600_000),
    });
    const port = await serve(expired);
    await expect(handshake(port, { ca: certs.ca.cert, servername: 'localhost' })).rejects.toMatchObject({
      code: 'CERT_HAS_EXPIRED',
    });

    const client = await certs.issue({ names: ['client.example.test'], usage: 'client' });
    const mutual = await serve(certs.serverOptions, true);
    const socket = await handshake(mutual, { ca: certs.ca.cert, servername: 'localhost', ...client });
    const [line] = (await once(socket, 'data')) as [Buffer];
    expect(line.toString()).toBe('client-ok\n');
    socket.destroy();
    await expect(certs.issue({ names: [] })).rejects.toBeInstanceOf(TypeError);
  });

  it('RSA keys on request', async () => {
    const rsa = await createTestCertificates({ keyAlgorithm: 'rsa-2048' });
    expect(new X509Certificate(rsa.server.cert).publicKey.asymmetricKeyType).toBe('rsa');
    const port = await serve(rsa.serverOptions);
    const socket = await handshake(port, { ca: rsa.ca.cert, servername: 'localhost' });
    expect(socket.authorized).toBe(true);
    socket.destroy();
  });
});
