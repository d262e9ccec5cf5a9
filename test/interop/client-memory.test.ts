/**
 * Memory stays flat whatever the message size: a 512 MiB generated body streamed to
 * smtp-sink grows the sending process's peak RSS by less than 64 MiB (measured in a child
 * process, so the test runner's own heap does not count).
 */
import { execFile } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { programAvailability } from '../support/services';
import { SMTP_SINK, type SmtpSink, startSmtpSink } from './harness/smtp-sink';

const sinkAvailable = programAvailability(SMTP_SINK);
const root = fileURLToPath(new URL('../../', import.meta.url));
const child = fileURLToPath(new URL('./harness/client-memory-child.ts', import.meta.url));

describe.skipIf(!sinkAvailable.available)(`client memory (${sinkAvailable.reason})`, () => {
  let sink: SmtpSink;
  beforeAll(async () => {
    sink = await startSmtpSink();
  });
  afterAll(async () => {
    await sink?.stop();
  });

  it('512 MiB body to smtp-sink: peak RSS growth < 64 MiB', { timeout: 300_000 }, async () => {
    const { stdout } = await promisify(execFile)(
      process.execPath,
      ['--expose-gc', '--import', 'tsx', child, String(sink.port), '512'],
      { cwd: root, maxBuffer: 1024 * 1024 },
    );
    const measured = JSON.parse(stdout.trim().split('\n').pop() ?? '{}') as {
      growth: number;
      peak: number;
      seconds: number;
      accepted: string[];
    };
    process.stdout.write(
      `client memory: 512 MiB in ${measured.seconds.toFixed(1)} s, peak RSS growth ${(measured.growth / 2 ** 20).toFixed(1)} MiB\n`,
    );
    expect(measured.accepted).toEqual(['b@example.org']);
    expect(measured.growth).toBeLessThan(64 * 2 ** 20);
  });
});
