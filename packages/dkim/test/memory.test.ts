/** Streaming: signing a 512 MiB body keeps resident memory flat (run in a child process for a clean measurement). */
import { execFile } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';

const script = fileURLToPath(new URL('./fixtures/sign-large-body.ts', import.meta.url));

describe('memory', () => {
  it('signing a 512 MiB streamed body grows RSS by less than 32 MiB', async () => {
    const stdout = await new Promise<string>((resolve, reject) => {
      execFile(
        process.execPath,
        ['--import', 'tsx', script, String(512 * 1024 * 1024)],
        { timeout: 240_000 },
        (error, out, err) => (error ? reject(new Error(err, { cause: error })) : resolve(out)),
      );
    });
    const report = JSON.parse(stdout) as { growth: number; signatures: number; seconds: number };
    process.stdout.write(
      `512 MiB signed in ${report.seconds.toFixed(2)} s, RSS growth ${(report.growth / 2 ** 20).toFixed(1)} MiB\n`,
    );
    expect(report.signatures).toBe(2);
    expect(report.growth).toBeLessThan(32 * 1024 * 1024);
  }, 300_000);
});
