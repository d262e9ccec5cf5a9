/**
 * @smtpkit/client against @smtpkit/server over loopback, one test per extension: DATA with
 * PIPELINING, BDAT + BINARYMIME, STARTTLS and implicit TLS, every AUTH mechanism, SIZE,
 * SMTPUTF8, DSN, REQUIRETLS, LMTP.
 */
import { randomBytes } from 'node:crypto';
import { type ConnectOptions, connect, sendMail } from '@smtpkit/client';
import {
  type AuthRequest,
  type BackendSession,
  type CreateServerOptions,
  createServer,
  deriveScramCredentials,
  type SmtpServer,
} from '@smtpkit/server';
import { createTestCertificates, type TestCertificates } from '@smtpkit/testing';
import { formatPath, type MailParameters, type RcptParameters, SmtpReplyError } from '@smtpkit/wire';
import { afterEach, beforeAll, describe, expect, it } from 'vitest';

interface Seen {
  mail: MailParameters[];
  rcpt: RcptParameters[];
  bodies: Buffer[];
  auth: string[];
}

const scram = deriveScramCredentials('secret', randomBytes(16));

function judge(request: AuthRequest): void {
  const ok =
    request.username === 'alice' &&
    (request.mechanism === 'PLAIN' || request.mechanism === 'LOGIN'
      ? request.password === 'secret'
      : request.mechanism === 'CRAM-MD5'
        ? request.verify('secret')
        : request.mechanism === 'XOAUTH2'
          ? request.token === 'token-1'
          : true);
  if (!ok)
    throw new SmtpReplyError({ code: 535, enhanced: '5.7.8', lines: ['Authentication credentials invalid'] });
}

let certs: TestCertificates;
let server: SmtpServer | undefined;
beforeAll(async () => {
  certs = await createTestCertificates();
});
afterEach(async () => {
  await server?.close({ deadline: 200 });
  server = undefined;
});

async function start(
  options: Partial<CreateServerOptions> = {},
  data?: BackendSession['data'],
): Promise<{ port: number; seen: Seen }> {
  const seen: Seen = { mail: [], rcpt: [], bodies: [], auth: [] };
  server = createServer({
    hostname: 'smtpkit.test',
    tls: certs.serverOptions,
    ...options,
    backend: {
      openSession: () => ({
        mail(_path, params) {
          seen.mail.push(params);
        },
        rcpt(path, params) {
          if (formatPath(path) === '<refused@example.net>') {
            throw new SmtpReplyError({ code: 550, enhanced: '5.1.1', lines: ['No such user'] });
          }
          seen.rcpt.push(params);
        },
        data:
          data ??
          (async (body) => {
            const chunks: Buffer[] = [];
            for await (const chunk of body) chunks.push(Buffer.from(chunk));
            seen.bodies.push(Buffer.concat(chunks));
          }),
        auth(request) {
          judge(request);
          seen.auth.push(request.mechanism);
        },
        scramCredentials: (username) => (username === 'alice' ? scram : undefined),
      }),
    },
  });
  const { port } = await server.listen({ port: 0 });
  return { port, seen };
}

const tls = () => ({ ca: certs.ca.cert, servername: 'localhost' });
const base = (port: number): ConnectOptions => ({ host: '127.0.0.1', port, name: 'client.test', tls: tls() });
const text = (s: string) => Buffer.from(s, 'utf8');

describe('@smtpkit/client → @smtpkit/server', () => {
  it('DATA with PIPELINING: per-recipient results, a refused recipient is a value', async () => {
    const { port, seen } = await start();
    const result = await sendMail({
      ...base(port),
      security: 'starttls',
      chunking: false,
      envelope: { from: 'a@example.org', to: ['b@example.net', 'refused@example.net'] },
      body: text('Subject: hi\r\n\r\n.leading dot\r\nbye\r\n'),
    });
    expect(result.accepted).toEqual(['b@example.net']);
    expect(result.rejected).toEqual(['refused@example.net']);
    expect(seen.bodies[0]!.toString()).toBe('Subject: hi\r\n\r\n.leading dot\r\nbye\r\n');
  });

  it('RFC 3030 BDAT + BINARYMIME: a binary body arrives byte for byte', async () => {
    const { port, seen } = await start();
    const body = Buffer.concat([
      text('Content-Type: application/octet-stream\r\n\r\n'),
      randomBytes(300_000),
    ]);
    const result = await sendMail({
      ...base(port),
      security: 'starttls',
      envelope: { from: 'a@example.org', to: ['b@example.net'] },
      body,
      bodyType: 'BINARYMIME',
    });
    expect(result.accepted).toEqual(['b@example.net']);
    expect(seen.mail[0]!.body).toBe('BINARYMIME');
    expect(seen.bodies[0]!.equals(body)).toBe(true);
  });

  it('implicit TLS (RFC 8314) with REQUIRETLS (RFC 8689) and DSN parameters (RFC 3461)', async () => {
    const { port, seen } = await start({ secure: true });
    const result = await sendMail({
      ...base(port),
      security: 'tls',
      envelope: {
        from: 'a@example.org',
        to: [{ address: 'b@example.net', notify: ['FAILURE', 'DELAY'], orcpt: 'b@example.net' }],
        dsn: { ret: 'HDRS', envid: 'env+1' },
      },
      body: text('Subject: dsn\r\n\r\nx\r\n'),
      requireTls: true,
    });
    expect(result.accepted).toEqual(['b@example.net']);
    expect(seen.mail[0]).toMatchObject({ ret: 'HDRS', envid: 'env+1', requireTls: true });
    expect(seen.rcpt[0]).toMatchObject({ notify: ['FAILURE', 'DELAY'], orcpt: { address: 'b@example.net' } });
  });

  for (const mechanism of ['PLAIN', 'LOGIN', 'CRAM-MD5', 'SCRAM-SHA-256'] as const) {
    it(`RFC 4954 AUTH ${mechanism} after STARTTLS`, async () => {
      const { port, seen } = await start();
      const client = await connect({
        ...base(port),
        security: 'starttls',
        auth: { user: 'alice', pass: 'secret' },
        authMethod: mechanism,
      });
      await client.quit();
      expect(seen.auth).toEqual([mechanism]);
    });
  }

  it('XOAUTH2 bearer token', async () => {
    const { port, seen } = await start();
    const client = await connect({
      ...base(port),
      security: 'starttls',
      auth: { user: 'alice', accessToken: 'token-1' },
      authMethod: 'XOAUTH2',
    });
    await client.quit();
    expect(seen.auth).toEqual(['XOAUTH2']);
  });

  it('RFC 1870 SIZE: an oversize message is refused, the connection stays usable', async () => {
    const { port, seen } = await start({ limits: { maxMessageSize: 10_000 } });
    const client = await connect({ ...base(port), security: 'starttls', chunking: false });
    const big = await client
      .sendMail(
        { from: 'a@example.org', to: ['b@example.net'] },
        (async function* () {
          for (let i = 0; i < 50; i++) yield text(`${'z'.repeat(998)}\r\n`);
        })(),
      )
      .then(
        (r) => r.rejected,
        (e: unknown) => e,
      );
    expect(big).toEqual(['b@example.net']);
    const ok = await client.sendMail({ from: 'a@example.org', to: ['b@example.net'] }, text('small\r\n'));
    expect(ok.accepted).toEqual(['b@example.net']);
    await client.quit();
    expect(seen.bodies.map((b) => b.toString())).toEqual(['small\r\n']);
  });

  it('RFC 6531 SMTPUTF8: a UTF-8 mailbox goes through', async () => {
    const { port, seen } = await start();
    const result = await sendMail({
      ...base(port),
      security: 'starttls',
      envelope: { from: 'josé@example.org', to: ['χρήστης@example.net'] },
      body: text('Subject: utf8\r\n\r\nγεια\r\n'),
    });
    expect(result.accepted).toEqual(['χρήστης@example.net']);
    expect(seen.mail[0]!.smtpUtf8).toBe(true);
  });

  it('RFC 2033 LMTP: one result per recipient from the backend', async () => {
    const { port } = await start({ lmtp: true }, async (body) => {
      for await (const _ of body) {
        // drain
      }
      return [undefined, new SmtpReplyError({ code: 452, enhanced: '4.2.2', lines: ['Mailbox full'] })];
    });
    const result = await sendMail({
      ...base(port),
      security: 'starttls',
      lmtp: true,
      envelope: { from: 'a@example.org', to: ['one@example.net', 'two@example.net'] },
      body: text('Subject: lmtp\r\n\r\nx\r\n'),
    });
    expect(result.accepted).toEqual(['one@example.net']);
    expect(result.deferred).toEqual(['two@example.net']);
  });
});
