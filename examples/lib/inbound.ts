// The inbound (MX) policy of receive.ts and the demo: only local domains (no open relay), SPF
// at MAIL FROM, greylisting at RCPT, DKIM verified on the spooled body, and every message
// written to the recipients' Maildirs with an Authentication-Results field (RFC 8601) on top.
import { createReadStream } from 'node:fs';
import { rm } from 'node:fs/promises';
import { join } from 'node:path';
import { formatAuthenticationResults, verifyMessage } from '@smtpkit/dkim';
import type { Resolver } from '@smtpkit/dns';
import { createServer, type ServerLimits, type ServerTlsOptions, type SmtpServer } from '@smtpkit/server';
import type { Greylist } from '@smtpkit/server/policy';
import {
  type CheckSpfResult,
  checkSpf,
  formatReceivedSpf,
  formatSpfAuthenticationResult,
} from '@smtpkit/spf';
import { type EnhancedStatusCode, SmtpReplyError } from '@smtpkit/wire';
import { deliverToMaildir } from './maildir';
import { spool, withPrefix } from './spool';
import type { Trace } from './trace';

/** What the inbound server accepts and where it puts it. */
export interface InboundOptions {
  /** This server's name: greeting, and the authserv-id of Authentication-Results. */
  readonly hostname: string;
  /** Domains this server receives for; any other recipient domain gets 550 5.7.1. */
  readonly localDomains: readonly string[];
  /** Which local addresses exist (550 5.1.1 otherwise). Default: all of them. */
  readonly mailboxExists?: (address: string) => boolean;
  /** DNS for SPF and DKIM key lookups. */
  readonly resolver: Resolver;
  /** Greylisting; off when absent. */
  readonly greylist?: Greylist;
  /** Maildir root: one folder per recipient address. */
  readonly maildir: string;
  /** Certificate and key: STARTTLS is offered when given. */
  readonly tls?: ServerTlsOptions;
  /** Size, recipient and connection limits. */
  readonly limits?: ServerLimits;
  readonly trace?: Trace;
}

const reply = (code: number, enhanced: EnhancedStatusCode, text: string) =>
  new SmtpReplyError({ code, enhanced, lines: [text] });

/** Creates the inbound server; call `listen()` on it. */
export function createInboundServer(options: InboundOptions): SmtpServer {
  const local = new Set(options.localDomains.map((d) => d.toLowerCase()));
  const trace = options.trace ?? (() => {});
  return createServer({
    hostname: options.hostname,
    tls: options.tls,
    limits: { maxMessageSize: 25 * 1024 * 1024, maxRecipients: 100, ...options.limits },
    backend: {
      openSession(connection) {
        let sender = '';
        let spf: CheckSpfResult | undefined;
        let recipients: string[] = [];
        return {
          async mail(reversePath, _params, context) {
            sender = reversePath.kind === 'mailbox' ? reversePath.mailbox.address : '';
            recipients = [];
            // RFC 7208 §2.3/§2.4: HELO identity, then MAIL FROM (postmaster@HELO for <>).
            spf = await checkSpf(
              { ip: connection.remoteAddress, helo: context.heloName, sender },
              { resolver: options.resolver, receiver: options.hostname, signal: context.signal },
            );
            trace('mx', `MAIL FROM:<${sender}> from ${connection.remoteAddress}: SPF ${spf.result}`);
            // RFC 7208 §8.4 and RFC 7372 §3.2: fail → 550 5.7.23; temperror → 451 4.4.3.
            if (spf.result === 'fail') throw reply(550, '5.7.23', spf.explanation ?? 'SPF check failed');
            if (spf.result === 'temperror') throw reply(451, '4.4.3', 'SPF temporary error, try again later');
          },
          async rcpt(forwardPath, _params, context) {
            if (forwardPath.kind === 'postmaster') {
              recipients.push(`postmaster@${options.hostname}`);
              return;
            }
            if (forwardPath.kind !== 'mailbox') throw reply(501, '5.1.3', 'Bad recipient address');
            const { address, asciiDomain } = forwardPath.mailbox;
            if (!local.has(asciiDomain)) throw reply(550, '5.7.1', 'Relaying denied');
            if (options.mailboxExists && !options.mailboxExists(address.toLowerCase())) {
              trace('mx', `RCPT TO:<${address}> rejected: no such mailbox (550 5.1.1)`);
              throw reply(550, '5.1.1', 'No such mailbox here');
            }
            if (options.greylist) {
              const triplet = { clientAddress: connection.remoteAddress, sender, recipient: address };
              const verdict = await options.greylist.check(triplet, context.signal);
              if (verdict.action === 'defer') {
                trace('mx', `RCPT TO:<${address}> greylisted (451 4.7.1)`);
                throw reply(451, '4.7.1', 'Greylisted, please try again later');
              }
            }
            recipients.push(address);
          },
          reset() {
            recipients = [];
          },
          async data(body, context) {
            if (!spf) throw reply(503, '5.5.1', 'MAIL first');
            const spfResult = spf;
            const file = await spool(join(options.maildir, '.spool'), body);
            try {
              const dkim = await verifyMessage(createReadStream(file) as AsyncIterable<Uint8Array>, {
                resolver: options.resolver,
                signal: context.signal,
              });
              const report = {
                ip: connection.remoteAddress,
                identity: spfResult.identity,
                envelopeFrom: sender,
                helo: context.heloName,
                receiver: options.hostname,
              };
              const fields =
                `Authentication-Results: ${options.hostname};\r\n\t` +
                `${formatSpfAuthenticationResult(spfResult, report)};\r\n\t${formatAuthenticationResults(dkim)}\r\n` +
                `${formatReceivedSpf(spfResult, report)}\r\n`;
              for (const recipient of recipients) {
                await deliverToMaildir(options.maildir, recipient, () => withPrefix(fields, file));
              }
              const tls = context.tls?.protocol ?? 'no TLS';
              const dkimText = dkim.map((d) => `dkim=${d.status}`).join(' ') || 'dkim=none';
              trace(
                'mx',
                `stored for ${recipients.join(', ')} (${tls}, spf=${spfResult.result} ${dkimText})`,
              );
            } finally {
              await rm(file, { force: true });
            }
          },
        };
      },
    },
  });
}
