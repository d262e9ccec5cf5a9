/**
 * Punycode (RFC 3492), the Bootstring encoding IDNA uses for A-labels. Written here because
 * wire has no dependencies; it is small and tested against the RFC 3492 §7.1 vectors.
 * Internal: paths use it to turn U-labels into A-labels.
 */

// RFC 3492 §5: parameter values for Punycode.
const BASE = 36;
const TMIN = 1;
const TMAX = 26;
const SKEW = 38;
const DAMP = 700;
const INITIAL_BIAS = 72;
const INITIAL_N = 128;
const MAX_INT = 0x7fffffff;

/** RFC 3492 §6.1: bias adaptation. */
function adapt(delta: number, numPoints: number, firstTime: boolean): number {
  delta = firstTime ? Math.floor(delta / DAMP) : delta >> 1;
  delta += Math.floor(delta / numPoints);
  let k = 0;
  while (delta > ((BASE - TMIN) * TMAX) >> 1) {
    delta = Math.floor(delta / (BASE - TMIN));
    k += BASE;
  }
  return k + Math.floor(((BASE - TMIN + 1) * delta) / (delta + SKEW));
}

/** RFC 3492 §5: digit values 0..25 are a..z, 26..35 are 0..9. */
function encodeDigit(d: number): string {
  return String.fromCharCode(d < 26 ? 97 + d : 22 + d);
}

function decodeDigit(c: number): number {
  if (c >= 0x30 && c <= 0x39) return c - 22;
  if (c >= 0x41 && c <= 0x5a) return c - 0x41;
  if (c >= 0x61 && c <= 0x7a) return c - 0x61;
  return BASE;
}

function threshold(k: number, bias: number): number {
  return k <= bias ? TMIN : k >= bias + TMAX ? TMAX : k - bias;
}

/** Encode a label's code points (RFC 3492 §6.3). Throws RangeError on overflow. */
export function punycodeEncode(input: string): string {
  const codePoints = Array.from(input, (ch) => ch.codePointAt(0)!);
  let output = '';
  for (const c of codePoints) if (c < 0x80) output += String.fromCharCode(c);
  const basic = output.length;
  let handled = basic;
  if (basic > 0) output += '-';
  let n = INITIAL_N;
  let delta = 0;
  let bias = INITIAL_BIAS;
  while (handled < codePoints.length) {
    let m = MAX_INT;
    for (const c of codePoints) if (c >= n && c < m) m = c;
    if (m - n > Math.floor((MAX_INT - delta) / (handled + 1))) throw new RangeError('Punycode overflow');
    delta += (m - n) * (handled + 1);
    n = m;
    for (const c of codePoints) {
      if (c < n && ++delta > MAX_INT) throw new RangeError('Punycode overflow');
      if (c === n) {
        let q = delta;
        for (let k = BASE; ; k += BASE) {
          const t = threshold(k, bias);
          if (q < t) break;
          output += encodeDigit(t + ((q - t) % (BASE - t)));
          q = Math.floor((q - t) / (BASE - t));
        }
        output += encodeDigit(q);
        bias = adapt(delta, handled + 1, handled === basic);
        delta = 0;
        handled++;
      }
    }
    delta++;
    n++;
  }
  return output;
}

/** Decode a Punycode label (RFC 3492 §6.2). Throws RangeError on bad input or overflow. */
export function punycodeDecode(input: string): string {
  const output: number[] = [];
  const lastDash = input.lastIndexOf('-');
  const basicEnd = Math.max(lastDash, 0);
  for (let j = 0; j < basicEnd; j++) {
    const c = input.charCodeAt(j);
    if (c >= 0x80) throw new RangeError('Punycode: non-basic code point before the delimiter');
    output.push(c);
  }
  let n = INITIAL_N;
  let i = 0;
  let bias = INITIAL_BIAS;
  for (let at = basicEnd > 0 ? basicEnd + 1 : 0; at < input.length; ) {
    const oldI = i;
    let w = 1;
    for (let k = BASE; ; k += BASE) {
      if (at >= input.length) throw new RangeError('Punycode: truncated input');
      const digit = decodeDigit(input.charCodeAt(at++));
      if (digit >= BASE) throw new RangeError('Punycode: invalid digit');
      if (digit > Math.floor((MAX_INT - i) / w)) throw new RangeError('Punycode overflow');
      i += digit * w;
      const t = threshold(k, bias);
      if (digit < t) break;
      if (w > Math.floor(MAX_INT / (BASE - t))) throw new RangeError('Punycode overflow');
      w *= BASE - t;
    }
    const length = output.length + 1;
    bias = adapt(i - oldI, length, oldI === 0);
    if (Math.floor(i / length) > MAX_INT - n) throw new RangeError('Punycode overflow');
    n += Math.floor(i / length);
    i %= length;
    if (n > 0x10ffff || (n >= 0xd800 && n <= 0xdfff))
      throw new RangeError('Punycode: not a Unicode scalar value');
    output.splice(i, 0, n);
    i++;
  }
  return String.fromCodePoint(...output);
}

/**
 * A domain's DNS form (RFC 5890): each non-ASCII label NFC-normalised, lower-cased and
 * Punycode-encoded with the `xn--` prefix; ASCII labels lower-cased. This is the IDNA2008
 * core conversion, not the full UTS #46 mapping table.
 */
export function domainToAscii(domain: string): string {
  return domain
    .split('.')
    .map((label) => {
      const lower = label.normalize('NFC').toLowerCase();
      return /^[\x00-\x7f]*$/.test(lower) ? lower : `xn--${punycodeEncode(lower)}`;
    })
    .join('.');
}
