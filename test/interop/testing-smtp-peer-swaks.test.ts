/**
 * swaks (an independent SMTP client) against @smtpkit/testing's startSmtpPeer: what a real
 * client sees of greylisting, refused recipients, 421, a dropped final reply, and STARTTLS
 * with the test CA or a broken handshake.
 */
import { execFile } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { type SmtpPeer, type SmtpPeerBehaviour, startSmtpPeer } from '@smtpkit/testing';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { programAvailability } from '../support/services';
import { swaksArgs, swaksHasTls } from './harness/swaks';

const run = promisify(execFile);
const swaks = programAvailability('swaks');

const tlsAvailable = await swaksHasTls(swaks.available);

/** Runs swaks; resolves with its transcript and exit code (swaks exits non-zero on a refusal). */
async function send(port: number, ...args: string[]): Promise<{ code: number; out: string }> {
  try {
    const { stdout } = await run('swaks', swaksArgs(port, 10, ...args));
    return { code: 0, out: stdout };
  } catch (error) {
    const e = error as { code?: number; stdout?: string; stderr?: string };
    return { code: typeof e.code === 'number' ? e.code : -1, out: `${e.stdout ?? ''}${e.stderr ?? ''}` };
  }
}

describe.skipIf(!swaks.available)('swaks → startSmtpPeer', () => {
  let peer: SmtpPeer | undefined;
  let dir: string;
  beforeAll(() => {
    dir = mkdtempSync(join(tmpdir(), 'smtpkit-peer-'));
  });
  afterAll(() => rmSync(dir, { recursive: true, force: true }));
  afterEach(async () => {
    await peer?.close();
    peer = undefined;
  });

  const start = async (script: SmtpPeerBehaviour | SmtpPeerBehaviour[]) => {
    peer = await startSmtpPeer(script);
    return peer;
  };

  it('accepts and records a message; greylisting defers the first attempt only', async () => {
    const p = await start({ greylist: true });
    const first = await send(p.port);
    expect(first.code).not.toBe(0);
    expect(first.out).toMatch(/<\*\* 451 4\.7\.1/);
    const second = await send(p.port, '--body', 'hello\n.dot line\n');
    expect(second.code).toBe(0);
    expect(second.out).toMatch(/<- {2}250 2\.0\.0/);
    const [message] = await p.waitForMessages(1);
    expect(message).toMatchObject({
      sender: 'sender@example.org',
      recipients: ['rcpt@example.net'],
      heloName: 'swaks.test',
    });
    expect(new TextDecoder().decode(message?.body)).toContain('\r\n.dot line\r\n');
  });

  it('refused recipient: 550 5.1.1', async () => {
    const p = await start({ rejectRecipients: ['rcpt@example.net'] });
    const result = await send(p.port);
    expect(result.out).toMatch(/<\*\* 550 5\.1\.1/);
  });

  it.each(['mail', 'rcpt', 'data'] as const)('421 at %s, then the peer hangs up', async (stage) => {
    const p = await start({ fail421At: stage });
    const result = await send(p.port);
    expect(result.code).not.toBe(0);
    expect(result.out).toMatch(/<\*\* 421 4\.3\.2/);
  });

  it('no reply after the final dot: swaks sees the connection drop', async () => {
    const p = await start({ dropAfterData: true });
    const result = await send(p.port);
    expect(result.code).not.toBe(0);
    expect(result.out).not.toMatch(/<- {2}250 2\.0\.0 Ok: queued/);
    expect(p.messages).toMatchObject([{ acknowledged: false }]);
  });

  it.skipIf(!tlsAvailable)('STARTTLS verified against the test CA; a broken handshake fails', async () => {
    const p = await start([{ tls: 'starttls' }, { tls: 'broken' }]);
    const ca = join(dir, 'ca.pem');
    writeFileSync(ca, p.certificates?.ca.cert ?? '');
    const good = await send(p.port, '--tls', '--tls-verify', '--tls-ca-path', ca, '--tls-sni', 'localhost');
    expect(good.code).toBe(0);
    expect(p.messages[0]?.tls).toBe(true);
    const bad = await send(p.port, '--tls', '--tls-ca-path', ca);
    expect(bad.code).not.toBe(0);
    expect(bad.out).toMatch(/TLS|SSL/i);
  });
});
