import { SmtpClientError } from '@smtpkit/client';
import { describe, expect, it } from 'vitest';
import type { MtaStsResolver } from '../src/index';
import { message, ok, refused, reply, scriptedTransport, setup, zone } from './support/harness';

const MIN = 60_000;

describe('delivery worker: routing and classification', () => {
  it('RFC 5321 §5.1 tries MX hosts by preference and falls back when the first refuses connections', async () => {
    const t = scriptedTransport((a) => (a.host === 'mx1.example.com' ? refused() : ok(a.recipients.length)));
    const { worker, queue, enqueue, events } = setup(zone, t);
    const id = await enqueue({ to: ['bob@example.com'] });
    expect(await worker.processDue()).toBe(1);
    expect(t.calls.map((c) => [c.host, c.address])).toEqual([
      ['mx1.example.com', '127.0.0.11'],
      ['mx2.example.com', '127.0.0.12'],
    ]);
    await expect(queue.inspect(id)).rejects.toThrow();
    expect(events.find((e) => e.type === 'recipient')).toMatchObject({
      verdict: { kind: 'delivered', host: 'mx2.example.com' },
    });
  });

  it('no reachable host defers with 4.4.1 and the schedule sets the next attempt', async () => {
    const t = scriptedTransport(() => refused());
    const { worker, queue, enqueue, clock } = setup(zone, t);
    const id = await enqueue({ to: ['bob@example.com'] });
    await worker.processDue();
    const info = await queue.inspect(id);
    expect(info.recipients[0]).toMatchObject({
      status: 'pending',
      attempts: 1,
      nextAttemptAt: clock.t + 5 * MIN,
    });
    expect(info.recipients[0]?.lastReason).toMatch(/^4\.4\.1 /);
  });

  it('greylisting: 451 then accepted on the retry after the scheduled delay (injected clock)', async () => {
    let n = 0;
    const t = scriptedTransport((a) =>
      n++ === 0
        ? {
            replies: [{ code: 451, enhanced: '4.7.1', lines: ['Greylisted, try again later'] }],
            dsnRelayed: true,
          }
        : ok(a.recipients.length),
    );
    const { worker, queue, enqueue, clock, dsns } = setup(zone, t);
    const id = await enqueue({ to: ['bob@example.com'] });
    await worker.processDue();
    expect((await queue.inspect(id)).recipients[0]).toMatchObject({ status: 'pending', attempts: 1 });
    expect(await worker.processDue()).toBe(0); // not due yet
    clock.t += 5 * MIN;
    expect(await worker.processDue()).toBe(1);
    await expect(queue.inspect(id)).rejects.toThrow();
    expect(t.calls).toHaveLength(2);
    expect(await dsns()).toHaveLength(0);
  });

  it('RFC 5321 §3.8 a 421 storm pauses the destination for every message, doubling, until it recovers', async () => {
    let storm = true;
    const t = scriptedTransport((a) =>
      storm ? reply(421, '4.3.2', 'Service not available, closing channel') : ok(a.recipients.length),
    );
    const { worker, queue, enqueue, clock, events } = setup(
      {
        'example.com': { mx: [{ priority: 10, exchange: 'mx1.example.com' }] },
        'mx1.example.com': { a: ['127.0.0.11'] },
      },
      t,
      { destinationBackoff: { initialMs: MIN, maximumMs: 60 * MIN } },
    );
    const first = await enqueue({ to: ['a@example.com'] });
    await worker.processDue();
    expect(t.calls).toHaveLength(1);
    expect(events.some((e) => e.type === 'host-paused')).toBe(true);
    // Other messages to the paused host do not connect at all.
    const ids = [await enqueue({ to: ['b@example.com'] }), await enqueue({ to: ['c@example.com'] })];
    await worker.processDue();
    expect(t.calls).toHaveLength(1);
    const b = (await queue.inspect(ids[0]!)).recipients[0]!;
    expect(b.lastReason).toMatch(/pausing after 421/);
    expect(b.nextAttemptAt).toBeGreaterThanOrEqual(clock.t + MIN);
    // After the pause one connection probes again; a second 421 doubles the pause.
    clock.t += 5 * MIN;
    await worker.processDue();
    expect(t.calls).toHaveLength(2); // a single probe, not one per queued message
    const paused = events.filter((e) => e.type === 'host-paused');
    expect(paused.map((e) => (e.type === 'host-paused' ? e.until : 0))).toEqual([
      Date.UTC(2026, 10, 29, 12) + MIN,
      clock.t + 2 * MIN,
    ]);
    storm = false;
    // One probe goes first; the rest follow once it has succeeded.
    for (let i = 0; i < 3; i++) {
      clock.t += 70 * MIN;
      await worker.processDue();
    }
    for (const id of [first, ...ids]) await expect(queue.inspect(id)).rejects.toThrow();
  });

  it('partial recipient rejection: the accepted are delivered, the rejected failed and bounced alone', async () => {
    const t = scriptedTransport((a) => ({
      replies: a.recipients.map((r) =>
        r.address.startsWith('nobody')
          ? { code: 550, enhanced: '5.1.1', lines: ['<nobody@example.com>: Recipient address rejected'] }
          : { code: 250, enhanced: '2.0.0', lines: ['OK'] },
      ),
      dsnRelayed: true,
    }));
    const { worker, enqueue, dsns } = setup(zone, t);
    await enqueue({ to: ['bob@example.com', 'nobody@example.com', 'carol@example.com'] });
    await worker.processDue();
    const [dsn, ...more] = await dsns();
    expect(more).toHaveLength(0);
    expect(dsn?.envelope.reversePath).toBe('');
    expect(dsn?.envelope.recipients).toEqual([{ address: 'alice@example.org' }]);
    expect(dsn?.parsed?.recipients).toHaveLength(1);
    expect(dsn?.parsed?.recipients[0]).toMatchObject({
      finalRecipient: { type: 'rfc822', address: 'nobody@example.com' },
      action: 'failed',
      status: '5.1.1',
      remoteMta: { type: 'dns', text: 'mx1.example.com' },
      diagnosticCode: { type: 'smtp', text: '550 5.1.1 <nobody@example.com>: Recipient address rejected' },
    });
    expect(dsn?.parsed?.reportingMta?.text).toBe('mta.test');
  });

  it('RFC 7505 null MX fails at once with 5.1.10, no connection', async () => {
    const t = scriptedTransport(() => ok(1));
    const { worker, enqueue, dsns } = setup(zone, t);
    await enqueue({ to: ['x@nullmx.example'] });
    await worker.processDue();
    expect(t.calls).toHaveLength(0);
    const [dsn] = await dsns();
    expect(dsn?.parsed?.recipients[0]).toMatchObject({ action: 'failed', status: '5.1.10' });
  });

  it('an address the client refuses to send (TypeError) fails with 5.1.3 instead of looping', async () => {
    const t = scriptedTransport(() => new TypeError('invalid to address "a b@example.com"'));
    const { worker, enqueue, dsns } = setup(zone, t);
    await enqueue({ to: ['bob@example.com'] });
    await worker.processDue();
    expect(t.calls).toHaveLength(1);
    expect((await dsns())[0]?.parsed?.recipients[0]).toMatchObject({ action: 'failed', status: '5.1.3' });
  });

  it('a DNS temporary failure defers with 4.4.3', async () => {
    const { worker, enqueue, queue } = setup(
      zone,
      scriptedTransport(() => ok(1)),
    );
    const id = await enqueue({ to: ['x@broken.example'] });
    await worker.processDue();
    expect((await queue.inspect(id)).recipients[0]?.lastReason).toMatch(/^4\.4\.3 /);
  });

  it('a connection lost after the final dot defers and is reported as a possible duplicate', async () => {
    let n = 0;
    const t = scriptedTransport((a) =>
      n++ === 0
        ? new SmtpClientError('connection closed', 'ERR_SMTP_CONNECTION', 'data', {
            messageMayBeAccepted: true,
          })
        : ok(a.recipients.length),
    );
    const { worker, enqueue, events, clock, queue } = setup(zone, t);
    const id = await enqueue({ to: ['bob@example.com'] });
    await worker.processDue();
    // Not retried on the next MX right away: that would make the duplicate certain.
    expect(t.calls).toHaveLength(1);
    expect(events.find((e) => e.type === 'possible-duplicate')).toMatchObject({
      messageId: id,
      host: 'mx1.example.com',
    });
    clock.t += 5 * MIN;
    await worker.processDue();
    await expect(queue.inspect(id)).rejects.toThrow();
  });
});

describe('delivery worker: DSNs (RFC 3464, RFC 3461)', () => {
  it('expiry fails with 4.4.7 and bounces, keeping the last error', async () => {
    const t = scriptedTransport(() => reply(451, '4.3.0', 'Temporary local problem', 'MAIL'));
    const { worker, enqueue, clock, dsns } = setup(zone, t, { maxLifetime: 60 * MIN });
    await enqueue({ to: ['bob@example.com'], envid: 'ENV-1' });
    for (let i = 0; i < 10; i++) {
      await worker.processDue();
      clock.t += 15 * MIN;
    }
    const [dsn, ...more] = await dsns();
    expect(more).toHaveLength(0);
    expect(dsn?.parsed?.originalEnvelopeId).toBe('ENV-1');
    expect(dsn?.parsed?.recipients[0]).toMatchObject({ action: 'failed', status: '4.4.7' });
    expect(dsn?.parsed?.recipients[0]?.diagnosticCode?.text).toContain('451 4.3.0 Temporary local problem');
    expect(dsn?.text).toContain('Subject: Undelivered Mail Returned to Sender');
  });

  it('RET=HDRS returns the headers, RET=FULL the whole message', async () => {
    const t = scriptedTransport(() => reply(550, '5.7.1', 'Rejected', 'MAIL'));
    const { worker, enqueue, dsns } = setup(zone, t);
    await enqueue({ to: ['bob@example.com'], ret: 'HDRS' }, message('headers only'));
    await enqueue({ to: ['bob@example.com'], ret: 'FULL' }, message('full'));
    await worker.processDue();
    const all = await dsns();
    const hdrs = all.find((d) => d.text.includes('Subject: headers only'));
    const full = all.find((d) => d.text.includes('Subject: full'));
    expect(hdrs?.parsed?.returned?.kind).toBe('headers');
    expect(hdrs?.text).not.toContain('body line');
    expect(full?.parsed?.returned).toEqual({
      kind: 'message',
      text: new TextDecoder().decode(message('full')),
    });
  });

  it('RFC 3461 §6.2 a null reverse-path is never bounced', async () => {
    const t = scriptedTransport(() => reply(550, '5.1.1', 'No such user', 'MAIL'));
    const { worker, enqueue, dsns, queue } = setup(zone, t);
    await enqueue({ to: ['bob@example.com'], reversePath: '' });
    await worker.processDue();
    expect(await dsns()).toHaveLength(0);
    expect((await queue.stats()).messages).toBe(0);
  });

  it('RFC 3461 §4.1 NOTIFY=NEVER: no DSN; NOTIFY=SUCCESS to a hop without DSN: "relayed"', async () => {
    const t = scriptedTransport((a) =>
      a.recipients[0]?.address.startsWith('ok')
        ? { ...ok(1), dsnRelayed: false }
        : reply(550, '5.1.1', 'No', 'MAIL'),
    );
    const { worker, queue, dsns } = setup(zone, t);
    await queue.enqueue({
      envelope: {
        reversePath: 'alice@example.org',
        recipients: [{ address: 'no@example.com', notify: 'NEVER' }],
      },
      content: message(),
    });
    await queue.enqueue({
      envelope: {
        reversePath: 'alice@example.org',
        recipients: [
          {
            address: 'ok@example.com',
            notify: ['SUCCESS'],
            orcpt: { type: 'rfc822', address: 'OK@example.com' },
          },
        ],
      },
      content: message(),
    });
    await worker.processDue();
    const all = await dsns();
    expect(all).toHaveLength(1);
    expect(all[0]?.parsed?.recipients[0]).toMatchObject({
      action: 'relayed',
      status: '2.0.0',
      originalRecipient: { type: 'rfc822', address: 'OK@example.com' },
    });
  });

  it('delay notices once after the configured time, to NOTIFY=DELAY senders', async () => {
    const t = scriptedTransport(() => reply(451, '4.7.1', 'Later', 'MAIL'));
    const { worker, enqueue, clock, dsns } = setup(zone, t, { dsn: { delayWarningAfterMs: 4 * 60 * MIN } });
    await enqueue({ to: ['bob@example.com'] });
    for (let i = 0; i < 12; i++) {
      await worker.processDue();
      clock.t += 67 * MIN;
    }
    const all = await dsns();
    expect(all).toHaveLength(1);
    expect(all[0]?.parsed?.recipients[0]).toMatchObject({ action: 'delayed', status: '4.7.1' });
    expect(all[0]?.parsed?.recipients[0]?.willRetryUntil).toBeInstanceOf(Date);
  });
});

describe('delivery worker: TLS policy', () => {
  const sts = (mode: 'enforce' | 'testing', mx: string[]): MtaStsResolver => ({
    lookup: async () => ({
      status: 'policy',
      policy: { version: 'STSv1', mode, mx, maxAge: 86400 },
      id: '1',
      source: 'fetched',
      expiresAt: 0,
    }),
  });

  it('RFC 8461 §5 enforce with no listed MX defers without connecting', async () => {
    const t = scriptedTransport(() => ok(1));
    const { worker, enqueue, queue } = setup(zone, t, {
      tlsPolicy: 'mta-sts',
      mtaSts: sts('enforce', ['mail.elsewhere.example']),
    });
    const id = await enqueue({ to: ['bob@example.com'] });
    await worker.processDue();
    expect(t.calls).toHaveLength(0);
    expect((await queue.inspect(id)).recipients[0]?.lastReason).toMatch(/^4\.7\.5 MTA-STS/);
  });

  it('RFC 8461 enforce restricts to listed MX hosts and requires verified TLS; testing only reports', async () => {
    const t = scriptedTransport((a) => ok(a.recipients.length));
    const { worker, enqueue } = setup(zone, t, {
      tlsPolicy: 'mta-sts',
      mtaSts: sts('enforce', ['mx2.example.com']),
    });
    await enqueue({ to: ['bob@example.com'] });
    await worker.processDue();
    expect(t.calls.map((c) => [c.host, c.tls])).toEqual([
      ['mx2.example.com', { mode: 'required', verify: true }],
    ]);

    const t2 = scriptedTransport((a) => ok(a.recipients.length));
    const s2 = setup(zone, t2, { tlsPolicy: 'mta-sts', mtaSts: sts('testing', ['mx2.example.com']) });
    await s2.enqueue({ to: ['bob@example.com'] });
    await s2.worker.processDue();
    expect(t2.calls.map((c) => [c.host, c.tls.mode])).toEqual([['mx1.example.com', 'opportunistic']]);
    expect(s2.events.find((e) => e.type === 'mta-sts')).toMatchObject({
      mode: 'testing',
      result: 'violation',
    });
  });

  it('TLS required against servers without STARTTLS defers (no plaintext fallback)', async () => {
    const t = scriptedTransport(
      (a) => new SmtpClientError(`${a.address}:25 does not offer STARTTLS`, 'ERR_SMTP_TLS', 'tls'),
    );
    const { worker, enqueue, queue } = setup(zone, t, { tlsPolicy: 'required' });
    const id = await enqueue({ to: ['bob@example.com'] });
    await worker.processDue();
    expect(t.calls.every((c) => c.tls.mode === 'required')).toBe(true);
    expect((await queue.inspect(id)).recipients[0]?.lastReason).toMatch(/^4\.7\.4 /);
  });

  it('opportunistic: a failed handshake falls back to plaintext only when allowed', async () => {
    const handshake = (a: { tls: { mode: string } }) =>
      a.tls.mode === 'none' ? ok(1) : new SmtpClientError('handshake failed', 'ERR_SMTP_TLS', 'tls');
    const strict = scriptedTransport(handshake);
    const s1 = setup(zone, strict);
    const id = await s1.enqueue({ to: ['bob@example.com'] });
    await s1.worker.processDue();
    expect(strict.calls.map((c) => c.tls.mode)).toEqual(['opportunistic', 'opportunistic']);
    expect((await s1.queue.inspect(id)).recipients[0]?.lastReason).toMatch(/^4\.7\.5 /);

    const lax = scriptedTransport(handshake);
    const s2 = setup(zone, lax, { tlsPolicy: { mode: 'opportunistic', allowPlaintextFallback: true } });
    await s2.enqueue({ to: ['bob@example.com'] });
    await s2.worker.processDue();
    expect(lax.calls.map((c) => c.tls.mode)).toEqual(['opportunistic', 'none']);
  });

  it('RFC 8689 REQUIRETLS messages go only over verified TLS', async () => {
    const t = scriptedTransport((a) => ok(a.recipients.length));
    const { worker, enqueue } = setup(zone, t, { tlsPolicy: 'none' });
    await enqueue({ to: ['bob@example.com'], requireTls: true });
    await worker.processDue();
    expect(t.calls[0]).toMatchObject({ requireTls: true, tls: { mode: 'required', verify: true } });
  });
});

describe('delivery worker: lifecycle', () => {
  it('start() delivers enqueued mail in the background; stop() drains', async () => {
    const t = scriptedTransport((a) => ok(a.recipients.length));
    const { worker, enqueue, queue } = setup(zone, t, { pollIntervalMs: 20 });
    worker.start();
    for (let i = 0; i < 5; i++) await enqueue({ to: [`u${i}@example.com`, `v${i}@example.org`] });
    for (let i = 0; i < 100 && (await queue.stats()).messages > 0; i++)
      await new Promise((r) => setTimeout(r, 20));
    await worker.stop({ deadlineMs: 1000 });
    expect((await queue.stats()).messages).toBe(0);
    expect(worker.running).toBe(false);
  });

  it('stop({ deadlineMs }) aborts a delivery that outlives the deadline; its recipient stays queued', async () => {
    const t = async (a: { signal: AbortSignal }) =>
      new Promise<never>((_, reject) => {
        a.signal.addEventListener('abort', () => reject(a.signal.reason), { once: true });
      });
    const { worker, enqueue, queue } = setup(zone, t, { pollIntervalMs: 10 });
    const id = await enqueue({ to: ['bob@example.com'] });
    worker.start();
    for (let i = 0; i < 100 && (await queue.inspect(id)).state !== 'active'; i++) {
      await new Promise((r) => setTimeout(r, 10));
    }
    // Without the abort this would hang until the test times out.
    await worker.stop({ deadlineMs: 100 });
    const info = await queue.inspect(id);
    expect(info.recipients[0]).toMatchObject({ status: 'pending', attempts: 0 });
  });

  it('per-domain concurrency caps simultaneous connections to one domain', async () => {
    let open = 0;
    let peak = 0;
    const t = async (a: { recipients: readonly unknown[] }) => {
      open++;
      peak = Math.max(peak, open);
      await new Promise((r) => setTimeout(r, 10));
      open--;
      return ok(a.recipients.length);
    };
    const { worker, enqueue } = setup(zone, t, { perDomainConcurrency: 2, concurrency: 10 });
    for (let i = 0; i < 8; i++) await enqueue({ to: [`u${i}@example.com`] });
    await worker.processDue();
    expect(peak).toBe(2);
  });
});
