/**
 * swaks (a real, independent SMTP client) against @smtpkit/server: plain, PIPELINING,
 * STARTTLS (RFC 3207), AUTH PLAIN and LOGIN (RFC 4954), CRAM-MD5.
 */
import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import { createTestCertificates } from '@smtpkit/testing';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { programAvailability } from '../support/services';
import { type RecordingServer, startRecordingServer, TEST_USER } from './harness/smtp-server';
import { swaksArgs, swaksHasTls } from './harness/swaks';

const run = promisify(execFile);
const swaks = programAvailability('swaks');

const tlsAvailable = await swaksHasTls(swaks.available);

async function send(port: number, ...args: string[]): Promise<string> {
  const { stdout } = await run('swaks', swaksArgs(port, 20, ...args));
  return stdout;
}

describe.skipIf(!swaks.available)('swaks → @smtpkit/server', () => {
  let s: RecordingServer;
  beforeAll(async () => {
    const certs = await createTestCertificates();
    s = await startRecordingServer({
      tls: certs.serverOptions,
      auth: { mechanisms: ['PLAIN', 'LOGIN', 'CRAM-MD5'] },
    });
  });
  afterAll(() => s.close());

  it('plain SMTP: one message, body intact, dot-stuffing undone', async () => {
    const before = s.messages.length;
    const out = await send(s.port, '--header', 'Subject: plain', '--body', 'line one\n.dot line\nlast');
    expect(out).toMatch(/<- {2}250 2\.0\.0 Ok: queued/);
    expect(s.messages).toHaveLength(before + 1);
    const m = s.messages.at(-1)!;
    expect(m.from).toBe('<sender@example.org>');
    expect(m.to).toEqual(['<rcpt@example.net>']);
    expect(m.body).toContain('Subject: plain\r\n');
    expect(m.body).toContain('\r\n.dot line\r\n');
  });

  it('RFC 2920 PIPELINING: swaks --pipeline', async () => {
    const out = await send(s.port, '--pipeline', '--to', 'a@example.net,b@example.net');
    expect(out).toMatch(/PIPELINING/);
    expect(out).toMatch(/250 2\.0\.0 Ok: queued/);
    expect(s.messages.at(-1)!.to).toEqual(['<a@example.net>', '<b@example.net>']);
  });

  it('AUTH is not offered in plaintext', async () => {
    await expect(
      send(s.port, '--auth', 'PLAIN', '--auth-user', 'alice', '--auth-password', 'secret'),
    ).rejects.toThrow();
  });

  it.skipIf(!tlsAvailable)('RFC 3207 STARTTLS', async () => {
    const out = await send(s.port, '--tls');
    expect(out).toMatch(/220 2\.0\.0 Ready to start TLS/);
    expect(out).toMatch(/TLS started/);
    expect(s.messages.at(-1)!.tls).toBe(true);
  });

  for (const mechanism of ['PLAIN', 'LOGIN', 'CRAM-MD5']) {
    it.skipIf(!tlsAvailable)(`RFC 4954 AUTH ${mechanism} over STARTTLS`, async () => {
      const out = await send(
        s.port,
        '--tls',
        '--auth',
        mechanism,
        '--auth-user',
        TEST_USER.username,
        '--auth-password',
        TEST_USER.password,
      );
      expect(out).toMatch(/235 2\.7\.0 Authentication successful/);
      expect(s.messages.at(-1)!.authenticatedAs).toBe('alice');
    });
  }

  it.skipIf(!tlsAvailable)('a wrong password is refused with 535 5.7.8', async () => {
    const failed = await send(
      s.port,
      '--tls',
      '--auth',
      'PLAIN',
      '--auth-user',
      'alice',
      '--auth-password',
      'wrong',
    ).catch((e: { stdout: string }) => e.stdout);
    expect(failed).toMatch(/535 5\.7\.8/);
  });
});
