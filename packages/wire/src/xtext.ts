/**
 * xtext (RFC 3461 §4): the encoding of DSN `ENVID` and `ORCPT` values (and RFC 4954 `AUTH=`).
 * Octets 33..126 other than "+" and "=" stand for themselves; anything else is `+XX`
 * with two upper-case hex digits. Text is handled as UTF-8.
 */
import { utf8 } from './bytes';
import { SmtpSyntaxError } from './errors';

const HEX = '0123456789ABCDEF';
const strictUtf8 = new TextDecoder('utf-8', { fatal: true });

/**
 * Encode text as xtext (RFC 3461 §4).
 *
 * @example
 * ```ts
 * encodeXtext('a+b=c d'); // 'a+2Bb+3Dc+20d'
 * ```
 */
export function encodeXtext(text: string): string {
  let out = '';
  for (const byte of utf8(text)) {
    if (byte >= 33 && byte <= 126 && byte !== 0x2b && byte !== 0x3d) out += String.fromCharCode(byte);
    else out += `+${HEX[byte >> 4]}${HEX[byte & 15]}`;
  }
  return out;
}

/**
 * Decode xtext (RFC 3461 §4). The RFC requires upper-case hex after "+"; lower-case is
 * accepted, as senders in the wild use it and it cannot change the meaning.
 *
 * @throws SmtpSyntaxError (501 5.5.4) on a character outside xtext, a bad "+XX", or octets
 * that are not UTF-8 (nothing is silently replaced).
 *
 * @example
 * ```ts
 * decodeXtext('a+2Bb'); // 'a+b'
 * ```
 */
export function decodeXtext(xtext: string): string {
  const bytes: number[] = [];
  for (let i = 0; i < xtext.length; i++) {
    const c = xtext.charCodeAt(i);
    if (c === 0x2b) {
      const hex = xtext.slice(i + 1, i + 3);
      if (!/^[0-9A-Fa-f]{2}$/.test(hex)) throw invalid();
      bytes.push(Number.parseInt(hex, 16));
      i += 2;
    } else if (c >= 33 && c <= 126 && c !== 0x3d) {
      bytes.push(c);
    } else {
      throw invalid();
    }
  }
  try {
    return strictUtf8.decode(Uint8Array.from(bytes));
  } catch {
    throw invalid();
  }
}

function invalid(): SmtpSyntaxError {
  return new SmtpSyntaxError({ code: 501, enhanced: '5.5.4', lines: ['Invalid xtext in parameter value'] });
}
