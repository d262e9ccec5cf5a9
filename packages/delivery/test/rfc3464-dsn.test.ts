import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { formatDsn, mayNotify, notifyWants, parseDsn, parseNotify } from '../src/index';

const enc = new TextEncoder();
const original =
  'From: Alice <alice@example.org>\r\nTo: bob@example.com\r\nSubject: hello\r\nMessage-ID: <m1@example.org>\r\n\r\nBody line 1\r\n..dotted\r\nBody line 3\r\n';

async function collect(stream: AsyncIterable<Uint8Array>): Promise<string> {
  const chunks: Uint8Array[] = [];
  for await (const c of stream) chunks.push(c);
  return Buffer.concat(chunks).toString('utf8');
}

async function* chunked(text: string, size: number, read: { count: number }): AsyncGenerator<Uint8Array> {
  const bytes = enc.encode(text);
  for (let i = 0; i < bytes.length; i += size) {
    read.count += Math.min(size, bytes.length - i);
    yield bytes.subarray(i, i + size);
  }
}

const base = {
  reportingMta: 'mta.example.net',
  to: 'alice@example.org',
  date: new Date('2026-11-29T20:00:00Z'),
  boundary: 'dsn-boundary-1',
  messageId: 'dsn.1@mta.example.net',
} as const;

describe('RFC 3464 delivery status notifications', () => {
  it('§2.1 multipart/report with report-type=delivery-status, per-message and per-recipient fields', async () => {
    const text = await collect(
      formatDsn({
        ...base,
        envelopeId: 'QQ314159',
        arrivalDate: new Date('2026-11-28T10:00:00Z'),
        recipients: [
          {
            finalRecipient: 'bob@example.com',
            originalRecipient: { type: 'rfc822', address: 'Bob+tag@example.com' },
            action: 'failed',
            status: '5.1.1',
            remoteMta: 'mx1.example.com',
            diagnosticCode:
              '550 5.1.1 <bob@example.com>: Recipient address rejected: User unknown in virtual mailbox table',
            lastAttemptDate: new Date('2026-11-29T19:59:00Z'),
          },
          { finalRecipient: 'carol@example.com', action: 'delayed', status: '4.4.1' },
        ],
        content: enc.encode(original),
      }),
    );
    expect(text).toMatch(
      /^Content-Type: multipart\/report; report-type=delivery-status;\r\n\tboundary="dsn-boundary-1"/m,
    );
    expect(text).toContain('Content-Type: message/delivery-status\r\n');
    expect(text).toContain('Reporting-MTA: dns; mta.example.net\r\n');
    expect(text).toContain('Original-Envelope-Id: QQ314159\r\n');
    expect(text).toContain('Arrival-Date: Sat, 28 Nov 2026 10:00:00 +0000\r\n');
    // ORCPT travels as xtext (RFC 3461 §4.2): '+' becomes +2B.
    expect(text).toContain('Original-Recipient: rfc822; Bob+2Btag@example.com\r\n');
    expect(text).toContain('Final-Recipient: rfc822; bob@example.com\r\nAction: failed\r\nStatus: 5.1.1\r\n');
    expect(text).toContain('Remote-MTA: dns; mx1.example.com\r\n');
    expect(text).toContain('Last-Attempt-Date: Sun, 29 Nov 2026 19:59:00 +0000\r\n');
    for (const line of text.split('\r\n')) expect(line.length).toBeLessThanOrEqual(998);
    expect(text.endsWith('--dsn-boundary-1--\r\n')).toBe(true);

    const parsed = parseDsn(text);
    expect(parsed?.reportingMta).toEqual({ type: 'dns', text: 'mta.example.net' });
    expect(parsed?.originalEnvelopeId).toBe('QQ314159');
    expect(parsed?.arrivalDate?.toISOString()).toBe('2026-11-28T10:00:00.000Z');
    expect(parsed?.recipients).toHaveLength(2);
    const [bob, carol] = parsed!.recipients;
    expect(bob?.originalRecipient).toEqual({ type: 'rfc822', address: 'Bob+tag@example.com' });
    expect(bob?.finalRecipient).toEqual({ type: 'rfc822', address: 'bob@example.com' });
    expect(bob?.action).toBe('failed');
    expect(bob?.status).toBe('5.1.1');
    expect(bob?.remoteMta).toEqual({ type: 'dns', text: 'mx1.example.com' });
    expect(bob?.diagnosticCode).toEqual({
      type: 'smtp',
      text: '550 5.1.1 <bob@example.com>: Recipient address rejected: User unknown in virtual mailbox table',
    });
    expect(bob?.lastAttemptDate?.toISOString()).toBe('2026-11-29T19:59:00.000Z');
    expect(carol?.action).toBe('delayed');
    expect(parsed?.humanReadable).toContain('could not be delivered');
  });

  it('RFC 3461 §4.3 RET=HDRS returns text/rfc822-headers and stops reading at the end of the header', async () => {
    const read = { count: 0 };
    const big = `${original}${'x'.repeat(76)}\r\n`.repeat(1);
    const body = `${big}${'y'.repeat(70)}\r\n`.repeat(5000);
    const text = await collect(
      formatDsn({
        ...base,
        ret: 'HDRS',
        recipients: [{ finalRecipient: 'bob@example.com', action: 'failed', status: '5.0.0' }],
        content: chunked(body, 7, read),
      }),
    );
    expect(text).toContain('Content-Type: text/rfc822-headers\r\n');
    expect(text).not.toContain('Body line 1');
    expect(read.count).toBeLessThan(200);
    const parsed = parseDsn(text);
    expect(parsed?.returned?.kind).toBe('headers');
    expect(parsed?.returned?.text).toBe(original.slice(0, original.indexOf('\r\n\r\n') + 2));
  });

  it('RFC 3461 §4.3 RET=FULL returns the message byte for byte as message/rfc822', async () => {
    const read = { count: 0 };
    const text = await collect(
      formatDsn({
        ...base,
        ret: 'FULL',
        recipients: [{ finalRecipient: 'bob@example.com', action: 'failed', status: '5.0.0' }],
        content: chunked(original, 5, read),
      }),
    );
    expect(text).toContain('Content-Type: message/rfc822\r\n');
    const parsed = parseDsn(text);
    expect(parsed?.returned).toEqual({ kind: 'message', text: original });
  });

  it('a header-only original still yields a well-formed headers part', async () => {
    const text = await collect(
      formatDsn({
        ...base,
        recipients: [{ finalRecipient: 'bob@example.com', action: 'failed', status: '5.0.0' }],
        content: enc.encode('Subject: x'),
      }),
    );
    expect(parseDsn(text)?.returned).toEqual({ kind: 'headers', text: 'Subject: x\r\n' });
  });

  it('RFC 3461 §6.2 never a DSN to a null reverse-path', () => {
    expect(mayNotify('')).toBe(false);
    expect(mayNotify('<>')).toBe(false);
    expect(mayNotify('a@b.example')).toBe(true);
    const gen = formatDsn({
      ...base,
      to: '',
      recipients: [{ finalRecipient: 'b@c', action: 'failed', status: '5.0.0' }],
    });
    return expect(gen.next()).rejects.toThrow(TypeError);
  });

  it('rejects CR/LF that would inject header fields', async () => {
    const gen = formatDsn({
      ...base,
      recipients: [
        { finalRecipient: 'b@c', action: 'failed', status: '5.0.0', diagnosticCode: '550 x\r\nBcc: evil' },
      ],
    });
    await expect(gen.next()).rejects.toThrow(TypeError);
  });

  it('RFC 3461 §4.1 NOTIFY: NEVER, FAILURE, DELAY, SUCCESS', () => {
    expect(notifyWants('NEVER', 'failed')).toBe(false);
    expect(notifyWants(['FAILURE'], 'failed')).toBe(true);
    expect(notifyWants(['FAILURE'], 'delayed')).toBe(false);
    expect(notifyWants(['DELAY'], 'delayed')).toBe(true);
    expect(notifyWants(['SUCCESS'], 'delivered')).toBe(true);
    expect(notifyWants(['SUCCESS'], 'relayed')).toBe(true);
    expect(notifyWants(['FAILURE'], 'delivered')).toBe(false);
    expect(notifyWants(undefined, 'failed')).toBe(true);
    expect(notifyWants(undefined, 'delivered')).toBe(false);
    expect(parseNotify('never')).toBe('NEVER');
    expect(parseNotify('SUCCESS,FAILURE')).toEqual(['SUCCESS', 'FAILURE']);
    expect(() => parseNotify('NEVER,FAILURE')).toThrow(RangeError);
  });

  it('RFC 6533 internationalized DSN: message/global-delivery-status with utf-8 addresses', async () => {
    const text = await collect(
      formatDsn({
        ...base,
        global: true,
        ret: 'FULL',
        recipients: [
          {
            finalRecipient: { type: 'utf-8', address: 'josé@exemplo.example' },
            action: 'failed',
            status: '5.1.1',
          },
        ],
        content: enc.encode('Subject: olá\r\n\r\ncorpo\r\n'),
      }),
    );
    expect(text).toContain('Content-Type: message/global-delivery-status\r\n');
    expect(text).toContain('Content-Type: message/global\r\n');
    const parsed = parseDsn(enc.encode(text));
    expect(parsed?.recipients[0]?.finalRecipient).toEqual({ type: 'utf-8', address: 'josé@exemplo.example' });
    expect(parsed?.returned).toEqual({ kind: 'message', text: 'Subject: olá\r\n\r\ncorpo\r\n' });
  });

  it('parseDsn returns undefined for mail that is not a DSN', () => {
    expect(parseDsn(original)).toBeUndefined();
  });

  it('parses a Postfix-style bounce nested in multipart/mixed with quoted-printable status', () => {
    const bounce = [
      'Content-Type: multipart/mixed; boundary=outer',
      '',
      '--outer',
      'Content-Type: multipart/report; report-type="delivery-status"; boundary="inner" (comment)',
      '',
      '--inner',
      'Content-Type: text/plain',
      '',
      'hi',
      '--inner',
      'Content-Type: message/delivery-status',
      'Content-Transfer-Encoding: quoted-printable',
      '',
      'Reporting-MTA: dns; mail.example',
      'X-Postfix-Queue-ID: 123',
      '',
      'Final-Recipient: rfc822; <who@example.com>',
      'Action: Failed (permanent)',
      'Status: 5.7.1 (policy)',
      'Diagnostic-Code: smtp; 550 5.7.1 very=20long',
      '    text continued',
      '',
      '--inner--',
      '--outer--',
      '',
    ].join('\r\n');
    const parsed = parseDsn(bounce);
    expect(parsed?.reportingMta?.text).toBe('mail.example');
    expect(parsed?.recipients[0]?.finalRecipient.address).toBe('who@example.com');
    expect(parsed?.recipients[0]?.action).toBe('failed');
    expect(parsed?.recipients[0]?.status).toBe('5.7.1');
    expect(parsed?.recipients[0]?.diagnosticCode?.text).toBe('550 5.7.1 very long text continued');
  });

  it('an ORCPT that looks bracketed survives the round trip', async () => {
    const text = await collect(
      formatDsn({
        ...base,
        recipients: [
          {
            finalRecipient: 'a@b.example',
            originalRecipient: { type: 'rfc822', address: '<>' },
            action: 'failed',
            status: '5.0.0',
          },
        ],
      }),
    );
    expect(parseDsn(text)?.recipients[0]?.originalRecipient).toEqual({ type: 'rfc822', address: '<>' });
  });

  it('round-trips arbitrary recipients and diagnostics (fast-check)', async () => {
    const local = fc.stringMatching(/^[a-z0-9.+_-]{1,20}$/);
    const diag = fc.stringMatching(/^[ -~]{0,300}$/).map((s) => s.replace(/ +/g, ' ').trim());
    await fc.assert(
      fc.asyncProperty(
        fc.array(
          fc.record({
            local,
            orcpt: fc.option(fc.stringMatching(/^[!-~]{1,30}$/), { nil: undefined }),
            action: fc.constantFrom('failed', 'delayed', 'delivered', 'relayed', 'expanded' as const),
            status: fc
              .tuple(fc.constantFrom(2, 4, 5), fc.nat(7), fc.nat(30))
              .map(([a, b, c]) => `${a}.${b}.${c}`),
            diag,
          }),
          { minLength: 1, maxLength: 5 },
        ),
        async (rcpts) => {
          const text = await collect(
            formatDsn({
              ...base,
              recipients: rcpts.map((r) => ({
                finalRecipient: `${r.local}@example.com`,
                ...(r.orcpt !== undefined && { originalRecipient: { type: 'rfc822', address: r.orcpt } }),
                action: r.action,
                status: r.status,
                ...(r.diag !== '' && { diagnosticCode: r.diag }),
              })),
            }),
          );
          const parsed = parseDsn(text);
          expect(parsed?.recipients.map((r) => r.finalRecipient.address)).toEqual(
            rcpts.map((r) => `${r.local}@example.com`),
          );
          parsed?.recipients.forEach((p, i) => {
            const r = rcpts[i]!;
            expect(p.action).toBe(r.action);
            expect(p.status).toBe(r.status);
            expect(p.originalRecipient?.address).toBe(r.orcpt);
            expect(p.diagnosticCode?.text).toBe(r.diag === '' ? undefined : r.diag);
          });
        },
      ),
      { numRuns: 200 },
    );
  });
});
