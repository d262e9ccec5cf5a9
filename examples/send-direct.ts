// send-direct: why can't my program send straight to the recipient's server? It can: look up
// the domain's MX (RFC 5321 §5.1), try each host in order, STARTTLS when offered, DKIM-sign if
// you have a key, and report each recipient. What it cannot do alone is retry for days: a
// deferred recipient is reported with the time to try again (or use relay.ts, which queues).
//
//   npx tsx examples/send-direct.ts --from you@your-domain.example --to someone@example.org \
//     --helo mail.your-domain.example [--dkim-key dkim.pem --dkim-selector s1] [--subject hi] [--text ...]
//
// Needs the internet with outbound port 25 open (many home and cloud networks block it), and a
// sending IP whose PTR, HELO name and SPF record agree, or receivers will refuse or junk it.
import { readFileSync } from 'node:fs';
import { parseArgs } from 'node:util';
import { sendDirect } from '@smtpkit/delivery';
import { createDkimSigner } from '@smtpkit/dkim';
import { parseCli, required, usageError } from './lib/cli';
import { trace } from './lib/trace';

const usage = `usage: send-direct --from ADDRESS --to ADDRESS [--to ...] --helo NAME [options]

  --from ADDRESS          the sender (envelope and From:)
  --to ADDRESS            a recipient (repeat; different domains are fine)
  --helo NAME             this host's name (EHLO); should match your IP's PTR record
  --subject TEXT --text TEXT   the message (default: a short test message)
  --dkim-key FILE --dkim-selector NAME   sign as the --from domain
  --require-tls           refuse to send without verified TLS (default: opportunistic)
  -h, --help              this text`;

const { values } = parseCli(usage, () =>
  parseArgs({
    options: {
      from: { type: 'string' },
      to: { type: 'string', multiple: true },
      helo: { type: 'string' },
      subject: { type: 'string', default: 'smtpkit send-direct test' },
      text: { type: 'string', default: 'Sent straight to your MX by examples/send-direct.ts.' },
      'dkim-key': { type: 'string' },
      'dkim-selector': { type: 'string' },
      'require-tls': { type: 'boolean' },
      help: { type: 'boolean', short: 'h' },
    },
  }),
);
const from = required(usage, 'from', values.from);
const to = values.to ?? usageError(usage, '--to is required');
const heloName = required(usage, 'helo', values.helo);

const headers =
  `From: ${from}\r\nTo: ${to.join(', ')}\r\nSubject: ${values.subject}\r\nDate: ${new Date().toUTCString()}\r\n` +
  `Message-ID: <${Date.now()}.${process.pid}@${heloName}>\r\nMIME-Version: 1.0\r\nContent-Type: text/plain; charset=utf-8\r\n\r\n`;
let message = new TextEncoder().encode(`${headers}${values.text}\r\n`);
if (values['dkim-key']) {
  const domain = from.slice(from.lastIndexOf('@') + 1);
  const selector = required(usage, 'dkim-selector', values['dkim-selector']);
  const signer = createDkimSigner({ domain, selector, privateKey: readFileSync(values['dkim-key'], 'utf8') });
  const fields = await signer.sign(message);
  message = new Uint8Array([...new TextEncoder().encode(fields), ...message]);
  trace('dkim', `signed d=${domain} s=${selector}`);
}

const results = await sendDirect(
  { from, to, content: message },
  {
    heloName,
    tlsPolicy: values['require-tls'] ? 'required' : 'opportunistic',
    signal: AbortSignal.timeout(5 * 60_000),
    onEvent: (event) => {
      if (event.type === 'connect')
        trace('mx', `${event.domain}: connecting to ${event.host} [${event.address}]`);
      if (event.type === 'host-failed')
        trace('mx', `${event.host} [${event.address}]: ${event.failure} ${event.detail}`);
    },
  },
);
for (const r of results) {
  const tls = r.tls ? `${r.tls.protocol ?? 'TLS'}${r.tls.authorized ? ', verified' : ''}` : 'no TLS';
  const via = r.host ? ` via ${r.host} (${tls})` : '';
  if (r.status === 'delivered')
    trace('result', `${r.address}: delivered${via} ${r.reply?.lines.join(' ') ?? ''}`);
  else if (r.status === 'failed')
    trace('result', `${r.address}: FAILED ${r.enhancedStatus} ${r.reason ?? ''}${via}`);
  else {
    const when = r.retryAfter ? `; try again after ${r.retryAfter.toISOString()}` : '';
    trace('result', `${r.address}: deferred ${r.enhancedStatus} ${r.reason ?? ''}${via}${when}`);
  }
}
process.exitCode = results.every((r) => r.status === 'delivered') ? 0 : 1;
