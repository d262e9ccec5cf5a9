/**
 * A throw-away Postfix on loopback for interop tests: it listens on 127.0.0.1:<port>, accepts
 * mail from loopback and relays everything to a loopback next hop (e.g. our server), so tests
 * can use Postfix as a strict SMTP client (its `smtp` delivery agent) or as a receiving peer.
 * Nothing under /etc/postfix is touched; the instance lives in a temporary folder. Needs root
 * (Postfix's master refuses otherwise) and the Debian `postfix` package.
 */
import { execFileSync } from 'node:child_process';
import { chmodSync, chownSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { tcpReachable } from '../../support/services';
import { freePort } from './ports';

/** Options of {@link startPostfix}. */
export interface PostfixOptions {
  /** Where Postfix relays everything it accepts (`relayhost = [127.0.0.1]:port`). */
  readonly nextHopPort: number;
  /** Extra main.cf lines (`name = value`). */
  readonly mainCf?: Readonly<Record<string, string>>;
}

/** A running instance. */
export interface PostfixInstance {
  /** The smtpd port on 127.0.0.1. */
  readonly port: number;
  /** The instance folder (config in `conf/`, log in `maillog`). */
  readonly dir: string;
  /** The log so far. */
  log(): string;
  /** Waits until the log matches `pattern` (or throws after `timeoutMs`). */
  waitForLog(pattern: RegExp, timeoutMs?: number): Promise<string>;
  /** Asks the queue manager to retry deferred mail now. */
  flush(): void;
  /** Stops Postfix and removes the folder. */
  stop(): Promise<void>;
}

/** Whether this process can run a private Postfix (root, binaries present). */
export function postfixUsable(): boolean {
  return process.getuid?.() === 0;
}

/** Starts a private Postfix relaying to `nextHopPort`. */
export async function startPostfix(options: PostfixOptions): Promise<PostfixInstance> {
  const port = await freePort();
  const dir = mkdtempSync(join(tmpdir(), 'smtpkit-postfix-'));
  chmodSync(dir, 0o755); // Postfix daemons (user postfix) must traverse it.
  const conf = join(dir, 'conf');
  for (const d of [conf, join(dir, 'queue'), join(dir, 'data')]) mkdirSync(d, { recursive: true });
  const postfixUid = Number(execFileSync('id', ['-u', 'postfix'], { encoding: 'utf8' }).trim());
  const postfixGid = Number(execFileSync('id', ['-g', 'postfix'], { encoding: 'utf8' }).trim());
  chownSync(join(dir, 'data'), postfixUid, postfixGid);
  const main: Record<string, string> = {
    compatibility_level: '3.6',
    queue_directory: join(dir, 'queue'),
    data_directory: join(dir, 'data'),
    maillog_file: join(dir, 'maillog'),
    maillog_file_prefixes: `${dir}, /dev/stdout`,
    myhostname: 'postfix.test.invalid',
    mydomain: 'test.invalid',
    inet_interfaces: '127.0.0.1',
    inet_protocols: 'ipv4',
    mynetworks: '127.0.0.0/8',
    mydestination: '',
    relay_domains: '',
    local_recipient_maps: '',
    alias_maps: '',
    alias_database: '',
    smtpd_relay_restrictions: 'permit_mynetworks, reject',
    smtpd_recipient_restrictions: 'permit_mynetworks, reject',
    relayhost: `[127.0.0.1]:${options.nextHopPort}`,
    smtp_dns_support_level: 'disabled',
    smtp_host_lookup: 'native',
    smtp_tls_security_level: 'may',
    smtp_tls_loglevel: '1',
    queue_run_delay: '1s',
    minimal_backoff_time: '1s',
    maximal_backoff_time: '2s',
    maximal_queue_lifetime: '5m',
    bounce_queue_lifetime: '5m',
    smtpd_client_connection_rate_limit: '0',
    message_size_limit: '20480000',
    ...options.mainCf,
  };
  writeFileSync(
    join(conf, 'main.cf'),
    `${Object.entries(main)
      .map(([k, v]) => `${k} = ${v}`)
      .join('\n')}\n`,
  );
  // Every service unchrooted: a chroot would need a populated queue folder.
  writeFileSync(
    join(conf, 'master.cf'),
    `127.0.0.1:${port} inet n - n - - smtpd
pickup    unix  n  -  n  60 1 pickup
cleanup   unix  n  -  n  -  0  cleanup
qmgr      unix  n  -  n  300 1 qmgr
tlsmgr    unix  -  -  n  1000? 1 tlsmgr
rewrite   unix  -  -  n  -  -  trivial-rewrite
bounce    unix  -  -  n  -  0  bounce
defer     unix  -  -  n  -  0  bounce
trace     unix  -  -  n  -  0  bounce
verify    unix  -  -  n  -  1  verify
flush     unix  n  -  n  1000? 0 flush
proxymap  unix  -  -  n  -  -  proxymap
smtp      unix  -  -  n  -  -  smtp
relay     unix  -  -  n  -  -  smtp
showq     unix  n  -  n  -  -  showq
error     unix  -  -  n  -  -  error
retry     unix  -  -  n  -  -  error
discard   unix  -  -  n  -  -  discard
anvil     unix  -  -  n  -  1  anvil
scache    unix  -  -  n  -  1  scache
postlog   unix-dgram n - n - 1 postlogd
`,
  );
  execFileSync('postfix', ['-c', conf, 'check'], { stdio: 'ignore' });
  execFileSync('postfix', ['-c', conf, 'start'], { stdio: 'ignore' });
  const log = () => {
    try {
      return readFileSync(join(dir, 'maillog'), 'utf8');
    } catch {
      return '';
    }
  };
  const deadline = Date.now() + 20_000;
  while (!(await tcpReachable(port))) {
    if (Date.now() > deadline) throw new Error(`postfix did not start:\n${log()}`);
    await sleep(200);
  }
  return {
    port,
    dir,
    log,
    async waitForLog(pattern, timeoutMs = 30_000) {
      const end = Date.now() + timeoutMs;
      for (;;) {
        const text = log();
        const m = pattern.exec(text);
        if (m) return m[0];
        if (Date.now() > end) throw new Error(`postfix log never matched ${pattern}:\n${text.slice(-3000)}`);
        await sleep(200);
      }
    },
    flush() {
      execFileSync('postqueue', ['-c', conf, '-f'], { stdio: 'ignore' });
    },
    async stop() {
      try {
        execFileSync('postfix', ['-c', conf, 'stop'], { stdio: 'ignore' });
      } catch {
        // already stopped
      }
      await sleep(300);
      rmSync(dir, { recursive: true, force: true });
    },
  };
}
