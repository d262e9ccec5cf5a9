/** RFC 5322 §2.2 header section parsing from a stream: end detection, folding, line-end hygiene. */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { HeaderSectionDecoder } from '../src/core/header-section';

function parse(chunks: readonly string[]) {
  const decoder = new HeaderSectionDecoder();
  let body = '';
  for (const chunk of chunks) {
    const bytes = Buffer.from(chunk, 'latin1');
    if (decoder.done) {
      body += chunk;
      continue;
    }
    const at = decoder.feed(bytes);
    if (at !== -1) body += bytes.subarray(at).toString('latin1');
  }
  decoder.finish();
  return {
    header: Buffer.from(decoder.bytes()).toString('latin1'),
    names: decoder.fields().map((f) => f.name),
    body,
  };
}

describe('header section', () => {
  it('stops at the empty line; folded fields stay one field', () => {
    const r = parse(['Subject: a\r\n b\r\nFrom : x\r\n\r\nbody\r\n\r\n']);
    expect(r).toEqual({
      header: 'Subject: a\r\n b\r\nFrom : x\r\n',
      names: ['subject', 'from'],
      body: 'body\r\n\r\n',
    });
  });

  it('names are lower-cased in ASCII only: an 8-bit byte in a name is kept as it is', () => {
    const r = parse(['X-\u00c4bc: 1\r\nMESSAGE-ID: 2\r\n\r\n']);
    expect(r.names).toEqual(['x-\u00c4bc', 'message-id']);
  });

  it('reset() makes a decoder ready for the next message, whatever state the last one left', () => {
    const decoder = new HeaderSectionDecoder();
    expect(decoder.feed(Buffer.from('Subject: one\r\nFrom: a\r'))).toBe(-1);
    decoder.reset();
    const next = Buffer.from('To: b\r\n\r\nbody');
    expect(decoder.feed(next)).toBe(next.indexOf('body'));
    expect(decoder.fields().map((f) => Buffer.from(f.raw).toString('latin1'))).toEqual(['To: b\r\n']);
  });

  it('an empty header section: the body starts at once', () => {
    expect(parse(['\r\nbody\r\n\r\n'])).toEqual({ header: '', names: [], body: 'body\r\n\r\n' });
  });

  it('bare LF and bare CR line ends become CRLF', () => {
    expect(parse(['A: 1\nB: 2\r\n\tc\rD: 4\n\nbody'])).toMatchObject({
      header: 'A: 1\r\nB: 2\r\n\tc\r\nD: 4\r\n',
      body: 'body',
    });
  });

  it('no empty line: everything is header, CRLF added', () => {
    expect(parse(['A: 1\r\nB: 2'])).toEqual({ header: 'A: 1\r\nB: 2\r\n', names: ['a', 'b'], body: '' });
  });

  it('over the bound: RangeError', () => {
    const decoder = new HeaderSectionDecoder(64);
    expect(() => decoder.feed(Buffer.from(`X: ${'y'.repeat(100)}\r\n`))).toThrow(RangeError);
  });

  it('any chunking gives the same header and body (fast-check)', () => {
    const message = 'From: a@b\r\nSubject: x\r\n y\nTo: c\r\r\nbody\r\n\r\nmore\n';
    const whole = parse([message]);
    fc.assert(
      fc.property(fc.array(fc.nat({ max: message.length }), { maxLength: 8 }), (cuts) => {
        const points = [...new Set(cuts)].sort((a, b) => a - b);
        const chunks: string[] = [];
        let last = 0;
        for (const p of points) {
          chunks.push(message.slice(last, p));
          last = p;
        }
        chunks.push(message.slice(last));
        expect(parse(chunks)).toEqual(whole);
      }),
    );
  });
});
