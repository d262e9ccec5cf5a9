/** The dkim= part of an Authentication-Results header field (RFC 8601 §2.7.1, RFC 6008). */
import type { DkimVerification } from './verify';

function comment(text: string): string {
  return `(${text.replace(/[()\\]/g, (c) => `\\${c}`).replace(/[\r\n]+/g, ' ')})`;
}

function value(text: string): string {
  // RFC 8601 pvalue: a token, or "[local-part] @ domain"; otherwise a quoted-string.
  return /^[A-Za-z0-9.@_+-]+$/.test(text) ? text : `"${text.replace(/["\\]/g, (c) => `\\${c}`)}"`;
}

/**
 * Formats verification results as `dkim=` resinfo entries joined by `;\r\n\t`, ready to
 * follow the authserv-id: `dkim=pass (2048-bit key) header.d=example.com
 * header.i=@example.com header.s=mail header.a=rsa-sha256 header.b=abcdEFGH`. No
 * signatures give `dkim=none`.
 * @example
 * ```ts
 * const results = await verifyMessage(message, { resolver });
 * const header = `Authentication-Results: mx.example.net; ${formatAuthenticationResults(results)}`;
 * // Authentication-Results: mx.example.net; dkim=pass (2048-bit key) header.d=example.com …
 * ```
 */
export function formatAuthenticationResults(results: readonly DkimVerification[]): string {
  if (results.length === 0) return 'dkim=none';
  return results
    .map((r) => {
      const notes: string[] = [];
      if (r.keyBits !== undefined) notes.push(`${r.keyBits}-bit key`);
      if (r.reason !== undefined) notes.push(r.reason);
      if (r.risks.includes('body-length')) notes.push('l= used: unsigned content may follow');
      if (r.testing) notes.push('key in testing mode');
      let entry = `dkim=${r.status}`;
      if (notes.length > 0) entry += ` ${comment(notes.join('; '))}`;
      if (r.sdid !== undefined) entry += ` header.d=${value(r.sdid)}`;
      if (r.auid !== undefined) entry += ` header.i=${value(r.auid)}`;
      if (r.selector !== undefined) entry += ` header.s=${value(r.selector)}`;
      if (r.algorithm !== undefined) entry += ` header.a=${value(r.algorithm)}`;
      // RFC 6008: the first 8 characters of b= tell signatures apart.
      if (r.signature !== undefined) entry += ` header.b=${value(r.signature.slice(0, 8))}`;
      return entry;
    })
    .join(';\r\n\t');
}
