/** The DKIM-Signature field's folding (dkimpy's, RFC 8463 A.3): unsigned and signed forms agree. */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { appendSignature, formatSignatureField, type SignatureFields } from '../src/core/signature-header';

const label = fc.stringMatching(/^[a-z0-9]{1,20}$/);
const fieldsArbitrary: fc.Arbitrary<SignatureFields> = fc.record(
  {
    algorithm: fc.constantFrom('rsa-sha256', 'ed25519-sha256'),
    headerCanonicalization: fc.constantFrom('simple' as const, 'relaxed' as const),
    bodyCanonicalization: fc.constantFrom('simple' as const, 'relaxed' as const),
    sdid: fc.array(label, { minLength: 1, maxLength: 4 }).map((parts) => parts.join('.')),
    auid: fc.tuple(label, label).map(([user, host]) => `${user}@${host}.example`),
    bodyLength: fc.nat(),
    selector: label,
    timestamp: fc.integer({ min: 0, max: 2 ** 40 }),
    expiration: fc.integer({ min: 0, max: 2 ** 40 }),
    headerNames: fc.array(
      fc.constantFrom('from', 'to', 'subject', 'date', 'message-id', 'x-long-header-name'),
      {
        minLength: 1,
        maxLength: 20,
      },
    ),
    bodyHash: fc.base64String({ minLength: 44, maxLength: 44 }),
  },
  {
    requiredKeys: [
      'algorithm',
      'headerCanonicalization',
      'bodyCanonicalization',
      'sdid',
      'selector',
      'headerNames',
      'bodyHash',
    ],
  },
);

describe('DKIM-Signature field formatting', () => {
  it('the unsigned form is the signed form up to "b=" (what simple header canonicalisation hashes)', () => {
    fc.assert(
      fc.property(
        fieldsArbitrary,
        fc.base64String({ minLength: 40, maxLength: 700, size: 'max' }),
        (fields, signature) => {
          const signed = formatSignatureField(fields, signature);
          const unsigned = formatSignatureField(fields);
          expect(signed.startsWith(unsigned)).toBe(true);
          expect(signed.slice(unsigned.length).replace(/\r\n /g, '')).toBe(`${signature}\r\n`);
        },
      ),
    );
  });

  it('appendSignature gives the signed form exactly, or declines (never a different fold)', () => {
    let used = 0;
    fc.assert(
      fc.property(fieldsArbitrary, fc.base64String({ maxLength: 700, size: 'max' }), (fields, signature) => {
        const fast = appendSignature(formatSignatureField(fields), signature);
        if (fast === undefined) return;
        used++;
        expect(fast).toBe(formatSignatureField(fields, signature));
      }),
      { numRuns: 500 },
    );
    expect(used).toBeGreaterThan(300);
  });
});
