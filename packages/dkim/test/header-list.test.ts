/** The header hash input (RFC 6376 §3.7, §5.4.2): which instances, in which order, as which bytes. */
import { describe, expect, it } from 'vitest';
import { headerHashInput } from '../src/core/header-list';
import { HeaderSectionDecoder } from '../src/core/header-section';

function fieldsOf(header: string) {
  const decoder = new HeaderSectionDecoder();
  decoder.feed(Buffer.from(`${header}\r\n`, 'latin1'));
  return decoder.fields();
}

const text = (bytes: Uint8Array) => Buffer.from(bytes).toString('latin1');

describe('headerHashInput', () => {
  const fields = fieldsOf('From: a\r\nTo: one\r\nSubject:  Hi \r\nTo: two\r\n');
  const signature = 'DKIM-Signature: v=1; d=example.com;\r\n b=';

  it('takes instances bottom-up, once each; a name with none left adds nothing', () => {
    const input = headerHashInput(fields, ['to', 'to', 'to', 'from'], 'relaxed', signature);
    expect(text(input)).toBe('to:two\r\nto:one\r\nfrom:a\r\ndkim-signature:v=1; d=example.com; b=');
  });

  it('the signature field as text or as bytes gives the same input (UTF-8 in i= included)', () => {
    const withUtf8 = `${signature.slice(0, -4)} i=\u00e9@example.com;\r\n b=`;
    for (const canon of ['simple', 'relaxed'] as const) {
      const fromText = text(headerHashInput(fields, ['from', 'subject'], canon, withUtf8));
      const fromBytes = text(
        headerHashInput(fields, ['from', 'subject'], canon, Buffer.from(withUtf8, 'utf8')),
      );
      expect(fromText).toBe(fromBytes);
      expect(
        fromText.endsWith(
          Buffer.from('\u00e9', 'utf8').toString('latin1') +
            '@example.com;' +
            (canon === 'simple' ? '\r\n b=' : ' b='),
        ),
      ).toBe(true);
    }
  });

  it('a larger input than the scratch buffer holds is built whole', () => {
    const many = fieldsOf(
      Array.from({ length: 400 }, (_, i) => `X-Long: ${'v'.repeat(60)}${i}`).join('\r\n'),
    );
    const input = headerHashInput(many, Array(400).fill('x-long'), 'simple', signature);
    expect(input.byteLength).toBe(
      400 * (8 + 60 + 2) + [...Array(400).keys()].join('').length + signature.length,
    );
    expect(text(input).startsWith(`X-Long: ${'v'.repeat(60)}399\r\n`)).toBe(true);
  });
});
