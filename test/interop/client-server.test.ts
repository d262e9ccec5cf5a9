/**
 * @smtpkit/client against @smtpkit/server over loopback: STARTTLS with a CA from
 * @smtpkit/testing, every AUTH mechanism (SCRAM-SHA-256 with stored credentials), pipelining,
 * BDAT, SMTPUTF8, LMTP per-recipient replies — two independent implementations of the same
 * RFCs checking each other.
 */

import type { AddressInfo } from 'node:net';
import { createServer as createTlsServer, connect as tlsConnect } from 'node:tls';
import { connect, createPool } from '@smtpkit/client';
import {
  type AuthRequest,
  type CreateServerOptions,
  createServer,
  deriveScramCredentials,
  type SmtpServer,
} from '@smtpkit/server';
import { createTestCertificates, type TestCertificates } from '@smtpkit/testing';
import { formatPath, SmtpReplyError } from '@smtpkit/wire';
import { afterEach, beforeAll, describe, expect, it } from 'vitest';

const te = new TextEncoder();
const USER = 'alice';
const PASS = 'pencil';
const TOKEN = 'ya29.token';

interface Stored {
  from: string;
  to: string[];
  body: string;
  auth: string | undefined;
  tls: boolean;
}

let certs: TestCertificates;
beforeAll(async () => {
  certs = await createTestCertificates();
});

let server: SmtpServer | undefined;
afterEach(async () => {
  await server?.close({ deadline: 500 });
  server = undefined;
});

async function start(
  extra: Partial<CreateServerOptions> = {},
): Promise<{ port: number; stored: Stored[]; mechanisms: string[] }> {
  const stored: Stored[] = [];
  /** The mechanism of every AUTH the backend accepted. */
  const mechanisms: string[] = [];
  const scram = deriveScramCredentials(PASS, new Uint8Array(16).fill(7));
  server = createServer({
    hostname: 'server.test',
    tls: certs.serverOptions,
    ...extra,
    backend: {
      openSession() {
        let from = '';
        let to: string[] = [];
        return {
          mail(path) {
            from = formatPath(path);
            to = [];
          },
          rcpt(path) {
            const address = formatPath(path);
            if (address.startsWith('<nobody@')) {
              throw new SmtpReplyError({ code: 550, enhanced: '5.1.1', lines: ['no such user'] });
            }
            to.push(address);
          },
          async data(body, context) {
            const chunks: Buffer[] = [];
            for await (const c of body) chunks.push(Buffer.from(c));
            stored.push({
              from,
              to,
              body: Buffer.concat(chunks).toString('utf8'),
              auth: context.authenticatedAs,
              tls: context.tls !== undefined,
            });
          },
          auth(request: AuthRequest) {
            const ok =
              request.username === USER &&
              (request.mechanism === 'PLAIN' || request.mechanism === 'LOGIN'
                ? request.password === PASS
                : request.mechanism === 'CRAM-MD5'
                  ? request.verify(PASS)
                  : request.mechanism === 'XOAUTH2'
                    ? request.token === TOKEN
                    : true);
            if (!ok) throw new SmtpReplyError({ code: 535, enhanced: '5.7.8', lines: ['bad credentials'] });
            mechanisms.push(request.mechanism);
          },
          scramCredentials: (username) => (username === USER ? scram : undefined),
        };
      },
    },
  });
  const { port } = await server.listen({ port: 0, host: '127.0.0.1' });
  return { port, stored, mechanisms };
}

const opts = (port: number) => ({
  host: '127.0.0.1',
  port,
  security: 'starttls' as const,
  tls: { ca: certs.ca.cert },
  name: 'client.test',
});

describe('client → @smtpkit/server', () => {
  it('STARTTLS, pipelined envelope, BDAT, per-recipient refusal, SMTPUTF8 address', async () => {
    const { port, stored } = await start();
    const client = await connect(opts(port));
    expect(client.tls?.authorized).toBe(true);
    expect(client.capabilities?.pipelining).toBe(true);
    const result = await client.sendMail(
      { from: 'j\u00f6rg@example.com', to: ['b@example.org', 'nobody@example.org'] },
      te.encode('Subject: x\r\n\r\n.dot\r\nh\u00e9\r\n'),
    );
    await client.quit();
    expect(result.accepted).toEqual(['b@example.org']);
    expect(result.rejected).toEqual(['nobody@example.org']);
    expect(result.recipients[1]?.reply.enhanced).toBe('5.1.1');
    expect(stored).toHaveLength(1);
    expect(stored[0]?.body).toBe('Subject: x\r\n\r\n.dot\r\nh\u00e9\r\n');
    expect(stored[0]?.tls).toBe(true);
    expect(result.method).toBe(client.capabilities?.chunking ? 'BDAT' : 'DATA');
  });

  it('DATA path (chunking off) round-trips dot-stuffing exactly', async () => {
    const { port, stored } = await start();
    const client = await connect({ ...opts(port), chunking: false });
    const body = 'Subject: y\r\n\r\n.\r\n..\r\n.x\r\nend\r\n';
    const result = await client.sendMail({ from: 'a@example.com', to: ['b@example.org'] }, te.encode(body));
    await client.quit();
    expect(result.method).toBe('DATA');
    expect(stored[0]?.body).toBe(body);
  });

  for (const method of ['SCRAM-SHA-256-PLUS', 'SCRAM-SHA-256', 'CRAM-MD5', 'PLAIN', 'LOGIN'] as const) {
    it(`AUTH ${method} after STARTTLS`, async () => {
      const { port, stored } = await start();
      const client = await connect({ ...opts(port), auth: { user: USER, pass: PASS }, authMethod: method });
      await client.sendMail({ from: 'a@example.com', to: ['b@example.org'] }, te.encode('x\r\n'));
      await client.quit();
      expect(stored[0]?.auth).toBe(USER);
    });
  }

  it('AUTH picks SCRAM-SHA-256-PLUS by default on TLS 1.3; a wrong password is a 535 SmtpReplyError', async () => {
    const { port, mechanisms } = await start();
    const events: string[] = [];
    const ok = await connect({
      ...opts(port),
      auth: { user: USER, pass: PASS },
      onEvent: (e) => (e.type === 'command' ? events.push(e.line) : undefined),
    });
    expect(ok.tls?.protocol).toBe('TLSv1.3');
    await ok.quit();
    expect(events).toContain('AUTH SCRAM-SHA-256-PLUS <redacted>');
    expect(mechanisms).toEqual(['SCRAM-SHA-256-PLUS']);
    const error = await connect({ ...opts(port), auth: { user: USER, pass: 'wrong' } }).catch((e) => e);
    expect(error).toMatchObject({ name: 'SmtpReplyError', verb: 'AUTH', replyCode: 535 });
  });

  it('on TLS 1.2 there is nothing to bind to: no -PLUS offered, SCRAM-SHA-256 chosen', async () => {
    const { port, mechanisms } = await start();
    const tls12 = { ...opts(port), tls: { ca: certs.ca.cert, maxVersion: 'TLSv1.2' as const } };
    const client = await connect({ ...tls12, auth: { user: USER, pass: PASS } });
    expect(client.tls?.protocol).toBe('TLSv1.2');
    expect(client.capabilities?.auth).not.toContain('SCRAM-SHA-256-PLUS');
    await client.quit();
    expect(mechanisms).toEqual(['SCRAM-SHA-256']);
    const forced = await connect({
      ...tls12,
      auth: { user: USER, pass: PASS },
      authMethod: 'SCRAM-SHA-256-PLUS',
    }).catch((e) => e);
    expect(forced).toMatchObject({ code: 'ERR_SMTP_UNSUPPORTED' });
  });

  it('channel binding defeats a TLS-terminating relay: -PLUS fails through it, plain SCRAM does not', async () => {
    // A man in the middle the client trusts (it holds a certificate from the same CA) relays
    // every byte between its own TLS session with the client and another with the server.
    const { port, mechanisms } = await start({ secure: true });
    const relay = createTlsServer(certs.serverOptions, (fromClient) => {
      const toServer = tlsConnect({ host: '127.0.0.1', port, ca: certs.ca.cert });
      fromClient.pipe(toServer).pipe(fromClient);
      const close = () => {
        fromClient.destroy();
        toServer.destroy();
      };
      fromClient.on('error', close);
      toServer.on('error', close);
    });
    await new Promise<void>((resolve) => relay.listen(0, '127.0.0.1', resolve));
    const relayPort = (relay.address() as AddressInfo).port;
    try {
      const viaRelay = { ...opts(relayPort), security: 'tls' as const, auth: { user: USER, pass: PASS } };
      const bound = await connect({ ...viaRelay, authMethod: 'SCRAM-SHA-256-PLUS' }).catch((e) => e);
      expect(bound).toMatchObject({ name: 'SmtpReplyError', verb: 'AUTH', replyCode: 535 });
      const unbound = await connect({ ...viaRelay, authMethod: 'SCRAM-SHA-256' });
      await unbound.quit();
      expect(mechanisms).toEqual(['SCRAM-SHA-256']);
    } finally {
      await new Promise((resolve) => relay.close(resolve));
    }
  });

  it('AUTH XOAUTH2 with a token', async () => {
    const { port, stored } = await start();
    const client = await connect({ ...opts(port), auth: { user: USER, accessToken: TOKEN } });
    await client.sendMail({ from: 'a@example.com', to: ['b@example.org'] }, te.encode('x\r\n'));
    await client.quit();
    expect(stored[0]?.auth).toBe(USER);
  });

  it('a pool sends 50 messages over 4 connections', async () => {
    const { port, stored } = await start();
    const pool = createPool({ ...opts(port), maxConnections: 4 });
    await Promise.all(
      Array.from({ length: 50 }, (_, i) =>
        pool.sendMail({ from: 'a@example.com', to: [`u${i}@example.org`] }, te.encode(`n ${i}\r\n`)),
      ),
    );
    await pool.close();
    expect(stored).toHaveLength(50);
  });

  it('one pooled connection, DATA path, 30 concurrent sends arrive intact and in order', async () => {
    const { port, stored } = await start();
    const pool = createPool({ ...opts(port), chunking: false, maxConnections: 1 });
    await Promise.all(
      Array.from({ length: 30 }, (_, i) =>
        pool.sendMail({ from: 'a@example.com', to: [`c${i}@example.org`] }, te.encode(`m ${i}\r\n`)),
      ),
    );
    await pool.close();
    expect(stored.map((m) => m.body)).toEqual(Array.from({ length: 30 }, (_, i) => `m ${i}\r\n`));
  });
});
