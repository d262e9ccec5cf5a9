// check-spf: evaluates SPF (RFC 7208) for a client IP, HELO name and sender, and prints the
// result with the Received-SPF and Authentication-Results fields a receiver would add.
//
//   npx tsx examples/check-spf.ts --ip 192.0.2.10 --sender alice@example.com --helo mail.example.com
//   npx tsx examples/check-spf.ts --ip 192.0.2.10 --sender a@example.com --zone zone.json   (offline)
//   npx tsx examples/check-spf.ts ... --resolver 127.0.0.1:5353                             (your DNS)
import { readFile } from 'node:fs/promises';
import { parseArgs } from 'node:util';
import { createNodeResolver, createStaticResolver, parseIp, type Resolver, type Zone } from '@smtpkit/dns';
import { checkSpf, formatReceivedSpf, formatSpfAuthenticationResult } from '@smtpkit/spf';
import { parseCli, required, usageError } from './lib/cli';

const usage = `usage: check-spf --ip ADDRESS --sender ADDRESS [--helo NAME] [--resolver HOST[:PORT] | --zone FILE]

  --ip ADDRESS         the connecting client's IPv4 or IPv6 address
  --sender ADDRESS     the MAIL FROM address ('' for a bounce: postmaster@HELO is checked)
  --helo NAME          the EHLO/HELO name (checked first, RFC 7208 §2.3)
  --resolver HOST:PORT DNS server to ask (default: the system's)
  --zone FILE          answer from a JSON zone instead of DNS: { "example.com": { "txt": ["v=spf1 ..."] } }
  --receiver NAME      this host's name for the header fields (default: localhost)
  -h, --help           this text

Without --zone this needs DNS (the internet, or the --resolver you give). Exit code 0 when
evaluated (whatever the result: temperror included), 2 on a usage error.`;

const { values } = parseCli(usage, () =>
  parseArgs({
    options: {
      ip: { type: 'string' },
      sender: { type: 'string' },
      helo: { type: 'string' },
      resolver: { type: 'string' },
      zone: { type: 'string' },
      receiver: { type: 'string', default: 'localhost' },
      help: { type: 'boolean', short: 'h' },
    },
  }),
);
const ip = required(usage, 'ip', values.ip);
if (!parseIp(ip)) usageError(usage, `--ip: '${ip}' is not an IPv4 or IPv6 address`);
if (values.sender === undefined) usageError(usage, '--sender is required');
if (values.zone && values.resolver) usageError(usage, 'give --zone or --resolver, not both');

let resolver: Resolver;
if (values.zone) {
  const text = await readFile(values.zone, 'utf8').catch((error: Error) =>
    usageError(usage, `--zone: ${error.message}`),
  );
  let zone: Zone;
  try {
    zone = JSON.parse(text) as Zone;
  } catch (error) {
    usageError(usage, `--zone: ${values.zone} is not JSON (${(error as Error).message})`);
  }
  resolver = createStaticResolver(zone);
} else {
  try {
    resolver = createNodeResolver(values.resolver ? { servers: [values.resolver] } : {});
  } catch (error) {
    usageError(usage, `--resolver: ${(error as Error).message}`);
  }
}

const sender = values.sender;
const spf = await checkSpf(
  { ip, helo: values.helo, sender },
  { resolver, receiver: values.receiver, signal: AbortSignal.timeout(20_000) },
);
const context = {
  ip,
  identity: spf.identity,
  envelopeFrom: sender,
  helo: values.helo,
  receiver: values.receiver,
};
console.log(`result:     ${spf.result}${spf.mechanism ? ` (mechanism ${spf.mechanism})` : ''}`);
console.log(`identity:   ${spf.identity}`);
console.log(`dns:        ${spf.lookups.dns} lookups, ${spf.lookups.void} void`);
if (spf.explanation) console.log(`explain:    ${spf.explanation}`);
for (const problem of spf.problems ?? []) console.log(`problem:    ${problem}`);
console.log(formatReceivedSpf(spf, context));
console.log(`Authentication-Results: ${values.receiver}; ${formatSpfAuthenticationResult(spf, context)}`);
