import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import {
  CommandDecoder,
  type CommandDecoderItem,
  type CommandDecoderOptions,
  formatCommand,
} from '../src/index';
import { commandArb } from './arbitraries';
import { allSplits, bin, cutsArb, enc, latin1, splitAt } from './helpers';

/** Items in a split-independent form: BDAT pieces of one chunk joined, errors as their reply. */
type Normal = { command: unknown } | { error: string } | { bdat: string };

function decodeAll(pieces: readonly Uint8Array[], options?: CommandDecoderOptions): Normal[] {
  const decoder = new CommandDecoder(options);
  const out: Normal[] = [];
  let bdat = '';
  const push = (item: CommandDecoderItem) => {
    if (item.type === 'command') out.push({ command: item.command });
    else if (item.type === 'error')
      out.push({ error: `${item.error.reply.code} ${item.error.reply.lines[0]}` });
    else {
      bdat += latin1(item.data);
      if (item.end) {
        out.push({ bdat });
        bdat = '';
      }
    }
  };
  for (const piece of pieces) {
    decoder.feed(piece);
    for (let item = decoder.next(); item; item = decoder.next()) push(item);
  }
  return out;
}

describe('CommandDecoder', () => {
  it('RFC 2920 pipelined commands come out one by one, in any split', () => {
    const stream = enc('EHLO a.example\r\nMAIL FROM:<x@a.example>\r\nRCPT TO:<y@b.example>\nDATA\r\n');
    const expected = [
      { command: { verb: 'EHLO', domain: 'a.example' } },
      { command: expect.objectContaining({ verb: 'MAIL' }) },
      { command: expect.objectContaining({ verb: 'RCPT' }) },
      { command: { verb: 'DATA' } },
    ];
    for (const pieces of allSplits(stream)) expect(decodeAll(pieces)).toEqual(expected);
  });

  it('§4.5.3.1.4 an overlong line is one 500 error, skipped without buffering it', () => {
    const decoder = new CommandDecoder();
    decoder.feed(enc(`NOOP ${'x'.repeat(600)}`));
    const item = decoder.next();
    expect(item).toMatchObject({
      type: 'error',
      error: { code: 'ERR_SMTP_LINE_TOO_LONG', reply: { code: 500 } },
    });
    expect(decoder.bufferedLength).toBe(0);
    decoder.feed(enc('y'.repeat(10_000)));
    expect(decoder.next()).toBeUndefined();
    expect(decoder.bufferedLength).toBe(0);
    decoder.feed(enc('zzz\r\nQUIT\r\n'));
    expect(decoder.next()).toEqual({ type: 'command', command: { verb: 'QUIT' } });
    // Exactly at the limit is fine: 510 octets + CRLF = 512.
    const at = `NOOP ${'x'.repeat(505)}\r\n`;
    expect(at.length).toBe(512);
    expect(decodeAll([enc(at), enc(`NOOP ${'x'.repeat(506)}\r\n`)])).toEqual([
      { command: { verb: 'NOOP', argument: 'x'.repeat(505) } },
      { error: '500 Line too long' },
    ]);
  });

  it('RFC 4954 §4: an AUTH line may be up to 12288 octets; limits are configurable', () => {
    const token = 'A'.repeat(8000);
    expect(decodeAll([enc(`AUTH XOAUTH2 ${token}\r\n`)])).toEqual([
      { command: { verb: 'AUTH', mechanism: 'XOAUTH2', initialResponse: token } },
    ]);
    expect(decodeAll([enc('NOOP 1234567890\r\n')], { maxCommandLength: 10 })).toEqual([
      { error: '500 Line too long' },
    ]);
  });

  it('RFC 3030 §2: BDAT chunk octets are framed out of the stream, whatever they contain', () => {
    const stream = bin('BDAT 7\r\nQUIT\r\n\nBDAT 0\r\nBDAT 3 LAST\r\n\r\n.RSET\r\n');
    const expected = [
      { command: { verb: 'BDAT', size: 7, last: false } },
      { bdat: 'QUIT\r\n\n' },
      { command: { verb: 'BDAT', size: 0, last: false } },
      { bdat: '' },
      { command: { verb: 'BDAT', size: 3, last: true } },
      { bdat: '\r\n.' },
      { command: { verb: 'RSET' } },
    ];
    for (const pieces of allSplits(stream)) expect(decodeAll(pieces)).toEqual(expected);
    expect(decodeAll([bin('BDAT 2\r\nQUIT\r\n')], { chunking: false })).toEqual([
      { error: '500 Command unrecognized' },
      { command: { verb: 'QUIT' } },
    ]);
  });

  it('RFC 3207 §6: takeBuffered() hands over what was pipelined after STARTTLS (to discard) or DATA', () => {
    const decoder = new CommandDecoder();
    decoder.feed(enc('STARTTLS\r\nMAIL FROM:<evil@x.org>\r\n'));
    expect(decoder.next()).toEqual({ type: 'command', command: { verb: 'STARTTLS' } });
    expect(latin1(decoder.takeBuffered())).toBe('MAIL FROM:<evil@x.org>\r\n');
    expect(decoder.next()).toBeUndefined();
    expect(decoder.bufferedLength).toBe(0);
  });

  it('nextLine() reads AUTH continuation lines, "*" included', () => {
    const decoder = new CommandDecoder();
    decoder.feed(enc('AUTH LOGIN\r\ndXNlcg==\r\n*\r\n'));
    expect(decoder.next()).toEqual({ type: 'command', command: { verb: 'AUTH', mechanism: 'LOGIN' } });
    expect(decoder.nextLine()).toEqual({ type: 'line', line: 'dXNlcg==' });
    expect(decoder.nextLine()).toEqual({ type: 'line', line: '*' });
    expect(decoder.nextLine()).toBeUndefined();
    decoder.feed(enc(`${'a'.repeat(2000)}\r\n`));
    expect(decoder.nextLine()).toMatchObject({ type: 'error' });
    decoder.feed(enc(`${'b'.repeat(2000)}\r\n`));
    expect(decoder.nextLine(12288)).toEqual({ type: 'line', line: 'b'.repeat(2000) });
  });
});

describe('CommandDecoder properties (fast-check)', () => {
  it('chunk-boundary invariance: any split gives the same items as one feed', () => {
    const bdat = fc.uint8Array({ maxLength: 20 }).map((data) => ({ data }));
    fc.assert(
      fc.property(fc.array(fc.oneof(commandArb, bdat), { maxLength: 8 }), cutsArb(2000), (parts, cuts) => {
        const bytes: number[] = [];
        for (const part of parts) {
          if ('data' in part)
            bytes.push(...formatCommand({ verb: 'BDAT', size: part.data.length, last: false }), ...part.data);
          else if (part.verb !== 'BDAT') bytes.push(...formatCommand(part));
        }
        const stream = Uint8Array.from(bytes);
        expect(decodeAll(splitAt(stream, cuts))).toEqual(decodeAll([stream]));
      }),
    );
  });

  it('arbitrary bytes give only items or "need more data", never an exception; buffering stays bounded', () => {
    const unit = fc.oneof(
      fc.constantFrom(0x0d, 0x0a, 0x20, 0x3c, 0x3e, 0x40),
      fc.integer({ min: 0, max: 255 }),
    );
    const chunk = fc.oneof(
      fc.array(unit, { maxLength: 700 }).map((a) => Uint8Array.from(a)),
      fc.constantFrom(enc('BDAT 5\r\n'), enc('MAIL FROM:<a@b.org>\r\n'), enc('\r\n'), enc('AUTH PLAIN ')),
    );
    fc.assert(
      fc.property(fc.array(chunk, { maxLength: 12 }), cutsArb(4000), (chunks, cuts) => {
        const stream = Uint8Array.from(chunks.flatMap((c) => [...c]));
        const decoder = new CommandDecoder({ maxAuthCommandLength: 512 });
        for (const piece of splitAt(stream, cuts)) {
          decoder.feed(piece);
          while (decoder.next());
          // Drained: what is left is a partial line under the limit (BDAT octets are handed out as they come).
          expect(decoder.bufferedLength).toBeLessThan(512);
        }
        expect(decodeAll(splitAt(stream, cuts))).toEqual(decodeAll([stream]));
      }),
    );
  });
});
