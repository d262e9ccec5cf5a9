/**
 * One mail transaction on a channel: the envelope (pipelined in one write when the server
 * offers PIPELINING, RFC 2920), the body (DATA with dot-stuffing, or BDAT chunks, RFC 3030),
 * and per-recipient results as values.
 */
import { DataEncoder, frameBdat, type Reply, SmtpReplyError } from '@smtpkit/wire';
import { type Envelope, type EnvelopeOptions, hasEightBit, planTransaction } from '../core/envelope';
import { SmtpClientError } from '../core/errors';
import { type RecipientResult, type SendResult, statusOf } from '../core/results';
import type { Channel } from './channel';

/** A message body: bytes, or a stream of bytes (Node Readable, web ReadableStream, generator). */
export type MessageBody = Uint8Array | AsyncIterable<Uint8Array> | Iterable<Uint8Array>;

/** Options for one `sendMail`. */
export interface SendOptions extends EnvelopeOptions {
  /** The body's size in octets when it is a stream, for `SIZE=` (RFC 1870) and the pre-check. */
  readonly size?: number | undefined;
  /** Aborts the send; the connection is closed and the promise rejects with the abort reason. */
  readonly signal?: AbortSignal | undefined;
}

/** Channel-level settings the transaction needs. */
export interface TransactionSettings {
  readonly pipelining: boolean;
  readonly chunking: boolean;
  readonly lmtp: boolean;
}

/** Progress markers the pool reads to decide whether a retry is safe. */
export interface TransactionProgress {
  /** The body iterable was touched (a stream cannot be replayed). */
  bodyStarted: boolean;
  /** The end of data was sent: the server may have accepted the message. */
  endSent: boolean;
}

const SMALL_WRITE = 16 * 1024;

function join(a: Uint8Array, b: Uint8Array): Uint8Array {
  const out = new Uint8Array(a.length + b.length);
  out.set(a, 0);
  out.set(b, a.length);
  return out;
}

function joinAll(parts: readonly Uint8Array[]): Uint8Array {
  if (parts.length === 1) return parts[0] as Uint8Array;
  return Buffer.concat(parts);
}

/** Runs one transaction; throws only for transaction-wide failures (MAIL refused, connection lost). */
export async function runTransaction(
  channel: Channel,
  settings: TransactionSettings,
  envelope: Envelope,
  body: MessageBody,
  options: SendOptions,
  progress: TransactionProgress,
): Promise<SendResult> {
  const t0 = performance.now();
  const bytes = body instanceof Uint8Array ? body : undefined;
  if (bytes === undefined && !isIterable(body)) {
    throw new TypeError('body must be a Uint8Array or an (async) iterable of Uint8Array');
  }
  if (options.size !== undefined && (!Number.isSafeInteger(options.size) || options.size < 0)) {
    throw new RangeError('options.size must be a non-negative integer');
  }
  const plan = planTransaction(
    envelope,
    channel.capabilities,
    { size: bytes?.length ?? options.size, eightBit: bytes === undefined ? undefined : hasEightBit(bytes) },
    channel.tls !== undefined,
    { ...options, chunking: settings.chunking && options.chunking !== false },
  );
  const pipelining = settings.pipelining && channel.capabilities?.pipelining === true;
  const useBdat = plan.chunking;

  let mailReply: Reply;
  const rcptReplies: Reply[] = [];
  let dataInit: Reply | undefined;
  if (pipelining) {
    // RFC 2920 §3.1: MAIL, every RCPT and DATA in one group; replies come back in order.
    const parts: Uint8Array[] = [];
    const mail = channel.prepare((s) => s.mail(plan.reversePath, plan.mailParams), 'mail');
    parts.push(mail.bytes);
    const rcpts = plan.recipients.map((r) => {
      const p = channel.prepare((s) => s.rcpt(r.path, r.params), 'rcpt');
      parts.push(p.bytes);
      return p.replies[0] as Promise<Reply>;
    });
    const data = useBdat ? undefined : channel.prepare((s) => s.data(), 'data');
    if (data) parts.push(data.bytes);
    channel.writeCommands(joinAll(parts));
    mailReply = await (mail.replies[0] as Promise<Reply>);
    for (const r of rcpts) rcptReplies.push(await r);
    if (data) dataInit = await (data.replies[0] as Promise<Reply>);
  } else {
    mailReply = await command(channel, (s) => s.mail(plan.reversePath, plan.mailParams), 'mail');
    if (mailReply.code < 300) {
      for (const r of plan.recipients)
        rcptReplies.push(await command(channel, (s) => s.rcpt(r.path, r.params), 'rcpt'));
      if (!useBdat && rcptReplies.some((r) => r.code < 300))
        dataInit = await command(channel, (s) => s.data(), 'data');
    }
  }
  const tEnvelope = performance.now();
  // A 421 or a lost connection during the envelope ends the transaction as a whole.
  if (channel.closed && channel.closeError !== undefined) throw channel.closeError;

  if (dataInit?.code === 354 && (mailReply.code >= 300 || !rcptReplies.some((r) => r.code < 300))) {
    // RFC 2920 §3.1: a server may answer 354 though no recipient was accepted; end the
    // (empty) data at once and throw its reply away.
    channel.session.endData(1);
    const [ignored] = channel.expectQueued(1, 'data', false);
    await channel.writeData(new Uint8Array([0x2e, 0x0d, 0x0a]));
    await ignored;
  }
  if (mailReply.code >= 300) {
    await settle(channel);
    throw new SmtpReplyError(mailReply, { verb: 'MAIL' });
  }

  const acceptedIdx: number[] = [];
  rcptReplies.forEach((r, i) => {
    if (r.code < 300) acceptedIdx.push(i);
  });
  const finish = (
    final: (i: number) => Reply | undefined,
    dataReply: Reply | undefined,
    method: SendResult['method'],
  ) => {
    const recipients: RecipientResult[] = plan.recipients.map((r, i) => {
      const rcptReply = rcptReplies[i] as Reply;
      const decided = rcptReply.code < 300 ? (final(i) ?? rcptReply) : rcptReply;
      return { address: r.address, status: statusOf(decided), reply: decided, rcptReply };
    });
    const t1 = performance.now();
    return {
      recipients,
      accepted: recipients.filter((r) => r.status === 'accepted').map((r) => r.address),
      rejected: recipients.filter((r) => r.status === 'rejected').map((r) => r.address),
      deferred: recipients.filter((r) => r.status === 'deferred').map((r) => r.address),
      mailReply,
      dataReply,
      server: channel.server,
      tls: channel.tls,
      method,
      dsnDropped: plan.dsnDropped,
      timings: { envelope: tEnvelope - t0, data: t1 - tEnvelope, total: t1 - t0 },
    } satisfies SendResult;
  };

  if (acceptedIdx.length === 0) {
    // Every recipient refused: no data, reset the transaction (RFC 5321 §4.1.1.5).
    await settle(channel);
    await resetQuietly(channel);
    return finish(() => undefined, undefined, 'none');
  }
  const finalCount = settings.lmtp ? acceptedIdx.length : 1;

  let finals: Reply[];
  if (!useBdat) {
    if (dataInit === undefined || dataInit.code !== 354) {
      const refusal = dataInit as Reply;
      await resetQuietly(channel);
      return finish(() => refusal, refusal, 'DATA');
    }
    finals = await sendData(channel, body, bytes, finalCount, progress);
  } else {
    const outcome = await sendBdat(channel, body, bytes, finalCount, progress);
    if (outcome.failed !== undefined) {
      const refusal = outcome.failed;
      await resetQuietly(channel);
      return finish(() => refusal, refusal, 'BDAT');
    }
    finals = outcome.finals;
  }
  const lastReply = finals[finals.length - 1] as Reply;
  if (settings.lmtp) {
    const byIndex = new Map<number, Reply>();
    acceptedIdx.forEach((rcptIndex, k) => {
      byIndex.set(rcptIndex, finals[k] as Reply);
    });
    return finish((i) => byIndex.get(i), lastReply, useBdat ? 'BDAT' : 'DATA');
  }
  return finish(() => lastReply, lastReply, useBdat ? 'BDAT' : 'DATA');
}

function isIterable(value: unknown): value is AsyncIterable<Uint8Array> | Iterable<Uint8Array> {
  return (
    typeof value === 'object' && value !== null && (Symbol.asyncIterator in value || Symbol.iterator in value)
  );
}

/** Sends one command and awaits its reply (lock-step). */
export async function command(
  channel: Channel,
  build: Parameters<Channel['prepare']>[0],
  phase: Parameters<Channel['prepare']>[1],
  secret = false,
): Promise<Reply> {
  const p = channel.prepare(build, phase);
  channel.writeCommands(p.bytes, secret);
  return p.replies[0] as Promise<Reply>;
}

/** Waits until every in-flight reply arrived (after a pipelined group that failed early). */
async function settle(channel: Channel): Promise<void> {
  while (channel.pending > 0 && !channel.closed) await new Promise((r) => setImmediate(r));
}

async function resetQuietly(channel: Channel): Promise<void> {
  if (channel.closed || !channel.session.canSend('RSET')) return;
  const reply = await command(channel, (s) => s.rset(), 'rset');
  if (reply.code >= 300) channel.destroy(new SmtpReplyError(reply, { verb: 'RSET' }));
}

async function sendData(
  channel: Channel,
  body: MessageBody,
  bytes: Uint8Array | undefined,
  finalCount: number,
  progress: TransactionProgress,
): Promise<Reply[]> {
  const encoder = new DataEncoder();
  progress.bodyStarted = true;
  if (bytes !== undefined) {
    const stuffed = encoder.encode(bytes);
    const end = encoder.end();
    channel.session.endData(finalCount);
    const finals = channel.expectQueued(finalCount, 'data', true);
    progress.endSent = true;
    if (stuffed.length + end.length <= SMALL_WRITE) await channel.writeData(join(stuffed, end));
    else {
      await channel.writeData(stuffed);
      await channel.writeData(end);
    }
    return Promise.all(finals);
  }
  for await (const chunk of body as AsyncIterable<Uint8Array>) {
    await channel.writeData(encoder.encode(chunk));
  }
  channel.session.endData(finalCount);
  const finals = channel.expectQueued(finalCount, 'data', true);
  progress.endSent = true;
  await channel.writeData(encoder.end());
  return Promise.all(finals);
}

async function sendBdat(
  channel: Channel,
  body: MessageBody,
  bytes: Uint8Array | undefined,
  finalCount: number,
  progress: TransactionProgress,
): Promise<{ finals: Reply[]; failed: Reply | undefined }> {
  progress.bodyStarted = true;
  let failed: Reply | undefined;
  const interim: Promise<Reply>[] = [];
  const watch = (reply: Promise<Reply>) => {
    interim.push(reply);
    reply.then(
      (r) => {
        if (r.code >= 300 && failed === undefined) failed = r;
      },
      () => {},
    );
  };
  if (bytes !== undefined && bytes.length <= SMALL_WRITE) {
    // The common case: one `BDAT n LAST` and its octets in one write.
    const p = channel.prepare((s) => s.bdat(bytes.length, true, finalCount), 'data', true);
    progress.endSent = true;
    await channel.writeData(join(p.bytes, bytes));
    const finals = await Promise.all(p.replies);
    const bad = finals.find((r) => r.code >= 300);
    return { finals, failed: finalCount === 1 && bad !== undefined ? bad : undefined };
  }
  // RFC 3030 §4.2: BDAT commands may be pipelined; a failed chunk stops the rest.
  for await (const chunk of frameBdat(bytes ?? body)) {
    if (failed !== undefined) break;
    const p = channel.prepare(
      (s) => s.bdat(chunk.data.length, chunk.last, chunk.last ? finalCount : 1),
      'data',
      chunk.last,
    );
    if (chunk.last) {
      progress.endSent = true;
      channel.writeCommands(p.bytes);
      await channel.writeData(chunk.data);
      const results = await Promise.all(interim);
      const early = results.find((r) => r.code >= 300);
      const finals = await Promise.all(p.replies);
      if (early !== undefined) return { finals, failed: early };
      const bad = finals.find((r) => r.code >= 300);
      return { finals, failed: finalCount === 1 && bad !== undefined ? bad : undefined };
    }
    channel.writeCommands(p.bytes);
    await channel.writeData(chunk.data);
    watch(p.replies[0] as Promise<Reply>);
  }
  await Promise.all(interim);
  if (failed !== undefined) return { finals: [], failed };
  throw new SmtpClientError('BDAT framing ended without a LAST chunk', 'ERR_SMTP_PROTOCOL', 'data');
}
