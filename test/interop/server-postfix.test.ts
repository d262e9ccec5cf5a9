/**
 * Postfix relaying into @smtpkit/server: Postfix's smtp(8) client is strict about replies,
 * pipelining and STARTTLS, so a clean "status=sent" proves our replies are well-formed.
 */
import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import { createTestCertificates } from '@smtpkit/testing';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { interopRequired, programAvailability } from '../support/services';
import { type PostfixInstance, postfixUsable, startPostfix } from './harness/postfix';
import { type RecordingServer, startRecordingServer } from './harness/smtp-server';

const run = promisify(execFile);
const postfix = programAvailability('postfix');
const swaks = programAvailability('swaks');
const root = postfixUsable();
if (!root && interopRequired) throw new Error('a private Postfix needs root and SMTPKIT_INTEROP=1');
if (!root) process.stderr.write('skip: a private Postfix needs root\n');

describe.skipIf(!postfix.available || !swaks.available || !root)(
  'Postfix relays into @smtpkit/server',
  () => {
    let ours: RecordingServer;
    let pf: PostfixInstance;
    beforeAll(async () => {
      const certs = await createTestCertificates();
      ours = await startRecordingServer({ tls: certs.serverOptions });
      pf = await startPostfix({ nextHopPort: ours.port });
    });
    afterAll(async () => {
      await pf?.stop();
      await ours?.close();
    });

    it('a message submitted to Postfix arrives through STARTTLS with status=sent', async () => {
      await run('swaks', [
        '--server',
        '127.0.0.1',
        '--port',
        String(pf.port),
        '--from',
        'origin@example.org',
        '--to',
        'final@example.net,second@example.net',
        '--header',
        'Subject: via postfix',
        '--body',
        'hello through postfix\n.leading dot\n',
      ]);
      await ours.waitForMessages(1);
      const m = ours.messages[0]!;
      expect(m.from).toBe('<origin@example.org>');
      expect([...m.to].sort()).toEqual(['<final@example.net>', '<second@example.net>']);
      expect(m.body).toMatch(/^Received: from /);
      expect(m.body).toContain('Subject: via postfix\r\n');
      expect(m.body).toContain('\r\n.leading dot\r\n');
      expect(m.tls).toBe(true);
      const sent = await pf.waitForLog(/status=sent \(250 2\.0\.0 Ok: queued\)/);
      expect(sent).toContain('status=sent');
      // Our side as Postfix's smtp(8) client saw it (smtpd's probe disconnect is the harness's).
      expect(pf.log()).not.toMatch(
        /postfix\/smtp\[\d+\]: .*(?:improper|lost connection|warning|protocol error)/,
      );
    });
  },
);
