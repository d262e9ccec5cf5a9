// `npm run demo`: a whole mail system on loopback, nothing from the internet, in a few seconds.
//
//   client ──587 STARTTLS+AUTH──▶ relay (DKIM-sign, SQLite queue, delivery worker)
//                                   └──MX via in-process DNS──▶ mx.example.org (SPF, DKIM, greylisting)
//
// alice@example.com sends two messages; the MX greylists the first attempt, the queue retries,
// an unknown recipient is refused and the DSN comes back to alice's mailbox. Exits 0 only when
// every claim in the summary was observed.
import { generateKeyPairSync } from 'node:crypto';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { sendMail } from '@smtpkit/client';
import { parseDsn } from '@smtpkit/delivery';
import { formatKeyRecord } from '@smtpkit/dkim';
import { createNodeResolver } from '@smtpkit/dns';
import { createListSchedule } from '@smtpkit/queue';
import { createSqliteQueue } from '@smtpkit/queue-sqlite';
import { createGreylist, createMemoryGreylistStore } from '@smtpkit/server/policy';
import { createTestCertificates, startDnsServer } from '@smtpkit/testing';
import { isSmtpReplyError } from '@smtpkit/wire';
import { createInboundServer } from './lib/inbound';
import { readMaildir } from './lib/maildir';
import { startRelay } from './lib/relay';
import { trace } from './lib/trace';

const timer = setTimeout(() => {
  console.error('demo timed out');
  process.exit(1);
}, 30_000).unref();
const checks: [string, boolean][] = [];
const check = (name: string, ok: boolean) => checks.push([name, ok]);
const events: string[] = [];
const log = (stage: string, message: string) => {
  events.push(`${stage} ${message}`);
  trace(stage, message);
};

const dir = await mkdtemp(join(tmpdir(), 'smtpkit-demo-'));
const cleanup: (() => Promise<unknown>)[] = [() => rm(dir, { recursive: true, force: true })];
try {
  // DNS: both domains' MX is mx.example.org (127.0.0.1); SPF allows 127.0.0.1; alice's DKIM key.
  const dkimKey = generateKeyPairSync('ed25519').privateKey;
  const spf = 'v=spf1 ip4:127.0.0.1 -all';
  const mx = [{ priority: 10, exchange: 'mx.example.org' }];
  const dns = await startDnsServer({
    zone: {
      'example.com': { mx, txt: [spf] },
      'example.org': { mx, txt: [spf] },
      'demo._domainkey.example.com': { txt: [formatKeyRecord(dkimKey)] },
      'smtp.example.com': { a: ['127.0.0.1'], txt: [spf] },
      'mx.example.org': { a: ['127.0.0.1'] },
    },
  });
  cleanup.unshift(() => dns.close());
  log('dns', `serving example.com / example.org (MX, SPF, DKIM key) on ${dns.address}`);
  const resolver = createNodeResolver({ servers: [dns.address], timeout: 1_000, tries: 2 });
  const certs = await createTestCertificates({ names: ['smtp.example.com', 'mx.example.org'] });

  // The MX for both domains, with receive.ts's policy; greylisting shortened to 300 ms.
  const mailboxes = new Set(['alice@example.com', 'bob@example.org', 'carol@example.org']);
  const maildir = join(dir, 'Maildir');
  const inbound = createInboundServer({
    hostname: 'mx.example.org',
    localDomains: ['example.com', 'example.org'],
    mailboxExists: (address) => mailboxes.has(address),
    resolver,
    greylist: createGreylist({ store: createMemoryGreylistStore(), delay: 300 }),
    maildir,
    tls: certs.serverOptions,
    trace: log,
  });
  const mxPort = (await inbound.listen({ port: 0, host: '127.0.0.1' })).port;
  cleanup.unshift(() => inbound.close({ deadline: 500 }));
  log('mx', `mx.example.org listening on 127.0.0.1:${mxPort} (SPF, DKIM, greylisting, STARTTLS)`);

  // The relay: submission with STARTTLS and AUTH, DKIM signing, SQLite queue, delivery worker
  // retrying after 0.6 s instead of Postfix's 5 minutes.
  const queue = createSqliteQueue({ path: join(dir, 'queue.sqlite') });
  cleanup.unshift(() => queue.close());
  queue.subscribe((e) => {
    if (e.type === 'defer')
      log('queue', `${e.address}: attempt ${e.attempts} deferred, retry in ${e.nextAttemptAt - e.at} ms`);
    if (e.type === 'done') log('queue', `${e.messageId} done, removed from the queue`);
  });
  const relay = startRelay({
    hostname: 'smtp.example.com',
    users: new Map([['alice@example.com', 'correct horse battery staple']]),
    queue,
    resolver,
    tls: certs.serverOptions,
    spoolDir: join(dir, 'spool'),
    dkim: [{ domain: 'example.com', selector: 'demo', privateKey: dkimKey }],
    mxPort,
    allowPrivateAddresses: true,
    retrySchedule: createListSchedule([600]),
    trace: log,
  });
  cleanup.unshift(() => relay.close());
  const submissionPort = (await relay.submission.listen({ port: 0, host: '127.0.0.1' })).port;
  log('relay', `submission on 127.0.0.1:${submissionPort}, SQLite queue in ${dir}`);

  // The client: STARTTLS required and verified against the test CA, then AUTH.
  const submit = (to: string[], subject: string, withAuth = true) =>
    sendMail({
      host: '127.0.0.1',
      port: submissionPort,
      name: 'laptop.example.com',
      security: 'starttls',
      tls: { ca: certs.ca.cert, servername: 'smtp.example.com' },
      auth: withAuth ? { user: 'alice@example.com', pass: 'correct horse battery staple' } : undefined,
      envelope: { from: 'alice@example.com', to },
      body: new TextEncoder().encode(
        `From: Alice <alice@example.com>\r\nTo: ${to.join(', ')}\r\nSubject: ${subject}\r\n` +
          `Date: ${new Date().toUTCString()}\r\nMessage-ID: <${Date.now()}.${subject.length}@example.com>\r\n\r\n` +
          'Hello from the smtpkit demo.\r\n',
      ),
    });

  const unauthenticated = await submit(['bob@example.org'], 'no auth', false).then(
    () => undefined,
    (error: unknown) => error,
  );
  const refused = isSmtpReplyError(unauthenticated) && unauthenticated.replyCode === 530;
  log('client', `without AUTH: ${refused ? '530 5.7.0 refused, nothing relayed' : String(unauthenticated)}`);
  check('the relay refuses to relay without AUTH (530)', refused);

  const first = await submit(['bob@example.org', 'nobody@example.org'], 'Greylisting and a bounce');
  log(
    'client',
    `message 1 accepted for ${first.accepted.join(', ')} over ${first.tls?.protocol} (${Math.round(first.timings.total)} ms)`,
  );
  const second = await submit(['carol@example.org'], 'Second message');
  log('client', `message 2 accepted for ${second.accepted.join(', ')} over ${second.tls?.protocol}`);
  check('submission over STARTTLS (TLSv1.2+) with AUTH', /^TLSv1\.[23]$/.test(first.tls?.protocol ?? ''));
  check('both messages accepted by the relay', first.accepted.length === 2 && second.accepted.length === 1);

  // Wait for the queue to drain: retries and the DSN included.
  const until = Date.now() + 20_000;
  while (Date.now() < until) {
    const stats = await queue.stats();
    const alice = await readMaildir(maildir, 'alice@example.com');
    if (stats.messages === 0 && alice.length > 0) break;
    await new Promise((resolve) => setTimeout(resolve, 100));
  }

  const has = (pattern: RegExp) => events.some((e) => pattern.test(e));
  check(
    'greylisting deferred the first attempt (451 4.7.1)',
    has(/delivery bob@example\.org: deferred .*451/),
  );
  check(
    'the queue retried and delivered to bob',
    has(/queue bob@example\.org: attempt 1 deferred, retry in/) &&
      has(/delivery bob@example\.org: delivered/),
  );
  check('an unknown recipient was refused (550 5.1.1)', has(/delivery nobody@example\.org: failed 5\.1\.1/));
  check('a DSN was queued to the sender', has(/delivery DSN \(failed\) .* to <alice@example\.com>/));
  check('the relay reached the MX over STARTTLS', has(/delivery STARTTLS to .*TLSv1\.[23]/));

  const [bobMessage = ''] = await readMaildir(maildir, 'bob@example.org');
  const results = /^Authentication-Results: [^\r\n]*(?:\r\n\t[^\r\n]*)*/m.exec(bobMessage)?.[0] ?? '';
  console.log(`\nbob@example.org's message as stored:\n${bobMessage.split('\r\n\r\n')[0]}\n`);
  check(
    "bob's message: Authentication-Results spf=pass",
    /spf=pass smtp\.mailfrom=alice@example\.com/.test(results),
  );
  check(
    "bob's message: Authentication-Results dkim=pass (d=example.com)",
    /dkim=pass .*header\.d=example\.com/.test(results),
  );
  check('carol received message 2', (await readMaildir(maildir, 'carol@example.org')).length === 1);

  const [bounce = ''] = await readMaildir(maildir, 'alice@example.com');
  const dsn = parseDsn(new TextEncoder().encode(bounce));
  const failed = dsn?.recipients.find((r) => r.action === 'failed');
  if (failed)
    log('mailbox', `alice got a DSN: ${failed.finalRecipient.address} ${failed.action} ${failed.status}`);
  check(
    'the DSN reached alice: nobody@example.org failed 5.1.1',
    failed?.finalRecipient.address === 'nobody@example.org' && failed.status === '5.1.1',
  );
  check('the queue is empty', (await queue.stats()).messages === 0);
} catch (error) {
  console.error(error);
  check('the demo ran without an error', false);
} finally {
  for (const step of cleanup) await step().catch((error: unknown) => console.error('cleanup:', error));
  clearTimeout(timer);
}

console.log('');
for (const [name, ok] of checks) console.log(`${ok ? 'ok  ' : 'FAIL'} ${name}`);
const failedCount = checks.filter(([, ok]) => !ok).length;
console.log(failedCount === 0 ? '\nall checks passed' : `\n${failedCount} check(s) failed`);
process.exitCode = failedCount === 0 && checks.length > 0 ? 0 : 1;
