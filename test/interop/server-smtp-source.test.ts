/**
 * Postfix's smtp-source (a load client) against @smtpkit/server: many sessions in parallel,
 * reused connections, 4 KiB and 100 KiB messages, every one stored.
 */
import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { programAvailability } from '../support/services';
import { type RecordingServer, startRecordingServer } from './harness/smtp-server';

const run = promisify(execFile);
const smtpSource = programAvailability('/usr/sbin/smtp-source');

describe.skipIf(!smtpSource.available)('smtp-source → @smtpkit/server', () => {
  let s: RecordingServer;
  beforeAll(async () => {
    s = await startRecordingServer({});
  });
  afterAll(() => s.close());

  it('20 parallel sessions, 200 messages of 4 KiB over reused connections', async () => {
    await run('/usr/sbin/smtp-source', [
      '-d',
      '-s',
      '20',
      '-m',
      '200',
      '-l',
      '4096',
      '-f',
      'load@example.org',
      '-t',
      'sink@example.net',
      `127.0.0.1:${s.port}`,
    ]);
    await s.waitForMessages(200);
    expect(s.messages).toHaveLength(200);
    for (const m of s.messages) {
      expect(m.from).toBe('<load@example.org>');
      expect(m.body.length).toBeGreaterThanOrEqual(4096);
    }
    expect(s.server.metrics().messagesAccepted).toBe(200);
  });

  it('one connection per message, 5 recipients each, 100 KiB bodies', async () => {
    const before = s.messages.length;
    await run('/usr/sbin/smtp-source', [
      '-s',
      '4',
      '-m',
      '20',
      '-r',
      '5',
      '-l',
      String(100 * 1024),
      '-f',
      'load@example.org',
      '-t',
      'sink@example.net',
      `127.0.0.1:${s.port}`,
    ]);
    await s.waitForMessages(before + 20);
    const batch = s.messages.slice(before);
    expect(batch).toHaveLength(20);
    for (const m of batch) expect(m.to).toHaveLength(5);
  });
});
