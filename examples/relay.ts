// relay: the custom relay — a submission service on 587 (STARTTLS, AUTH with users from a
// file, only authenticated users relay, each only as their own domain), DKIM-signing, a durable
// queue (SQLite by default, PostgreSQL with --queue postgres://...), and a delivery worker that
// sends to each recipient domain's MX with retries and DSN bounces. Operate the queue with queue.ts.
//
//   npx tsx examples/relay.ts --hostname smtp.example.com --cert cert.pem --key key.pem --users users.txt \
//     [--dkim-key dkim.pem --dkim-domain example.com --dkim-selector s1] [--queue postgres://...]
//
// Needs the internet (DNS, outbound port 25) and a host name whose A/PTR/SPF match: see
// docs/guides/sending.md. `npm run demo` runs the same code on loopback.
import { mkdirSync, readFileSync } from 'node:fs';
import { dirname } from 'node:path';
import { parseArgs } from 'node:util';
import { createNodeResolver } from '@smtpkit/dns';
import { parseCli, required, usageError } from './lib/cli';
import { openQueue } from './lib/open-queue';
import { startRelay } from './lib/relay';
import { trace } from './lib/trace';

const usage = `usage: relay --hostname NAME --cert FILE --key FILE --users FILE [options]

  --hostname NAME       this host's name (EHLO, greeting, DSN Reporting-MTA)
  --cert FILE --key FILE PEM certificate chain and key for STARTTLS
  --users FILE          one 'address password' per line ('#' comments)
  --port N              submission port (default 587)
  --host ADDRESS        address to listen on (default ::)
  --queue SPEC          SQLite file (default ./relay-data/queue.sqlite) or postgres:// URL
  --spool DIR           where bodies wait while being signed (default ./relay-data/spool)
  --resolver HOST:PORT  DNS server for MX lookups (default: the system's)
  --dkim-key FILE --dkim-domain DOMAIN --dkim-selector NAME   sign mail from DOMAIN
  -h, --help            this text`;

const { values } = parseCli(usage, () =>
  parseArgs({
    options: {
      hostname: { type: 'string' },
      cert: { type: 'string' },
      key: { type: 'string' },
      users: { type: 'string' },
      port: { type: 'string', default: '587' },
      host: { type: 'string', default: '::' },
      queue: { type: 'string', default: './relay-data/queue.sqlite' },
      spool: { type: 'string', default: './relay-data/spool' },
      resolver: { type: 'string' },
      'dkim-key': { type: 'string' },
      'dkim-domain': { type: 'string' },
      'dkim-selector': { type: 'string' },
      help: { type: 'boolean', short: 'h' },
    },
  }),
);
const read = (option: string, path: string | undefined) => {
  try {
    return readFileSync(required(usage, option, path), 'utf8');
  } catch (error) {
    return usageError(usage, `--${option}: ${(error as Error).message}`);
  }
};
const hostname = required(usage, 'hostname', values.hostname);
const port = Number(values.port);
if (!Number.isInteger(port) || port < 1 || port > 65535)
  usageError(usage, `--port: '${values.port}' is not a port`);
const users = new Map<string, string>();
for (const line of read('users', values.users).split('\n')) {
  const [user, password] = line.replace(/#.*/, '').trim().split(/\s+/);
  if (user && password) users.set(user, password);
}
if (users.size === 0) usageError(usage, `--users: no 'address password' lines in ${values.users}`);
const dkim = values['dkim-key']
  ? [
      {
        domain: required(usage, 'dkim-domain', values['dkim-domain']),
        selector: required(usage, 'dkim-selector', values['dkim-selector']),
        privateKey: read('dkim-key', values['dkim-key']),
      },
    ]
  : [];

if (!/^postgres(ql)?:/.test(values.queue)) mkdirSync(dirname(values.queue), { recursive: true });
const queue = await openQueue(values.queue);
const relay = startRelay({
  hostname,
  users,
  queue,
  resolver: createNodeResolver(values.resolver ? { servers: [values.resolver] } : {}),
  tls: { cert: read('cert', values.cert), key: read('key', values.key) },
  spoolDir: values.spool,
  dkim,
  trace,
});
const address = await relay.submission.listen({ port, host: values.host });
trace(
  'relay',
  `submission on [${address.address}]:${address.port}, queue ${values.queue.replace(/:[^:@/]*@/, ':***@')}`,
);

// SIGTERM/SIGINT: stop accepting, finish what is in flight, close the queue.
const stop = async () => {
  trace('relay', 'stopping');
  await relay.close();
  await queue.close();
};
process.once('SIGTERM', stop);
process.once('SIGINT', stop);
