import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import {
  CommandDecoder,
  DataDecoder,
  type DataDecoderOptions,
  DataEncoder,
  type DataResult,
  encodeData,
  frameBdat,
  isSmtpError,
} from '../src/index';
import { allSplits, bin, cutsArb, latin1, splitAt } from './helpers';

function decode(pieces: readonly Uint8Array[], options?: DataDecoderOptions) {
  const decoder = new DataDecoder(options);
  let content = '';
  const ends: DataResult[] = [];
  for (const piece of pieces) {
    decoder.feed(piece);
    for (let item = decoder.next(); item; item = decoder.next()) {
      if (item.type === 'data') content += latin1(item.data);
      else ends.push(item.result);
    }
  }
  return { content, ends, rest: latin1(decoder.takeBuffered()), ended: decoder.ended };
}

function encode(pieces: readonly Uint8Array[], policy?: 'reject' | 'normalize'): string {
  const encoder = new DataEncoder({ bareLineEndings: policy });
  return pieces.map((p) => latin1(encoder.encode(p))).join('') + latin1(encoder.end());
}

/** What a message becomes on the way: every bare CR or LF turned into CRLF, CRLF appended if missing. */
function normalized(text: string): string {
  const out = text.replace(/\r\n|\r|\n/g, '\r\n');
  return out === '' || out.endsWith('\r\n') ? out : `${out}\r\n`;
}

describe('DataDecoder (RFC 5321 §4.1.1.4, §4.5.2)', () => {
  it('§4.5.2 removes one leading "." from a line; ends at CRLF "." CRLF; keeps what follows', () => {
    expect(decode([bin('a\r\n..b\r\n...\r\n.\r\nQUIT\r\n')])).toEqual({
      content: 'a\r\n.b\r\n..\r\n',
      ends: [{ ok: true, size: 11 }],
      rest: 'QUIT\r\n',
      ended: true,
    });
  });

  it('§4.1.1.4 an empty message is just "." CRLF right after 354', () => {
    expect(decode([bin('.\r\n')])).toMatchObject({ content: '', ends: [{ ok: true, size: 0 }] });
  });

  it('needs more data until the terminator; bytes fed after the end are kept for the command decoder', () => {
    const decoder = new DataDecoder();
    decoder.feed(bin('hello\r\n.'));
    expect(decoder.next()).toEqual({ type: 'data', data: bin('hello\r\n') });
    expect(decoder.next()).toBeUndefined();
    expect(decoder.ended).toBe(false);
    decoder.feed(bin('\r\nRSET'));
    expect(decoder.next()).toEqual({ type: 'end', result: { ok: true, size: 7 } });
    decoder.feed(bin('\r\n'));
    expect(latin1(decoder.takeBuffered())).toBe('RSET\r\n');
  });

  it('maxSize: over the limit the result is 552 5.3.4 and no more data is returned', () => {
    const { content, ends } = decode([bin('0123456789\r\n0123456789\r\n.\r\n')], { maxSize: 15 });
    expect(content.length).toBeLessThanOrEqual(15);
    expect(ends).toEqual([
      {
        ok: false,
        reason: 'too-large',
        reply: expect.objectContaining({ code: 552, enhanced: '5.3.4' }),
        size: 24,
      },
    ]);
  });

  it("bare LF/CR: 'normalize' turns each into CRLF; 'reject' refuses after the end", () => {
    expect(decode([bin('a\nb\rc\r\n.\r\n')], { bareLineEndings: 'normalize' }).content).toBe(
      'a\r\nb\r\nc\r\n',
    );
    expect(decode([bin('a\nb\r\n.\r\n')]).ends[0]).toMatchObject({ ok: false, reason: 'bare-line-ending' });
  });

  it('never modifies the chunks it is fed (Buffer#slice is a view, not a copy)', () => {
    const original = '..a\r\n..b\r\nc\r\n.\r\n';
    const chunk = Buffer.from(original, 'latin1');
    expect(decode([chunk]).content).toBe('.a\r\n.b\r\nc\r\n');
    expect(chunk.toString('latin1')).toBe(original);
    expect(decode([chunk]).content).toBe('.a\r\n.b\r\nc\r\n');
  });

  it('large chunks pass through without copying when nothing needs unstuffing', () => {
    const chunk = bin('plain line of text\r\n'.repeat(1000));
    const decoder = new DataDecoder();
    decoder.feed(chunk);
    const item = decoder.next();
    expect(item?.type === 'data' && item.data.buffer === chunk.buffer).toBe(true);
  });
});

describe('DataEncoder and encodeData (RFC 5321 §4.5.2)', () => {
  it('§4.5.2 doubles a leading "." and ends with CRLF "." CRLF, adding a missing final CRLF', () => {
    expect(encode([bin('.a\r\nb\r\n.\r\n')])).toBe('..a\r\nb\r\n..\r\n.\r\n');
    expect(encode([bin('no final newline')])).toBe('no final newline\r\n.\r\n');
    expect(encode([])).toBe('.\r\n');
  });

  it("bare CR/LF: 'normalize' (default) makes CRLF, 'reject' throws ERR_SMTP_BARE_LINE_ENDING", () => {
    expect(encode([bin('a\nb\rc\r')])).toBe('a\r\nb\r\nc\r\n.\r\n');
    let caught: unknown;
    try {
      encode([bin('a\nb')], 'reject');
    } catch (error) {
      caught = error;
    }
    expect(isSmtpError(caught) && caught.code === 'ERR_SMTP_BARE_LINE_ENDING').toBe(true);
    expect(encode([bin('ok\r\n')], 'reject')).toBe('ok\r\n.\r\n');
  });

  it('encodeData streams an async iterable body', async () => {
    async function* body() {
      yield bin('.x\r');
      yield bin('\n.y');
    }
    let out = '';
    for await (const bytes of encodeData(body())) out += latin1(bytes);
    expect(out).toBe('..x\r\n..y\r\n.\r\n');
  });
});

describe('frameBdat (RFC 3030 §2)', () => {
  it('cuts the body into chunks, the last one marked LAST; empty body is BDAT 0 LAST', async () => {
    const chunks = [];
    for await (const c of frameBdat([bin('abcdef'), bin('gh')], { maxChunkSize: 4 })) {
      chunks.push([latin1(c.command), latin1(c.data), c.last]);
    }
    expect(chunks).toEqual([
      ['BDAT 4\r\n', 'abcd', false],
      ['BDAT 2\r\n', 'ef', false],
      ['BDAT 2 LAST\r\n', 'gh', true],
    ]);
    const empty = [];
    for await (const c of frameBdat([])) empty.push(latin1(c.command));
    expect(empty).toEqual(['BDAT 0 LAST\r\n']);
  });

  it('what frameBdat writes, CommandDecoder frames back octet for octet (binary included)', async () => {
    const body = Uint8Array.from({ length: 3000 }, (_, i) => (i * 7) % 256);
    const wire: number[] = [];
    for await (const c of frameBdat(body, { maxChunkSize: 1000 })) wire.push(...c.command, ...c.data);
    for (const cuts of [[], [5, 1001, 1010, 2999], [1, 2, 3, 4, 5, 6, 7, 8, 9, 10]]) {
      const decoder = new CommandDecoder();
      const got: number[] = [];
      let lasts = 0;
      for (const piece of splitAt(Uint8Array.from(wire), cuts)) {
        decoder.feed(piece);
        for (let item = decoder.next(); item; item = decoder.next()) {
          if (item.type === 'bdat-data') got.push(...item.data);
          if (item.type === 'command' && item.command.verb === 'BDAT' && item.command.last) lasts++;
        }
      }
      expect(Uint8Array.from(got)).toEqual(body);
      expect(lasts).toBe(1);
    }
  });
});

const textUnit = fc.oneof(
  { weight: 6, arbitrary: fc.constantFrom('a', 'Z', ' ', '\t', '\0', 'é') },
  { weight: 3, arbitrary: fc.constantFrom('.', '\r\n', '\r\n.', '\r\n..') },
  { weight: 1, arbitrary: fc.constantFrom('\r', '\n') },
);
const messageArb = fc.array(textUnit, { maxLength: 80 }).map((parts) => parts.join(''));

describe('DATA properties (fast-check)', () => {
  it('decode(encode(m)) == m with line endings normalised, for any message and any split', () => {
    fc.assert(
      fc.property(messageArb, cutsArb(120), cutsArb(200), (message, inCuts, wireCuts) => {
        const wire = encode(splitAt(bin(message), inCuts));
        expect(wire).toBe(encode([bin(message)])); // the encoder is split-invariant too
        const result = decode(splitAt(bin(wire), wireCuts));
        expect(result.content).toBe(normalized(message));
        expect(result.ends).toEqual([{ ok: true, size: normalized(message).length }]);
        expect(result.rest).toBe('');
      }),
      { numRuns: 400 },
    );
  });

  it('chunk-boundary invariance on arbitrary bytes, both policies; never an exception', () => {
    const byte = fc.oneof(fc.constantFrom(0x0d, 0x0a, 0x2e, 0x00), fc.integer({ min: 0, max: 255 }));
    fc.assert(
      fc.property(
        fc.array(byte, { maxLength: 120 }),
        cutsArb(130),
        fc.nat({ max: 130 }),
        (bytes, cuts, maxSize) => {
          const stream = Uint8Array.from(bytes);
          for (const bareLineEndings of ['reject', 'normalize'] as const) {
            expect(decode(splitAt(stream, cuts), { bareLineEndings })).toEqual(
              decode([stream], { bareLineEndings }),
            );
            const limited = decode(splitAt(stream, cuts), { bareLineEndings, maxSize });
            expect(limited).toEqual(decode([stream], { bareLineEndings, maxSize }));
            expect(limited.content.length).toBeLessThanOrEqual(maxSize);
          }
        },
      ),
      { numRuns: 400 },
    );
  });

  it('every split of a short stream with dots and line endings decodes the same', () => {
    const stream = bin('.\r\n..\r.\n.\r\r\n.x\r\n\r\n.\r\nNEXT');
    const whole = decode([stream], { bareLineEndings: 'normalize' });
    for (const pieces of allSplits(stream))
      expect(decode(pieces, { bareLineEndings: 'normalize' })).toEqual(whole);
  });
});
