/**
 * swaks (an independent SMTP client) as the interop tests run it: whether it can do TLS, and
 * the arguments every run shares.
 */
import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import { interopRequired } from '../../support/services';

const run = promisify(execFile);

/**
 * Whether swaks can do STARTTLS: it needs Net::SSLeay (Debian libnet-ssleay-perl). Under
 * SMTPKIT_INTEROP=1 a swaks without it is an error; otherwise one skip line is printed.
 */
export async function swaksHasTls(swaksAvailable: boolean): Promise<boolean> {
  if (!swaksAvailable) return false;
  const { stdout, stderr } = await run('swaks', ['--support']).catch(
    (e: { stdout: string; stderr: string }) => e,
  );
  const ok = /=== TLS supported/.test(`${stdout}${stderr}`);
  if (!ok && interopRequired)
    throw new Error('swaks lacks TLS (install libnet-ssleay-perl) and SMTPKIT_INTEROP=1');
  if (!ok) process.stderr.write('skip: swaks without TLS support (libnet-ssleay-perl)\n');
  return ok;
}

/**
 * swaks arguments for one message to a loopback server on `port`: EHLO `swaks.test`, from
 * `sender@example.org` to `rcpt@example.net`, then `extra` (a later `--to` replaces the default).
 */
export function swaksArgs(port: number, timeoutSeconds: number, ...extra: string[]): string[] {
  return [
    '--server',
    '127.0.0.1',
    '--port',
    String(port),
    '--ehlo',
    'swaks.test',
    '--from',
    'sender@example.org',
    '--to',
    'rcpt@example.net',
    '--timeout',
    String(timeoutSeconds),
    ...extra,
  ];
}
