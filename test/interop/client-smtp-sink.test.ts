/**
 * @smtpkit/client against Postfix's smtp-sink: pipelined envelopes, per-recipient results,
 * and the sink's fault flags (reject, disconnect after the dot, no ESMTP, no PIPELINING,
 * LMTP, delays).
 */
import { connect, sendMail } from '@smtpkit/client';
import { afterEach, describe, expect, it } from 'vitest';
import { programAvailability } from '../support/services';
import { SMTP_SINK, type SmtpSink, startSmtpSink } from './harness/smtp-sink';

const sinkAvailable = programAvailability(SMTP_SINK);
const te = new TextEncoder();
const body = te.encode('From: a@example.com\r\nSubject: interop\r\n\r\n.a dot line\r\nbody\r\n');

let sink: SmtpSink | undefined;
afterEach(async () => {
  await sink?.stop();
  sink = undefined;
});
const opts = (port: number) => ({ host: '127.0.0.1', port, security: 'none' as const, name: 'client.test' });

describe.skipIf(!sinkAvailable.available)(`client → smtp-sink (${sinkAvailable.reason})`, () => {
  it('pipelined send with several recipients; the sink receives the un-stuffed body', async () => {
    sink = await startSmtpSink([], { dump: true });
    const client = await connect(opts(sink.port));
    expect(client.capabilities?.pipelining).toBe(true);
    const result = await client.sendMail(
      { from: 'a@example.com', to: ['b@example.org', 'c@example.org'] },
      body,
    );
    await client.quit();
    expect(result.accepted).toEqual(['b@example.org', 'c@example.org']);
    expect(result.method).toBe('DATA');
    const dumps = sink.dumps();
    expect(dumps).toHaveLength(1);
    // smtp-sink dumps with LF line ends.
    expect(dumps[0]?.replaceAll('\r\n', '\n')).toContain('Subject: interop\n\n.a dot line\nbody\n');
  });

  it('-f RCPT (hard reject): every recipient rejected as a value, no DATA, RSET', async () => {
    sink = await startSmtpSink(['-f', 'RCPT']);
    const client = await connect(opts(sink.port));
    const result = await client.sendMail(
      { from: 'a@example.com', to: ['b@example.org', 'c@example.org'] },
      body,
    );
    expect(result.rejected).toEqual(['b@example.org', 'c@example.org']);
    expect(result.method).toBe('none');
    expect((await client.noop()).code).toBe(250);
    await client.quit();
  });

  it('-r RCPT (soft reject): deferred recipients', async () => {
    sink = await startSmtpSink(['-r', 'RCPT']);
    const result = await sendMail({
      ...opts(sink.port),
      envelope: { from: 'a@example.com', to: ['b@example.org'] },
      body,
    });
    expect(result.deferred).toEqual(['b@example.org']);
  });

  it('-q . (disconnect after the final dot): a connection error that may have delivered', async () => {
    sink = await startSmtpSink(['-q', '.']);
    const client = await connect(opts(sink.port));
    const error = await client
      .sendMail({ from: 'a@example.com', to: ['b@example.org'] }, body)
      .catch((e) => e);
    expect(error).toMatchObject({ code: 'ERR_SMTP_CONNECTION', phase: 'data', messageMayBeAccepted: true });
  });

  it('-f MAIL: SmtpReplyError for MAIL, the connection stays usable', async () => {
    sink = await startSmtpSink(['-f', 'MAIL']);
    const client = await connect(opts(sink.port));
    const error = await client
      .sendMail({ from: 'a@example.com', to: ['b@example.org'] }, body)
      .catch((e) => e);
    expect(error).toMatchObject({ name: 'SmtpReplyError', verb: 'MAIL', permanent: true });
    expect((await client.noop()).code).toBe(250);
    await client.quit();
  });

  it('-e (no ESMTP): HELO fallback, lock-step send', async () => {
    sink = await startSmtpSink(['-e']);
    const client = await connect(opts(sink.port));
    expect(client.capabilities?.pipelining).toBe(false);
    const result = await client.sendMail({ from: 'a@example.com', to: ['b@example.org'] }, body);
    expect(result.accepted).toEqual(['b@example.org']);
    await client.quit();
  });

  it('-p (no PIPELINING): lock-step send', async () => {
    sink = await startSmtpSink(['-p']);
    const client = await connect(opts(sink.port));
    expect(client.capabilities?.pipelining).toBe(false);
    const result = await client.sendMail(
      { from: 'a@example.com', to: ['b@example.org', 'c@example.org'] },
      body,
    );
    expect(result.accepted).toHaveLength(2);
    await client.quit();
  });

  it('-L (LMTP): LHLO and one reply per recipient', async () => {
    sink = await startSmtpSink(['-L']);
    const client = await connect({ ...opts(sink.port), lmtp: true });
    const result = await client.sendMail(
      { from: 'a@example.com', to: ['b@example.org', 'c@example.org'] },
      body,
    );
    expect(result.recipients.map((r) => r.status)).toEqual(['accepted', 'accepted']);
    await client.quit();
  });

  it('-p -w 2 (DATA answered after 2 s) against a 300 ms DATA-initiation timeout: ERR_SMTP_TIMEOUT in phase data', async () => {
    sink = await startSmtpSink(['-p', '-w', '2']);
    const client = await connect({ ...opts(sink.port), timeouts: { dataInit: 300 } });
    const error = await client
      .sendMail({ from: 'a@example.com', to: ['b@example.org'] }, body)
      .catch((e) => e);
    expect(error).toMatchObject({ code: 'ERR_SMTP_TIMEOUT', phase: 'data', messageMayBeAccepted: false });
    expect(client.closed).toBe(true);
  });
});
