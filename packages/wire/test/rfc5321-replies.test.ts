import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { formatReply, isSmtpError, parseReply, type Reply, ReplyDecoder } from '../src/index';
import { cutsArb, dec, enc, splitAt } from './helpers';

function decodeAll(pieces: readonly Uint8Array[]): Reply[] {
  const decoder = new ReplyDecoder();
  const out: Reply[] = [];
  for (const piece of pieces) {
    decoder.feed(piece);
    for (let reply = decoder.next(); reply; reply = decoder.next()) out.push(reply);
  }
  return out;
}

describe('replies (RFC 5321 §4.2, RFC 3463, RFC 2034)', () => {
  it('§4.2.1 a multiline reply; enhanced code split out of every line', () => {
    expect(parseReply('250-mx.example.org Hello\r\n250-SIZE 1000\r\n250 PIPELINING\r\n')).toEqual({
      code: 250,
      lines: ['mx.example.org Hello', 'SIZE 1000', 'PIPELINING'],
    });
    expect(parseReply('550-5.1.1 No such\r\n550 5.1.1 user\r\n')).toEqual({
      code: 550,
      enhanced: '5.1.1',
      lines: ['No such', 'user'],
    });
  });

  it('RFC 3463 §2: the class must match the reply code, or it is just text', () => {
    expect(parseReply('250 5.1.1 odd')).toEqual({ code: 250, lines: ['5.1.1 odd'] });
    expect(parseReply('451 4.7.0')).toEqual({ code: 451, enhanced: '4.7.0', lines: [''] });
  });

  it('tolerates the empty final "250 " line and a bare "250"', () => {
    expect(parseReply('250-mx.example.org\r\n250-8BITMIME\r\n250 \r\n')).toEqual({
      code: 250,
      lines: ['mx.example.org', '8BITMIME', ''],
    });
    expect(parseReply('250\r\n')).toEqual({ code: 250, lines: [''] });
  });

  it('refuses malformed replies with a typed error', () => {
    for (const bad of [
      '',
      'abc',
      '25 ok',
      '250_ok',
      '250-a\r\n251 b',
      '250 a\r\n250 b',
      '250-a',
      '600 x',
      '270 x',
    ]) {
      let caught: unknown;
      try {
        parseReply(bad);
      } catch (error) {
        caught = error;
      }
      expect(isSmtpError(caught), JSON.stringify(bad)).toBe(true);
    }
  });

  it('formatReply writes the enhanced code on every line (RFC 2034 §4)', () => {
    expect(dec(formatReply({ code: 250, enhanced: '2.0.0', lines: ['a', 'b'] }))).toBe(
      '250-2.0.0 a\r\n250 2.0.0 b\r\n',
    );
    expect(dec(formatReply({ code: 354, lines: ['Go ahead'] }))).toBe('354 Go ahead\r\n');
    expect(dec(formatReply({ code: 250, lines: [] }))).toBe('250 \r\n');
  });

  it('formatReply refuses CR, LF, NUL, bad codes and lines over 512 octets', () => {
    expect(() => formatReply({ code: 250, lines: ['a\r\n250 injected'] })).toThrow(TypeError);
    expect(() => formatReply({ code: 250, lines: ['a\0'] })).toThrow(TypeError);
    expect(() => formatReply({ code: 250, enhanced: '5.0.0', lines: ['a'] })).toThrow(TypeError);
    expect(() => formatReply({ code: 99, lines: ['a'] })).toThrow(TypeError);
    expect(() => formatReply({ code: 250, lines: ['x'.repeat(510)] })).toThrow(RangeError);
  });

  it('ReplyDecoder: §4.5.3.1.5 a line over 512 octets is an error without buffering more', () => {
    const decoder = new ReplyDecoder();
    decoder.feed(enc(`250 ${'x'.repeat(600)}`));
    expect(() => decoder.next()).toThrow(expect.objectContaining({ code: 'ERR_SMTP_LINE_TOO_LONG' }));
    expect(decoder.bufferedLength).toBe(0);
    expect(() => decoder.next()).toThrow(expect.objectContaining({ code: 'ERR_SMTP_LINE_TOO_LONG' }));
  });

  it('ReplyDecoder: pipelined replies come out one by one (RFC 2920)', () => {
    const stream = enc('250 2.1.0 Sender ok\r\n250 2.1.5 Recipient ok\r\n354 Go on\r\n');
    expect(decodeAll([stream]).map((r) => r.code)).toEqual([250, 250, 354]);
  });
});

const textArb = fc
  .string({ unit: fc.constantFrom(...'abcXYZ09 .-:=<>@()[]\u00e9\u4e2d'.split('')), maxLength: 40 })
  .filter((s) => !/^\d/.test(s));
const replyArb: fc.Arbitrary<Reply> = fc
  .record({
    cls: fc.constantFrom(2, 3, 4, 5),
    rest: fc.integer({ min: 0, max: 59 }),
    enhanced: fc.option(fc.tuple(fc.nat({ max: 999 }), fc.nat({ max: 999 })), { nil: undefined }),
    lines: fc.array(textArb, { minLength: 1, maxLength: 5 }),
  })
  .map(({ cls, rest, enhanced, lines }) => {
    const code = cls * 100 + rest;
    return enhanced && cls !== 3
      ? { code, enhanced: `${cls as 2 | 4 | 5}.${enhanced[0]}.${enhanced[1]}` as const, lines }
      : { code, lines };
  });

describe('reply properties (fast-check)', () => {
  it('parseReply(formatReply(r)) == r', () => {
    fc.assert(
      fc.property(replyArb, (reply) => {
        expect(parseReply(formatReply(reply))).toEqual(reply);
      }),
    );
  });

  it('ReplyDecoder: any split of a stream gives the same replies as one feed', () => {
    fc.assert(
      fc.property(fc.array(replyArb, { minLength: 1, maxLength: 4 }), cutsArb(600), (replies, cuts) => {
        const parts = replies.map(formatReply);
        const stream = new Uint8Array(parts.reduce((n, p) => n + p.length, 0));
        let at = 0;
        for (const p of parts) {
          stream.set(p, at);
          at += p.length;
        }
        expect(decodeAll(splitAt(stream, cuts))).toEqual(replies);
      }),
    );
  });

  it('ReplyDecoder: arbitrary bytes give replies, "need more data" or an SmtpError; buffering stays bounded', () => {
    fc.assert(
      fc.property(fc.array(fc.uint8Array({ maxLength: 300 }), { maxLength: 10 }), (chunks) => {
        const decoder = new ReplyDecoder();
        try {
          for (const chunk of chunks) {
            decoder.feed(chunk);
            while (decoder.next());
            expect(decoder.bufferedLength).toBeLessThan(512);
          }
        } catch (error) {
          expect(isSmtpError(error)).toBe(true);
        }
      }),
    );
  });
});
