/**
 * Postfix's `smtp-sink` on a free loopback port, with its fault flags (`-f` hard reject,
 * `-r` soft reject, `-q` disconnect, `-w` delay, `-p` no PIPELINING, `-e` no ESMTP, `-L`
 * LMTP) and optional dumps of what it received (`-d`).
 */
import { type ChildProcess, spawn } from 'node:child_process';
import { chmodSync, mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { tcpReachable } from '../../support/services';
import { freePort } from './ports';

/** Where the binary lives on Debian. */
export const SMTP_SINK = '/usr/sbin/smtp-sink';

/** A running smtp-sink. */
export interface SmtpSink {
  readonly port: number;
  /** Files dumped with `-d` (only when started with `dump: true`). */
  dumps(): string[];
  stop(): Promise<void>;
}

/** Starts smtp-sink with extra `flags`; `dump` keeps every message in a temp folder. */
export async function startSmtpSink(
  flags: readonly string[] = [],
  options: { dump?: boolean; backlog?: number } = {},
): Promise<SmtpSink> {
  const port = await freePort();
  const dir = mkdtempSync(join(tmpdir(), 'smtpkit-sink-'));
  chmodSync(dir, 0o777); // smtp-sink writes dumps as `nobody`.
  const args = [
    ...(process.getuid?.() === 0 ? ['-u', 'nobody'] : []),
    ...(options.dump ? ['-d', `${dir}/%M.`] : []),
    ...flags,
    `127.0.0.1:${port}`,
    String(options.backlog ?? 256),
  ];
  const child: ChildProcess = spawn(SMTP_SINK, args, { stdio: 'ignore' });
  const deadline = Date.now() + 10_000;
  while (!(await tcpReachable(port))) {
    if (Date.now() > deadline || child.exitCode !== null)
      throw new Error(`smtp-sink ${args.join(' ')} did not start`);
    await sleep(50);
  }
  return {
    port,
    dumps: () => readdirSync(dir).map((f) => readFileSync(join(dir, f), 'latin1')),
    async stop() {
      child.kill('SIGTERM');
      await new Promise((resolve) =>
        child.exitCode !== null ? resolve(undefined) : child.once('exit', resolve),
      );
      rmSync(dir, { recursive: true, force: true });
    },
  };
}
