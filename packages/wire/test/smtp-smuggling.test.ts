// SMTP smuggling (SEC Consult, Dec 2023; CVE-2023-51764/51765/51766): a sender hides a
// non-standard end-of-data sequence in a message, followed by a second SMTP transaction, hoping
// one hop ends DATA there and another does not. RFC 5321 §4.1.1.4: DATA ends with CRLF "." CRLF
// and nothing else. Every variant below must end nothing: the only end is the real terminator,
// nothing is left over to be read as commands, and under 'reject' the message is refused.
import { describe, expect, it } from 'vitest';
import { DataDecoder, type DataResult } from '../src/index';
import { allSplits, bin, latin1 } from './helpers';

const SMUGGLED =
  'MAIL FROM:<admin@bank.example>\r\nRCPT TO:<victim@example.org>\r\nDATA\r\nFrom: admin@bank.example\r\n\r\nsmuggled\r\n';

// [name, bytes placed between the first message's text and the smuggled transaction, has a bare CR/LF]
const variants: ReadonlyArray<readonly [string, string, boolean]> = [
  ['<LF>.<LF>', '\n.\n', true],
  ['<LF>.<CR><LF>', '\n.\r\n', true],
  ['<CR><LF>.<LF>', '\r\n.\n', true],
  ['<CR>.<CR>', '\r.\r', true],
  ['<CR>.<CR><LF>', '\r.\r\n', true],
  ['<CR><LF>.<CR>', '\r\n.\r', true],
  ['<LF>.<CR>', '\n.\r', true],
  ['<CR><LF>.<CR><CR><LF>', '\r\n.\r\r\n', true],
  ['<CR><LF>.<LF><CR><LF>', '\r\n.\n\r\n', true],
  ['<LF><LF>.<LF><LF>', '\n\n.\n\n', true],
  ['<CR><CR>.<CR><CR>', '\r\r.\r\r', true],
  ['<CR><LF><NUL>.<CR><LF>', '\r\n\x00.\r\n', false],
  ['<CR><LF>.<NUL><CR><LF>', '\r\n.\x00\r\n', false],
  ['<CR><LF><SP>.<CR><LF>', '\r\n .\r\n', false],
  ['<CR><LF>..<CR><LF> (stuffed dot line)', '\r\n..\r\n', false],
];

function decode(pieces: readonly Uint8Array[], policy: 'reject' | 'normalize') {
  const decoder = new DataDecoder({ bareLineEndings: policy });
  let content = '';
  const ends: DataResult[] = [];
  for (const piece of pieces) {
    decoder.feed(piece);
    for (let item = decoder.next(); item; item = decoder.next()) {
      if (item.type === 'data') content += latin1(item.data);
      else ends.push(item.result);
    }
  }
  return { content, ends, rest: latin1(decoder.takeBuffered()) };
}

describe('SMTP smuggling corpus (RFC 5321 §4.1.1.4: only CRLF "." CRLF ends DATA)', () => {
  for (const [name, sequence, bare] of variants) {
    const stream = bin(`Subject: one\r\n\r\nfirst message${sequence}${SMUGGLED}.\r\nQUIT\r\n`);

    it(`${name}: nothing ends early, no second message (every split, both policies)`, () => {
      for (const pieces of allSplits(stream)) {
        for (const policy of ['reject', 'normalize'] as const) {
          const { content, ends, rest } = decode(pieces, policy);
          // Exactly one end, at the real terminator; what follows is only the pipelined QUIT.
          expect(ends).toHaveLength(1);
          expect(rest).toBe('QUIT\r\n');
          if (policy === 'reject' && bare) {
            expect(ends[0]).toMatchObject({
              ok: false,
              reason: 'bare-line-ending',
              reply: { code: 550, enhanced: '5.5.2' },
            });
          } else {
            expect(ends[0]!.ok).toBe(true);
            // The would-be second transaction is just text inside the one message.
            expect(content).toContain('RCPT TO:<victim@example.org>\r\nDATA\r\n');
            expect(content.endsWith('smuggled\r\n')).toBe(true);
            // Normalised content has CRLF only: relaying it can never recreate the sequence.
            expect(content.replace(/\r\n/g, '')).not.toMatch(/[\r\n]/);
          }
        }
      }
    });
  }

  it("the defaults refuse (550 5.5.2) after the end, like Postfix's smtpd_forbid_bare_newline", () => {
    const { ends } = decode([bin('a\n.\nb\r\n.\r\n')], 'reject');
    expect(ends[0]).toMatchObject({ ok: false, reply: { code: 550, enhanced: '5.5.2' } });
  });
});
