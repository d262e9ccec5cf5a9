// The submission relay of relay.ts and the demo: a 587 service (STARTTLS, AUTH required, users
// may only send as their own domain), DKIM-signing at submission (DESIGN.md: before queueing),
// a durable queue, and a @smtpkit/delivery worker that sends to MX with retries and DSNs.
import { timingSafeEqual } from 'node:crypto';
import { rm } from 'node:fs/promises';
import { createDeliveryWorker, type DeliveryEvent, type DeliveryWorker } from '@smtpkit/delivery';
import { createDkimSigner, type PrivateKeyInput } from '@smtpkit/dkim';
import type { Resolver } from '@smtpkit/dns';
import type { Queue, RetrySchedule } from '@smtpkit/queue';
import { createServer, type ServerTlsOptions, type SmtpServer } from '@smtpkit/server';
import { SmtpReplyError } from '@smtpkit/wire';
import { spool, withPrefix } from './spool';
import type { Trace } from './trace';

/** The relay's settings. */
export interface RelayOptions {
  /** EHLO name towards MX hosts, greeting name, DSN Reporting-MTA. */
  readonly hostname: string;
  /** username (an address) → password. */
  readonly users: ReadonlyMap<string, string>;
  readonly queue: Queue;
  readonly resolver: Resolver;
  /** Certificate for STARTTLS on the submission port. */
  readonly tls: ServerTlsOptions;
  /** Where bodies are spooled while being signed. */
  readonly spoolDir: string;
  /** DKIM key per signing domain: mail from that domain is signed. */
  readonly dkim?: readonly {
    readonly domain: string;
    readonly selector: string;
    readonly privateKey: PrivateKeyInput;
  }[];
  /** The MX port (default 25); tests and the demo use another. */
  readonly mxPort?: number;
  /** Allow MX hosts on loopback/private addresses (the demo). */
  readonly allowPrivateAddresses?: boolean;
  readonly retrySchedule?: RetrySchedule;
  readonly trace?: Trace;
}

/** The running relay. */
export interface Relay {
  readonly submission: SmtpServer;
  readonly worker: DeliveryWorker;
  /** Stops the worker and the server (the queue is the caller's to close). */
  close(): Promise<void>;
}

const domainOf = (address: string) => address.slice(address.lastIndexOf('@') + 1).toLowerCase();

function passwordMatches(expected: string | undefined, given: string): boolean {
  const a = Buffer.from(expected ?? '');
  const b = Buffer.from(given);
  return expected !== undefined && a.length === b.length && timingSafeEqual(a, b);
}

/** One line per delivery event, for the trace. */
export function describeDeliveryEvent(event: DeliveryEvent): string {
  switch (event.type) {
    case 'recipient': {
      const v = event.verdict;
      if (v.kind !== 'delivered') return `${event.recipient}: ${v.kind} ${v.status} (${v.reason})`;
      const reply = v.reply ? ` (${v.reply.code} ${v.reply.lines.join(' ')})` : '';
      return `${event.recipient}: delivered ${v.status}${reply}`;
    }
    case 'dsn':
      return `DSN (${event.actions.join(', ')}) for ${event.messageId} queued to <${event.to}> as ${event.dsnId}`;
    case 'connect':
      return `connecting to ${event.host} [${event.address}] for ${event.domain}`;
    case 'host-failed':
      return `${event.host} [${event.address}] failed: ${event.failure} ${event.detail}`;
    case 'error':
      return `worker error: ${String(event.error)}`;
    default:
      return event.type;
  }
}

/** Starts the submission service (call `submission.listen()`) and the delivery worker. */
export function startRelay(options: RelayOptions): Relay {
  const trace = options.trace ?? (() => {});
  const keys = new Map((options.dkim ?? []).map((k) => [k.domain.toLowerCase(), k]));
  const submission = createServer({
    hostname: options.hostname,
    tls: options.tls,
    // RFC 6409 §4.3 and RFC 8314: AUTH only over TLS, and nothing relayed without it.
    auth: { required: true, mechanisms: ['PLAIN', 'LOGIN', 'CRAM-MD5'] },
    backend: {
      openSession() {
        let sender = '';
        let recipients: string[] = [];
        return {
          auth(request) {
            const expected = options.users.get(request.username);
            const ok =
              request.mechanism === 'CRAM-MD5'
                ? expected !== undefined && request.verify(expected)
                : 'password' in request && passwordMatches(expected, request.password);
            if (!ok) throw new SmtpReplyError({ code: 535, enhanced: '5.7.8', lines: ['Bad credentials'] });
          },
          mail(reversePath, _params, context) {
            const user = context.authenticatedAs ?? '';
            // RFC 6409 §6.1: the submission server may check the sender is the user's own.
            if (reversePath.kind !== 'mailbox' || domainOf(reversePath.mailbox.address) !== domainOf(user)) {
              throw new SmtpReplyError({
                code: 553,
                enhanced: '5.7.1',
                lines: [`Not a sender address of ${user}`],
              });
            }
            sender = reversePath.mailbox.address;
            recipients = [];
          },
          rcpt(forwardPath) {
            if (forwardPath.kind !== 'mailbox')
              throw new SmtpReplyError({ code: 550, enhanced: '5.1.3', lines: ['No'] });
            recipients.push(forwardPath.mailbox.address);
          },
          reset() {
            recipients = [];
          },
          async data(body, context) {
            const key = keys.get(domainOf(sender));
            // One signer per message: update()/final() carry that message's state.
            const signer = key ? createDkimSigner(key) : undefined;
            const file = await spool(options.spoolDir, body, (chunk) => signer?.update(chunk));
            try {
              const fields = signer?.final() ?? '';
              // Resolves only when the queue has committed and synced it: then the 250 is sent.
              const id = await options.queue.enqueue(
                {
                  envelope: { reversePath: sender, recipients: recipients.map((address) => ({ address })) },
                  content: withPrefix(fields, file),
                },
                { signal: context.signal },
              );
              const signed = key ? `DKIM d=${key.domain} s=${key.selector}` : 'not signed';
              trace(
                'relay',
                `queued ${id} <${sender}> -> ${recipients.join(', ')} (${signed}, ${context.tls?.protocol})`,
              );
            } finally {
              await rm(file, { force: true });
            }
          },
        };
      },
    },
  });
  const worker = createDeliveryWorker({
    queue: options.queue,
    resolver: options.resolver,
    heloName: options.hostname,
    port: options.mxPort,
    allowPrivateAddresses: options.allowPrivateAddresses,
    retrySchedule: options.retrySchedule,
    pollIntervalMs: 100,
    client: {
      onEvent: (e) => {
        if (e.type === 'tls') trace('delivery', `STARTTLS to ${e.server}: ${e.tls.protocol} ${e.tls.cipher}`);
      },
    },
    onEvent: (event) => trace('delivery', describeDeliveryEvent(event)),
  });
  worker.start();
  return {
    submission,
    worker,
    async close() {
      await worker.stop({ deadlineMs: 2_000 });
      await submission.close({ deadline: 1_000 });
    },
  };
}
