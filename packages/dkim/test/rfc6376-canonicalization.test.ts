/** RFC 6376 §3.4 canonicalisation: the §3.4.5 example, a reference model, and properties. */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { BodyCanonicalizer, type Canonicalization, canonicalizeBody, canonicalizeHeader } from '../src/index';
import { reference, text } from './support/body-reference';

const bytes = (s: string) => Buffer.from(s, 'latin1');

function canonicalizeChunks(chunks: readonly Uint8Array[], canon: Canonicalization): string {
  let out = '';
  const c = new BodyCanonicalizer(canon, (b) => {
    out += text(b);
  });
  for (const chunk of chunks) c.write(chunk);
  c.end();
  expect(c.length).toBe(out.length);
  return out;
}

/** Splits `data` at the given cut points. */
function split(data: Uint8Array, cuts: readonly number[]): Uint8Array[] {
  const points = [...new Set(cuts.map((c) => c % (data.byteLength + 1)))].sort((a, b) => a - b);
  const out: Uint8Array[] = [];
  let last = 0;
  for (const p of points) {
    out.push(data.subarray(last, p));
    last = p;
  }
  out.push(data.subarray(last));
  return out;
}

const bodyChars = fc.constantFrom('a', 'b', ' ', ' ', '\t', '\r', '\n', '\r\n', '\r\n', 'é', 'xyz ', '  ');
const bodyArb = fc.array(bodyChars, { maxLength: 80 }).map((parts) => parts.join(''));
const canonArb = fc.constantFrom<Canonicalization>('simple', 'relaxed');

describe('RFC 6376 §3.4.5 example', () => {
  const header = ['A: X\r\n', 'B : Y\t\r\n\tZ  \r\n'];
  const body = ' C \r\nD \t E\r\n\r\n\r\n';

  it('§3.4.2 relaxed header: names lower-cased, unfolded, WSP collapsed', () => {
    expect(header.map((h) => text(canonicalizeHeader(bytes(h), 'relaxed'))).join('')).toBe(
      'a:X\r\nb:Y Z\r\n',
    );
  });

  it('§3.4.1 simple header: unchanged', () => {
    expect(header.map((h) => text(canonicalizeHeader(bytes(h), 'simple'))).join('')).toBe(header.join(''));
  });

  it('§3.4.4 relaxed body', () => {
    expect(text(canonicalizeBody(bytes(body), 'relaxed'))).toBe(' C\r\nD E\r\n');
  });

  it('§3.4.3 simple body', () => {
    expect(text(canonicalizeBody(bytes(body), 'simple'))).toBe(' C \r\nD \t E\r\n');
  });
});

describe('§3.4.3/§3.4.4 edge cases', () => {
  const cases: [string, string, string, string][] = [
    ['empty body', '', '\r\n', ''],
    ['only empty lines', '\r\n\r\n\r\n', '\r\n', ''],
    ['no final CRLF', 'abc', 'abc\r\n', 'abc\r\n'],
    ['whitespace-only lines at the end', 'a\r\n  \r\n\t\r\n', 'a\r\n  \r\n\t\r\n', 'a\r\n'],
    ['bare LF normalised', 'a\nb\n\n', 'a\r\nb\r\n', 'a\r\nb\r\n'],
    ['bare CR normalised', 'a\rb\r\r', 'a\r\nb\r\n', 'a\r\nb\r\n'],
    ['8-bit bytes pass through', 'caf\xe9  \xff\r\n', 'caf\xe9  \xff\r\n', 'caf\xe9 \xff\r\n'],
  ];
  for (const [name, input, simple, relaxed] of cases) {
    it(name, () => {
      expect(text(canonicalizeBody(bytes(input), 'simple'))).toBe(simple);
      expect(text(canonicalizeBody(bytes(input), 'relaxed'))).toBe(relaxed);
    });
  }

  it('a 32 MiB bare-LF body in one array is handled in linear time (bounded native scans)', () => {
    const line = 'plain line with a bare LF\n';
    const body = Buffer.from(line.repeat((32 * 1024 * 1024) / line.length));
    for (const canon of ['simple', 'relaxed'] as const) {
      const out = canonicalizeBody(body, canon);
      expect(out.byteLength).toBe(body.byteLength + body.byteLength / line.length);
    }
  });

  it('long lines and big chunks take the word-at-a-time path and agree with the model', () => {
    const line = 'The quick brown fox  jumps over\tthe lazy dog. \r\n';
    const input = `${line.repeat(2000)}x\ny\r  \r\n\r\n`;
    for (const canon of ['simple', 'relaxed'] as const) {
      expect(text(canonicalizeBody(bytes(input), canon))).toBe(reference(input, canon));
    }
  });
});

describe('properties (fast-check)', () => {
  it('matches the reference model for any input and any chunking', () => {
    fc.assert(
      fc.property(bodyArb, canonArb, fc.array(fc.nat(), { maxLength: 6 }), (body, canon, cuts) => {
        const data = bytes(body);
        expect(canonicalizeChunks(split(data, cuts), canon)).toBe(reference(body, canon));
      }),
      { numRuns: 3000 },
    );
  });

  it('is idempotent: canonicalising canonical output changes nothing', () => {
    fc.assert(
      fc.property(bodyArb, canonArb, (body, canon) => {
        const once = canonicalizeBody(bytes(body), canon);
        expect(text(canonicalizeBody(once, canon))).toBe(text(once));
      }),
      { numRuns: 2000 },
    );
  });

  it('relaxed header canonicalisation is idempotent', () => {
    const fieldArb = fc
      .tuple(
        fc.constantFrom('Subject', 'X-Y', 'FROM'),
        fc.array(
          bodyChars.filter((c) => !/[\r\n]/.test(c)),
          { maxLength: 20 },
        ),
      )
      .map(([name, value]) => `${name} :${value.join('')}\r\n\t${value.join('')}\r\n`);
    fc.assert(
      fc.property(fieldArb, (field) => {
        const once = canonicalizeHeader(bytes(field), 'relaxed');
        expect(text(canonicalizeHeader(once, 'relaxed'))).toBe(text(once));
      }),
    );
  });
});
