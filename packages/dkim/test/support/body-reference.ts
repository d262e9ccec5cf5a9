import type { Canonicalization } from '../../src/index';

/** Bytes as a latin1 string: one character per byte. */
export const text = (bytes: Uint8Array): string => Buffer.from(bytes).toString('latin1');

/**
 * RFC 6376 §3.4.3/§3.4.4 transcribed over strings, bare CR/LF taken as CRLF: the model the
 * canonicaliser is checked against.
 */
export function reference(body: string, canon: Canonicalization): string {
  let s = body.replace(/\r\n|\r|\n/g, '\r\n');
  if (canon === 'relaxed') {
    s = s
      .split('\r\n')
      .map((line) => line.replace(/[ \t]+/g, ' ').replace(/ $/, ''))
      .join('\r\n');
  }
  // Trailing empty lines, stripped without a backtracking regex (some bodies are big).
  let end = s.length;
  while (end >= 2 && s.startsWith('\r\n', end - 2)) end -= 2;
  s = s.slice(0, end);
  if (canon === 'simple') return `${s}\r\n`;
  return s === '' ? '' : `${s}\r\n`;
}
