import {
  decodeEnvelope,
  type Envelope,
  encodeEnvelope,
  isQueueError,
  type JsonValue,
  QueueCorruptRecordError,
  QueueNotFoundError,
  recipientDomain,
  validateEnvelope,
} from '@smtpkit/queue';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';

const safeAddress = fc
  .tuple(fc.stringMatching(/^[A-Za-z0-9._+-]{1,20}$/), fc.stringMatching(/^[a-z0-9-]{1,20}\.[a-z]{2,6}$/))
  .map(([local, domain]) => `${local}@${domain}`);

const envelopeArb: fc.Arbitrary<Envelope> = fc.record(
  {
    reversePath: fc.oneof(fc.constant(''), safeAddress),
    recipients: fc.array(
      fc.record(
        {
          address: safeAddress,
          notify: fc.oneof(
            fc.constant('NEVER' as const),
            fc.subarray(['SUCCESS', 'FAILURE', 'DELAY'] as const, { minLength: 1 }),
          ),
          orcpt: fc.record({ type: fc.constant('rfc822'), address: fc.string({ unit: 'binary' }) }),
        },
        { requiredKeys: ['address'] },
      ),
      { minLength: 1, maxLength: 5 },
    ),
    envid: fc.string({ unit: 'binary' }),
    ret: fc.constantFrom('FULL' as const, 'HDRS' as const),
    requireTls: fc.boolean(),
    metadata: fc.dictionary(
      fc.string({ unit: 'binary' }),
      fc.jsonValue().filter((v) => !Object.is(v, -0)) as fc.Arbitrary<JsonValue>,
    ),
  },
  { requiredKeys: ['reversePath', 'recipients'] },
);

describe('envelope record encoding', () => {
  it('round-trips any valid envelope, CR/LF and NUL in free-text fields included (fast-check)', () => {
    fc.assert(
      fc.property(envelopeArb, (envelope) => {
        const record = encodeEnvelope(envelope);
        // One record is one JSON text: a CR or LF in the data is escaped, never raw.
        expect(record).not.toMatch(/[\r\n\u0000]/);
        expect(decodeEnvelope(record)).toEqual(JSON.parse(JSON.stringify(envelope)));
      }),
    );
  });

  it('an address with CR/LF is rejected before anything is encoded (CVE-2020-28021 class)', () => {
    for (const address of [
      'a@example.com\r\nX: y',
      'a@example.com\n',
      'a\r@example.com',
      'a@exa\u0000mple.com',
    ]) {
      expect(() => validateEnvelope({ reversePath: '', recipients: [{ address }] })).toThrow(TypeError);
      expect(() =>
        validateEnvelope({ reversePath: address, recipients: [{ address: 'b@example.com' }] }),
      ).toThrow(TypeError);
    }
  });

  it('quoted local parts may hold spaces and brackets (RFC 5321 §4.1.2 qtextSMTP); a bracketed path or C1 control may not', () => {
    expect(() =>
      validateEnvelope({ reversePath: '"a b<c>"@example.com', recipients: [{ address: 'b@example.com' }] }),
    ).not.toThrow();
    for (const address of ['<b@example.com>', ' b@example.com', 'b@example.com ', 'b\u0085@example.com']) {
      expect(() => validateEnvelope({ reversePath: '', recipients: [{ address }] })).toThrow(TypeError);
    }
  });

  it('a damaged or foreign record fails with ERR_SMTP_QUEUE_CORRUPT_RECORD', () => {
    const good = encodeEnvelope({ reversePath: 'a@example.org', recipients: [{ address: 'b@example.com' }] });
    for (const record of [good.slice(0, -1), '{"v":2}', '{"v":1,"reversePath":"a","recipients":[]}', '[]']) {
      let error: unknown;
      try {
        decodeEnvelope(record);
      } catch (e) {
        error = e;
      }
      expect(error).toBeInstanceOf(QueueCorruptRecordError);
      expect(isQueueError(error, 'ERR_SMTP_QUEUE_CORRUPT_RECORD')).toBe(true);
    }
  });

  it('drops unknown fields so the stored record is exactly the typed envelope', () => {
    const record = encodeEnvelope({
      reversePath: '',
      recipients: [{ address: 'b@example.com', extra: 1 }],
      junk: true,
    } as never);
    expect(JSON.parse(record)).toEqual({ v: 1, reversePath: '', recipients: [{ address: 'b@example.com' }] });
  });

  it('recipientDomain lowercases the part after the last @ (RFC 5321 §2.4: domains are case-insensitive)', () => {
    expect(recipientDomain('"a@b"@Example.COM')).toBe('example.com');
    expect(recipientDomain('postmaster')).toBe('');
    expect(recipientDomain('x@[192.0.2.1]')).toBe('[192.0.2.1]');
  });
});

describe('error guards', () => {
  it('recognise queue errors by brand and code, not instanceof alone', () => {
    const error = new QueueNotFoundError('m1');
    expect(isQueueError(error)).toBe(true);
    expect(isQueueError(error, 'ERR_SMTP_QUEUE_NOT_FOUND')).toBe(true);
    expect(isQueueError(error, 'ERR_SMTP_QUEUE_CLOSED')).toBe(false);
    expect(isQueueError(Object.assign(new Error('x'), { code: 'ERR_SMTP_QUEUE_NOT_FOUND' }))).toBe(false);
    expect(
      isQueueError(
        { [Symbol.for('@smtpkit/queue/error')]: true, code: 'ERR_SMTP_QUEUE_CLOSED' },
        'ERR_SMTP_QUEUE_CLOSED',
      ),
    ).toBe(true);
    expect(error.name).toBe('QueueNotFoundError');
    expect(error.messageId).toBe('m1');
  });
});
