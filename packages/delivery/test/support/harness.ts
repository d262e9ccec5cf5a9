import { SmtpClientError } from '@smtpkit/client';
import { createStaticResolver, type Zone } from '@smtpkit/dns';
import { createMemoryQueue, type EnqueueInput, type Queue } from '@smtpkit/queue';
import { type EnhancedStatusCode, SmtpReplyError } from '@smtpkit/wire';
import {
  createDeliveryWorker,
  type DeliveryEvent,
  type DeliveryWorkerOptions,
  type HostAttempt,
  type HostAttemptResult,
  type HostTransport,
  parseDsn,
} from '../../src/index';

export const ok = (n: number): HostAttemptResult => ({
  replies: Array.from({ length: n }, () => ({ code: 250, enhanced: '2.0.0', lines: ['OK queued'] })),
  dsnRelayed: true,
});

export const refused = () =>
  new SmtpClientError('connect ECONNREFUSED', 'ERR_SMTP_CONNECTION', 'connect', {
    cause: Object.assign(new Error('connect ECONNREFUSED'), { code: 'ECONNREFUSED' }),
  });

export const reply = (code: number, enhanced: EnhancedStatusCode | undefined, text: string, verb?: string) =>
  new SmtpReplyError({ code, ...(enhanced && { enhanced }), lines: [text] }, verb ? { verb } : {});

export type Script = (attempt: HostAttempt, calls: HostAttempt[]) => HostAttemptResult | Error;

/** A transport that answers from a script and records every attempt. */
export function scriptedTransport(script: Script): HostTransport & { calls: HostAttempt[] } {
  const calls: HostAttempt[] = [];
  const t = async (attempt: HostAttempt) => {
    calls.push(attempt);
    // Drain the content like a real transport would.
    const c = attempt.content();
    if (!(c instanceof Uint8Array)) for await (const _ of c);
    const r = script(attempt, calls);
    if (r instanceof Error) throw r;
    return r;
  };
  return Object.assign(t, { calls });
}

export const message = (subject = 'hello') =>
  new TextEncoder().encode(
    `From: alice@example.org\r\nTo: bob@example.com\r\nSubject: ${subject}\r\nMessage-ID: <m@example.org>\r\n\r\nbody line\r\n`,
  );

/** A queue, a worker and a clock wired together. */
export function setup(zone: Zone, transport: HostTransport, extra: Partial<DeliveryWorkerOptions> = {}) {
  const clock = { t: Date.UTC(2026, 10, 29, 12) };
  const now = () => clock.t;
  const queue: Queue = createMemoryQueue({ now });
  const events: DeliveryEvent[] = [];
  // Mail to the senders' domain (example.org) is the bounces: captured here, not scripted.
  const bounced: { envelopeFrom: string; to: string[]; text: string }[] = [];
  const routed: HostTransport = async (attempt) => {
    if (attempt.host !== 'mx.example.org') return transport(attempt);
    const chunks: Uint8Array[] = [];
    const c = attempt.content();
    if (c instanceof Uint8Array) chunks.push(c);
    else for await (const chunk of c) chunks.push(chunk);
    bounced.push({
      envelopeFrom: attempt.from,
      to: attempt.recipients.map((r) => r.address),
      text: Buffer.concat(chunks).toString('utf8'),
    });
    return ok(attempt.recipients.length);
  };
  const worker = createDeliveryWorker({
    queue,
    resolver: createStaticResolver(zone),
    heloName: 'mta.test',
    transport: routed,
    now,
    random: () => 0,
    allowPrivateAddresses: true,
    onEvent: (e) => events.push(e),
    ...extra,
  });
  const enqueue = (input: Partial<EnqueueInput['envelope']> & { to: string[] }, content = message()) =>
    queue.enqueue({
      envelope: {
        reversePath: 'alice@example.org',
        recipients: input.to.map((address) => ({ address })),
        ...input,
      },
      content,
    });
  /** DSNs delivered to the senders (example.org), parsed. */
  const dsns = async () =>
    bounced.map((b) => ({
      envelope: { reversePath: b.envelopeFrom, recipients: b.to.map((address) => ({ address })) },
      text: b.text,
      parsed: parseDsn(b.text),
    }));
  return { clock, queue, worker, events, enqueue, dsns };
}

export const zone: Zone = {
  'example.com': {
    mx: [
      { priority: 10, exchange: 'mx1.example.com' },
      { priority: 20, exchange: 'mx2.example.com' },
    ],
  },
  'mx1.example.com': { a: ['127.0.0.11'] },
  'mx2.example.com': { a: ['127.0.0.12'] },
  'nullmx.example': { mx: [{ priority: 0, exchange: '.' }] },
  'broken.example': { fault: 'servfail' },
  'example.org': { mx: [{ priority: 10, exchange: 'mx.example.org' }] },
  'mx.example.org': { a: ['127.0.0.20'] },
};
