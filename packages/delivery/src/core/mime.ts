/**
 * Just enough MIME (RFC 2045/2046) to take a DSN apart: header fields, Content-Type parameters
 * and multipart bodies. Not a general MIME parser.
 */

/** One header field, unfolded (RFC 5322 §2.2.3), name as written. */
export interface HeaderField {
  readonly name: string;
  readonly value: string;
}

/** Splits an entity into header text and body at the first empty line (CRLF or bare LF). */
export function splitEntity(text: string): { header: string; body: string } {
  const match = /\r?\n\r?\n/.exec(text);
  if (!match) return { header: text, body: '' };
  return { header: text.slice(0, match.index), body: text.slice(match.index + match[0].length) };
}

/** Parses header fields, unfolding continuation lines; lines without a colon are skipped. */
export function parseHeaderFields(header: string): HeaderField[] {
  const fields: HeaderField[] = [];
  for (const line of header.split(/\r?\n/)) {
    if (/^[ \t]/.test(line) && fields.length) {
      const last = fields.pop()!;
      fields.push({ name: last.name, value: `${last.value} ${line.trim()}` });
      continue;
    }
    const colon = line.indexOf(':');
    if (colon <= 0) continue;
    fields.push({ name: line.slice(0, colon).trim(), value: line.slice(colon + 1).trim() });
  }
  return fields;
}

/** The first field of that name (case-insensitive). */
export function headerValue(fields: readonly HeaderField[], name: string): string | undefined {
  const lower = name.toLowerCase();
  return fields.find((f) => f.name.toLowerCase() === lower)?.value;
}

/** A parsed Content-Type: lower-cased `type/subtype` and parameters (names lower-cased). */
export interface ContentType {
  readonly type: string;
  readonly params: Readonly<Record<string, string>>;
}

/** Parses a Content-Type value (RFC 2045 §5.1), with quoted-string parameters and comments. */
export function parseContentType(value: string): ContentType {
  const clean = value.replace(/\((?:[^()\\"]|\\.)*\)/g, '');
  const semi = clean.indexOf(';');
  const type = (semi < 0 ? clean : clean.slice(0, semi)).trim().toLowerCase();
  const params: Record<string, string> = {};
  const re = /;\s*([^\s=;]+)\s*=\s*(?:"((?:[^"\\]|\\.)*)"|([^\s;]+))/g;
  for (const m of clean.slice(Math.max(semi, 0)).matchAll(re)) {
    params[m[1]!.toLowerCase()] = m[2] !== undefined ? m[2].replace(/\\(.)/g, '$1') : m[3]!;
  }
  return { type, params };
}

/** The body parts of a multipart body (RFC 2046 §5.1.1), preamble and epilogue dropped. */
export function splitMultipart(body: string, boundary: string): string[] {
  const parts: string[] = [];
  const lines = body.split(/\r?\n/);
  const delimiter = `--${boundary}`;
  let current: string[] | undefined;
  for (const line of lines) {
    const trimmed = line.replace(/[ \t]+$/, '');
    if (trimmed === delimiter || trimmed === `${delimiter}--`) {
      if (current) parts.push(current.join('\r\n'));
      if (trimmed !== delimiter) return parts;
      current = [];
      continue;
    }
    current?.push(line);
  }
  if (current) parts.push(current.join('\r\n'));
  return parts;
}

/** Decodes a part body per its Content-Transfer-Encoding (7bit/8bit/binary pass through). */
export function decodeTransferEncoding(body: string, encoding: string | undefined): string {
  const cte = (encoding ?? '7bit').trim().toLowerCase();
  if (cte === 'base64') {
    const bin = atob(body.replace(/[^A-Za-z0-9+/=]/g, ''));
    return new TextDecoder().decode(Uint8Array.from(bin, (c) => c.charCodeAt(0)));
  }
  if (cte === 'quoted-printable') {
    const bytes: number[] = [];
    const soft = body.replace(/=\r?\n/g, '');
    for (let i = 0; i < soft.length; i++) {
      const hex = soft.slice(i + 1, i + 3);
      if (soft[i] === '=' && /^[0-9A-Fa-f]{2}$/.test(hex)) {
        bytes.push(Number.parseInt(hex, 16));
        i += 2;
      } else {
        for (const b of new TextEncoder().encode(soft[i])) bytes.push(b);
      }
    }
    return new TextDecoder().decode(new Uint8Array(bytes));
  }
  return body;
}
