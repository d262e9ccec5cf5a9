// receive: an inbound (MX) server for your domains — SPF at MAIL FROM (HELO and MAIL FROM
// identities), greylisting, DKIM verification, size and recipient limits, only local domains
// (no open relay) — writing each message with Authentication-Results to a Maildir per recipient.
//
//   npx tsx examples/receive.ts --domain example.org --maildir ./Maildir --port 2525
//   swaks --server 127.0.0.1:2525 --to bob@example.org      (then look in ./Maildir/bob@example.org/new)
//
// SPF and DKIM need DNS (the internet, or --resolver). Port 25 needs root or CAP_NET_BIND_SERVICE.
import { readFileSync } from 'node:fs';
import { parseArgs } from 'node:util';
import { createNodeResolver } from '@smtpkit/dns';
import { createGreylist, openFileGreylistStore } from '@smtpkit/server/policy';
import { parseCli, usageError } from './lib/cli';
import { createInboundServer } from './lib/inbound';
import { trace } from './lib/trace';

const usage = `usage: receive --domain DOMAIN [--domain DOMAIN ...] [options]

  --domain DOMAIN        a domain this server receives mail for (repeat for more)
  --maildir DIR          Maildir root, one folder per recipient (default ./Maildir)
  --port N --host ADDR   where to listen (default 2525 on ::)
  --hostname NAME        this server's name (default localhost)
  --cert FILE --key FILE offer STARTTLS with this certificate
  --greylist FILE        greylist with a JSON-lines store (postgrey's 5 min delay)
  --max-size BYTES       largest message (default 25 MiB)
  --max-recipients N     recipients per message (default 100)
  --resolver HOST:PORT   DNS server for SPF/DKIM (default: the system's)
  -h, --help             this text`;

const { values } = parseCli(usage, () =>
  parseArgs({
    options: {
      domain: { type: 'string', multiple: true },
      maildir: { type: 'string', default: './Maildir' },
      port: { type: 'string', default: '2525' },
      host: { type: 'string', default: '::' },
      hostname: { type: 'string', default: 'localhost' },
      cert: { type: 'string' },
      key: { type: 'string' },
      greylist: { type: 'string' },
      'max-size': { type: 'string', default: String(25 * 1024 * 1024) },
      'max-recipients': { type: 'string', default: '100' },
      resolver: { type: 'string' },
      help: { type: 'boolean', short: 'h' },
    },
  }),
);
const number = (name: string, text: string, max: number) => {
  const n = Number(text);
  return Number.isInteger(n) && n > 0 && n <= max
    ? n
    : usageError(usage, `--${name}: '${text}' is out of range`);
};
if (!values.domain?.length) usageError(usage, 'at least one --domain is required');
if (Boolean(values.cert) !== Boolean(values.key)) usageError(usage, '--cert and --key go together');
let tls: { cert: string; key: string } | undefined;
try {
  if (values.cert && values.key)
    tls = { cert: readFileSync(values.cert, 'utf8'), key: readFileSync(values.key, 'utf8') };
} catch (error) {
  usageError(usage, (error as Error).message);
}

const server = createInboundServer({
  hostname: values.hostname,
  localDomains: values.domain ?? [],
  resolver: createNodeResolver(values.resolver ? { servers: [values.resolver] } : {}),
  greylist: values.greylist
    ? createGreylist({ store: await openFileGreylistStore(values.greylist) })
    : undefined,
  maildir: values.maildir,
  tls,
  limits: {
    maxMessageSize: number('max-size', values['max-size'], 2 ** 31),
    maxRecipients: number('max-recipients', values['max-recipients'], 10_000),
  },
  trace,
});
const address = await server.listen({ port: number('port', values.port, 65535), host: values.host });
trace(
  'mx',
  `receiving for ${values.domain?.join(', ')} on [${address.address}]:${address.port} into ${values.maildir}`,
);
process.once('SIGINT', () => server.close({ deadline: 10_000 }));
process.once('SIGTERM', () => server.close({ deadline: 10_000 }));
