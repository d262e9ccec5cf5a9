/**
 * Properties of the sans-I/O ClientSession: whatever a peer sends, `receive` never throws
 * (violations become a protocol-error event and close the session), and a transcript split
 * at any points gives the same events as in one piece.
 */

import { parseMailbox } from '@smtpkit/wire';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { ClientSession, type SessionEvent } from '../src/index';

const te = new TextEncoder();
const path = (a: string) => ({ kind: 'mailbox' as const, mailbox: parseMailbox(a) });

const replyLine = fc
  .tuple(
    fc.constantFrom(
      '220',
      '221',
      '250',
      '334',
      '354',
      '421',
      '450',
      '500',
      '502',
      '550',
      '554',
      '999',
      '2x0',
    ),
    fc.constantFrom(' ', '-', '', '\t'),
    fc.string({ maxLength: 20 }),
    fc.constantFrom('\r\n', '\n', '\r', ''),
  )
  .map(([code, sep, text, end]) => te.encode(code + sep + text + end));
const chunk = fc.oneof(replyLine, fc.uint8Array({ maxLength: 64 }));

describe('ClientSession properties', () => {
  it('random reply streams from a peer never make receive() throw', () => {
    fc.assert(
      fc.property(
        fc.array(chunk, { maxLength: 40 }),
        fc.array(fc.nat(6), { maxLength: 40 }),
        (chunks, actions) => {
          const session = new ClientSession();
          for (let i = 0; i < chunks.length; i++) {
            const events = session.receive(chunks[i] as Uint8Array);
            for (const e of events) if (e.type === 'protocol-error') expect(session.state).toBe('closed');
            // Interleave whatever commands are legal now, as a host would.
            const a = actions[i] ?? 0;
            try {
              if (a === 0 && session.canSend('EHLO')) session.ehlo('client.test');
              if (a === 1 && session.canSend('MAIL')) session.mail(path('a@example.com'));
              if (a === 2 && session.canSend('RCPT')) session.rcpt(path('b@example.org'));
              if (a === 3 && session.canSend('DATA')) session.data();
              if (a === 4 && session.state === 'body' && session.pendingReplies === 0) session.endData();
              if (a === 5 && session.canSend('RSET')) session.rset();
              if (a === 6 && session.canSend('STARTTLS')) session.startTls();
            } catch (error) {
              // Only API misuse may throw, and canSend() guards against it.
              throw new Error(`command threw in state ${session.state}: ${String(error)}`);
            }
          }
        },
      ),
      { numRuns: 500 },
    );
  });

  it('any split of a pipelined transcript yields the same events (RFC 2920 §3.1 ordering)', () => {
    const segments = [
      '220 mx.test ESMTP ready\r\n',
      '250-mx.test\r\n250-PIPELINING\r\n250-SIZE 1000\r\n250 8BITMIME\r\n',
      '250 2.1.0 ok\r\n250 2.1.5 ok\r\n550-5.1.1 no such\r\n550 5.1.1 user\r\n354 go\r\n',
      '250 2.0.0 queued\r\n',
    ].map((s) => te.encode(s));
    const run = (splits: number[][]) => {
      const session = new ClientSession();
      const events: SessionEvent[] = [];
      const feed = (i: number) => {
        const bytes = segments[i] as Uint8Array;
        const cuts = [...new Set((splits[i] ?? []).map((c) => c % (bytes.length + 1)))].sort((x, y) => x - y);
        let at = 0;
        for (const c of [...cuts, bytes.length]) {
          events.push(...session.receive(bytes.subarray(at, c)));
          at = c;
        }
      };
      feed(0);
      session.ehlo('client.test');
      feed(1);
      session.mail(path('a@example.com'));
      session.rcpt(path('b@example.org'));
      session.rcpt(path('c@example.org'));
      session.data();
      feed(2);
      session.endData();
      feed(3);
      return { events, state: session.state };
    };
    const whole = run([]);
    expect(whole.state).toBe('ready');
    expect(whole.events.filter((e) => e.type === 'reply')).toHaveLength(6);
    fc.assert(
      fc.property(
        fc.array(fc.array(fc.nat(200), { maxLength: 12 }), { minLength: 4, maxLength: 4 }),
        (splits) => {
          expect(run(splits)).toEqual(whole);
        },
      ),
      { numRuns: 300 },
    );
  });

  it('state table: commands out of order are API misuse (thrown), not protocol errors', () => {
    const session = new ClientSession();
    expect(() => session.ehlo('x.test')).toThrow(/cannot send EHLO/);
    session.receive(te.encode('220 hi\r\n'));
    expect(() => session.mail(path('a@example.com'))).toThrow(/cannot send MAIL/);
    session.ehlo('x.test');
    // RFC 2920 §3.1: nothing may follow EHLO in the same group.
    expect(session.canSend('MAIL')).toBe(false);
    session.receive(te.encode('250 ok\r\n'));
    expect(session.canSend('MAIL')).toBe(true);
    expect(session.canSend('RCPT')).toBe(false);
  });

  it('RFC 3207 §4.2: after the 220 to STARTTLS nothing is parsed until tlsStarted(), then EHLO is required', () => {
    const session = new ClientSession();
    session.receive(te.encode('220 hi\r\n'));
    session.ehlo('x.test');
    session.receive(te.encode('250-mx\r\n250 STARTTLS\r\n'));
    session.startTls();
    const events = session.receive(te.encode('220 go\r\n250-INJECTED\r\n250 AUTH PLAIN\r\n'));
    expect(events.map((e) => e.type)).toEqual(['reply', 'discarded']);
    expect(session.state).toBe('tls');
    expect(session.receive(te.encode('250 more\r\n'))).toEqual([{ type: 'discarded', bytes: 10 }]);
    session.tlsStarted();
    expect(session.state).toBe('connected');
    expect(session.canSend('MAIL')).toBe(false);
    expect(session.canSend('EHLO')).toBe(true);
  });
});
