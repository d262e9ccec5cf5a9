// send-smarthost: submit through your provider (a "smart host") instead of delivering yourself:
// port 587 with STARTTLS required (RFC 6409) or 465 with implicit TLS (RFC 8314), then AUTH.
// The provider queues, retries and signs; you get its answer for each recipient.
//
//   SMTP_PASS=... npx tsx examples/send-smarthost.ts --host smtp.provider.example --user you@example.com \
//     --from you@example.com --to someone@example.org [--port 465]
//
// Needs the internet and an account with the provider.
import { parseArgs } from 'node:util';
import { isSmtpClientError, sendMail } from '@smtpkit/client';
import { isSmtpReplyError } from '@smtpkit/wire';
import { parseCli, required, usageError } from './lib/cli';
import { trace } from './lib/trace';

const usage = `usage: SMTP_PASS=... send-smarthost --host NAME --user NAME --from ADDRESS --to ADDRESS [options]

  --host NAME          the provider's submission server
  --port N             587 (STARTTLS, default) or 465 (implicit TLS)
  --user NAME          the login; the password comes from $SMTP_PASS (never a flag: shell history)
  --from ADDRESS       the sender; --to ADDRESS (repeat) the recipients
  --subject TEXT --text TEXT   the message
  -h, --help           this text`;

const { values } = parseCli(usage, () =>
  parseArgs({
    options: {
      host: { type: 'string' },
      port: { type: 'string', default: '587' },
      user: { type: 'string' },
      from: { type: 'string' },
      to: { type: 'string', multiple: true },
      subject: { type: 'string', default: 'smtpkit send-smarthost test' },
      text: { type: 'string', default: 'Submitted by examples/send-smarthost.ts.' },
      help: { type: 'boolean', short: 'h' },
    },
  }),
);
const host = required(usage, 'host', values.host);
const user = required(usage, 'user', values.user);
const from = required(usage, 'from', values.from);
const to = values.to ?? usageError(usage, '--to is required');
const pass = process.env.SMTP_PASS ?? usageError(usage, 'set SMTP_PASS to the password');
const port = Number(values.port);
if (port !== 587 && port !== 465) usageError(usage, '--port is 587 or 465');

const body = new TextEncoder().encode(
  `From: ${from}\r\nTo: ${to.join(', ')}\r\nSubject: ${values.subject}\r\nDate: ${new Date().toUTCString()}\r\n` +
    `MIME-Version: 1.0\r\nContent-Type: text/plain; charset=utf-8\r\n\r\n${values.text}\r\n`,
);
try {
  const result = await sendMail({
    host,
    port,
    security: port === 465 ? 'tls' : 'starttls', // both verify the certificate; no plaintext fallback
    auth: { user, pass },
    envelope: { from, to },
    body,
    signal: AbortSignal.timeout(2 * 60_000),
    onEvent: (e) => {
      if (e.type === 'tls') trace('tls', `${e.tls.protocol} ${e.tls.cipher} with ${e.server}`);
    },
  });
  for (const r of result.recipients)
    trace('result', `${r.address}: ${r.status} ${r.reply.code} ${r.reply.lines.join(' ')}`);
  process.exitCode = result.rejected.length + result.deferred.length === 0 ? 0 : 1;
} catch (error) {
  // Refusals of the whole transaction (MAIL, AUTH) and connection/TLS problems, with their codes.
  if (isSmtpReplyError(error))
    trace('error', `${error.verb ?? ''} ${error.replyCode} ${error.lines.join(' ')}`);
  else if (isSmtpClientError(error)) trace('error', `${error.code} (${error.phase}): ${error.message}`);
  else throw error;
  process.exitCode = 1;
}
