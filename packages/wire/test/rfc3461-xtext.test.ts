import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { decodeXtext, encodeXtext, isSmtpSyntaxError } from '../src/index';

describe('xtext (RFC 3461 §4)', () => {
  it('§4: "+", "=", SP, controls and non-ASCII are +XX; other printable ASCII stands for itself', () => {
    expect(encodeXtext('a+b=c d')).toBe('a+2Bb+3Dc+20d');
    expect(encodeXtext('<>')).toBe('<>');
    expect(encodeXtext('\r\n\0')).toBe('+0D+0A+00');
    expect(encodeXtext('é')).toBe('+C3+A9');
    expect(decodeXtext('a+2Bb+3Dc+20d')).toBe('a+b=c d');
    expect(decodeXtext('+c3+a9')).toBe('é');
  });

  it('malformed xtext is a 501 5.5.4 SmtpSyntaxError', () => {
    for (const bad of ['a+', 'a+2', 'a+ZZ', 'a=b', 'a b', '\u00e9']) {
      let caught: unknown;
      try {
        decodeXtext(bad);
      } catch (error) {
        caught = error;
      }
      expect(isSmtpSyntaxError(caught) && caught.reply.code === 501, bad).toBe(true);
    }
  });

  it('decodeXtext(encodeXtext(s)) == s, and the encoding is plain printable ASCII', () => {
    fc.assert(
      fc.property(fc.string({ unit: 'grapheme', maxLength: 40 }), (s) => {
        const x = encodeXtext(s);
        expect(x).toMatch(/^[\x21-\x2a\x2c-\x3c\x3e-\x7e]*$|^[\x21-\x7e]*$/);
        expect(x).not.toMatch(/[= ]/);
        expect(decodeXtext(x)).toBe(s);
      }),
    );
  });

  it('arbitrary text decodes or gives an SmtpSyntaxError, never another exception', () => {
    fc.assert(
      fc.property(
        fc.string({ unit: fc.constantFrom(...'+=aF09 \u00e9\r\n'.split('')), maxLength: 20 }),
        (text) => {
          try {
            expect(encodeXtext(decodeXtext(text)).toUpperCase()).toBe(text.toUpperCase());
          } catch (error) {
            expect(isSmtpSyntaxError(error)).toBe(true);
          }
        },
      ),
    );
  });
});
