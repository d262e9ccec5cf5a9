/**
 * RFC 3461 §4 xtext: octets outside `!`..`~`, and `+` and `=`, are written `+XX`. Kept here (a few
 * lines) so the DSN code needs nothing outside the package graph of DESIGN.md. Non-ASCII text is
 * taken as UTF-8 octets both ways.
 * @example
 * ```ts
 * decodeXtext('bob+2Bnews@example.org'); // 'bob+news@example.org'
 * ```
 */
export function decodeXtext(text: string): string {
  const bytes: number[] = [];
  for (let i = 0; i < text.length; i++) {
    const hex = text.slice(i + 1, i + 3);
    if (text[i] === '+' && /^[0-9A-Fa-f]{2}$/.test(hex)) {
      bytes.push(Number.parseInt(hex, 16));
      i += 2;
    } else {
      for (const b of new TextEncoder().encode(text[i])) bytes.push(b);
    }
  }
  return new TextDecoder().decode(new Uint8Array(bytes));
}

/**
 * Encodes a string as RFC 3461 §4 xtext (an ORCPT value handed on to the next hop).
 * @example
 * ```ts
 * encodeXtext('bob+news@example.org'); // 'bob+2Bnews@example.org'
 * ```
 */
export function encodeXtext(text: string): string {
  let out = '';
  for (const b of new TextEncoder().encode(text)) {
    out +=
      b < 0x21 || b > 0x7e || b === 0x2b || b === 0x3d
        ? `+${b.toString(16).toUpperCase().padStart(2, '0')}`
        : String.fromCharCode(b);
  }
  return out;
}
