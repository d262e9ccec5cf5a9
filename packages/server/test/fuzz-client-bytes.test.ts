import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { Harness } from './support/harness';

// Pieces of real sessions, so random streams reach every state, mixed with raw noise.
const tokens = [
  'EHLO c\r\n',
  'HELO c\r\n',
  'LHLO c\r\n',
  'MAIL FROM:<a@example.org>\r\n',
  'MAIL FROM:<a@example.org> BODY=BINARYMIME SIZE=10\r\n',
  'RCPT TO:<b@example.org>\r\n',
  'DATA\r\n',
  'BDAT 5\r\n',
  'BDAT 3 LAST\r\n',
  'BDAT 0 LAST\r\n',
  '\r\n.\r\n',
  '.\r\n',
  '\n.\n',
  'RSET\r\n',
  'NOOP\r\n',
  'STARTTLS\r\n',
  'AUTH PLAIN\r\n',
  'AUTH LOGIN\r\n',
  'AUTH CRAM-MD5\r\n',
  'AUTH SCRAM-SHA-256 biwsbj1hLHI9eA==\r\n',
  'AGFsaWNlAHNlY3JldA==\r\n',
  '*\r\n',
  'XCLIENT ADDR=1.2.3.4\r\n',
  'QUIT\r\n',
];

const piece = fc.oneof(
  fc.constantFrom(...tokens),
  fc.uint8Array({ maxLength: 64 }).map((b) => Buffer.from(b).toString('latin1')),
  fc.string({ maxLength: 20 }),
  fc.constant('x'.repeat(3000)),
);

describe('fast-check: arbitrary client byte streams', () => {
  it('never throw, and never buffer more than the line limits allow', () => {
    fc.assert(
      fc.property(fc.array(piece, { maxLength: 60 }), fc.boolean(), (pieces, xclient) => {
        const h = new Harness(
          {
            secure: true,
            tlsAvailable: true,
            xclient,
            authMechanisms: ['PLAIN', 'LOGIN', 'CRAM-MD5', 'SCRAM-SHA-256'],
            limits: {
              authFailureDelay: 0,
              maxBadCommands: 1000,
              maxJunkCommands: 1000,
              maxMessageSize: 5000,
            },
          },
          (call) => (call.kind === 'scram-credentials' ? undefined : undefined),
        );
        h.start();
        let peak = 0;
        for (const p of pieces) {
          h.send(p);
          peak = Math.max(peak, h.session.bufferedBytes);
          if (h.session.state === 'tls') h.session.tlsEstablished();
        }
        // Command lines are bounded by the AUTH line limit (12288) plus one received piece.
        expect(peak).toBeLessThan(12_288 + 3_100);
      }),
      { numRuns: 400 },
    );
  });

  it('the body a backend gets never exceeds maxMessageSize', () => {
    fc.assert(
      fc.property(fc.array(piece, { maxLength: 80 }), (pieces) => {
        const h = new Harness({
          limits: { maxMessageSize: 2000, maxBadCommands: 1000, maxJunkCommands: 1000 },
        });
        h.start();
        let most = 0;
        for (const p of pieces) {
          h.send(p);
          most = Math.max(
            most,
            h.body.reduce((n, b) => n + b.length, 0),
          );
        }
        expect(most).toBeLessThanOrEqual(2000);
      }),
      { numRuns: 300 },
    );
  });
});
