/**
 * The WebAssembly SIMD scan that lets a canonical stretch of body skip the careful path
 * (RFC 6376 §3.4.3/§3.4.4 with bare CR/LF taken as CRLF) agrees with the JavaScript scan,
 * and the canonicaliser that uses it is safe against reused and re-entrant buffers.
 */
import fc from 'fast-check';
import { describe, expect, it, vi } from 'vitest';
import { findIrregular } from '../src/core/body-scan';
import { loadChunk, scanIrregular } from '../src/core/body-scan-simd';
import { BodyCanonicalizer, type Canonicalization, canonicalizeBody } from '../src/index';
import { reference, text } from './support/body-reference';

/** Canonicalises `body` fed in pieces of `size` bytes. */
function inPieces(body: string, canon: Canonicalization, size: number): string {
  const data = Buffer.from(body, 'latin1');
  let out = '';
  const c = new BodyCanonicalizer(canon, (b) => {
    out += text(b);
  });
  for (let i = 0; i < data.byteLength; i += size) c.write(data.subarray(i, i + size));
  c.end();
  expect(c.length).toBe(out.length);
  return out;
}

const pieces = fc.constantFrom(
  'ab',
  'x',
  ' ',
  '  ',
  '\t',
  '\r',
  '\n',
  '\r\n',
  '\r\n',
  ' \r\n',
  'y'.repeat(40),
  '\xe9',
);
/** Bodies long enough to span several 32-byte SIMD steps, at any alignment. */
const bodyArb = fc
  .tuple(fc.array(pieces, { maxLength: 120 }), fc.nat({ max: 40 }))
  .map(([parts, pad]) => Buffer.from(`${'p'.repeat(pad)}\r\n${parts.join('')}`, 'latin1'));

describe('SIMD scan vs JavaScript scan (§3.4.3 simple, §3.4.4 relaxed)', () => {
  it('finds an irregular byte exactly when the JavaScript scan does, never later', () => {
    fc.assert(
      fc.property(bodyArb, fc.boolean(), fc.nat(), (body, relaxed, pick) => {
        // Scans start at a line start (that is how the canonicaliser calls them).
        const starts = [0];
        for (let i = 0; i < body.byteLength; i++) if (body[i] === 0x0a) starts.push(i + 1);
        const from = starts[pick % starts.length];
        if (from >= body.byteLength) return;
        loadChunk(body);
        const simd = scanIrregular(body, from, relaxed);
        const js = findIrregular(body, from, body.byteLength, relaxed);
        expect(simd === -1).toBe(js === -1);
        if (js !== -1) {
          expect(simd).toBeGreaterThanOrEqual(from);
          expect(simd).toBeLessThanOrEqual(js);
        }
      }),
      { numRuns: 3000 },
    );
  });

  it('a CR as the last byte of a chunk is left for the careful path (its LF may follow)', () => {
    const chunk = Buffer.from(`${'z'.repeat(70)}\r`, 'latin1');
    loadChunk(chunk);
    expect(scanIrregular(chunk, 0, false)).toBe(70);
    expect(scanIrregular(chunk, 0, true)).toBe(70);
  });
});

describe('careful path output larger than its buffer (§3.4.3/§3.4.4)', () => {
  const bodies: [string, string][] = [
    // 200,000 withheld line ends (bare LFs, so the careful path counts them), then content.
    ['many empty lines, then content', `a\r\n${'\n'.repeat(200_000)}b \t c\r\n`],
    ['many empty lines at the end', `a\r\n${'\r\n\n'.repeat(100_000)}`],
    ['one 300 KB line with tabs and double spaces', `${'x\ty  z '.repeat(40_000)}\r\nend\r\n`],
    ['300 KB of bare CR lines', 'line \r'.repeat(50_000)],
  ];
  for (const [name, body] of bodies) {
    it(name, () => {
      for (const canon of ['simple', 'relaxed'] as const) {
        const expected = reference(body, canon);
        for (const size of [body.length, 65_536, 1000]) expect(inPieces(body, canon, size)).toBe(expected);
      }
    });
  }
});

describe('without WebAssembly', () => {
  it('the JavaScript scan and careful loop give the same bytes for any input and chunking', async () => {
    vi.stubGlobal('WebAssembly', undefined);
    vi.resetModules();
    let fallback: typeof import('../src/core/body-canonicalizer');
    try {
      fallback = await import('../src/core/body-canonicalizer');
    } finally {
      vi.unstubAllGlobals();
      vi.resetModules();
    }
    fc.assert(
      fc.property(
        bodyArb,
        fc.constantFrom<Canonicalization>('simple', 'relaxed'),
        fc.nat({ max: 300 }),
        (body, canon, size) => {
          let out = '';
          const c = new fallback.BodyCanonicalizer(canon, (b) => {
            out += text(b);
          });
          for (let i = 0; i < body.byteLength; i += size + 1) c.write(body.subarray(i, i + size + 1));
          c.end();
          expect(out).toBe(text(canonicalizeBody(body, canon)));
        },
      ),
      { numRuns: 1000 },
    );
  });
});

describe('canonicaliser buffer safety', () => {
  it('one Buffer reused for every write, its contents changed in between', () => {
    const lines = ['plain line\r\n', 'bare lf\n', 'two  spaces\r\n', 'tab\there\r\n', 'end\r\n'];
    for (const canon of ['simple', 'relaxed'] as const) {
      let out = '';
      const c = new BodyCanonicalizer(canon, (b) => {
        out += text(b);
      });
      const buffer = Buffer.alloc(64);
      for (const line of lines) {
        buffer.fill(0x41);
        buffer.write(line, 'latin1');
        c.write(buffer.subarray(0, line.length));
      }
      c.end();
      expect(out).toBe(text(canonicalizeBody(Buffer.from(lines.join(''), 'latin1'), canon)));
    }
  });

  it('a sink that feeds a second canonicaliser (re-entrant writes)', () => {
    const inner: string[] = [];
    const second = new BodyCanonicalizer('simple', (b) => inner.push(text(b)));
    let outer = '';
    let calls = 0;
    const first = new BodyCanonicalizer('relaxed', (b) => {
      outer += text(b);
      calls++;
      // Longer than the outer chunk and regular throughout: a stale scan would miss the
      // outer chunk's second irregular line.
      second.write(Buffer.from('nested line\r\n'.repeat(500), 'latin1'));
    });
    const body = Buffer.from(
      `${'canonical line\r\n'.repeat(100)}x  y\r\n${'more\r\n'.repeat(300)}p\tq\r\n${'tail\r\n'.repeat(9)}`,
      'latin1',
    );
    first.write(body);
    first.end();
    expect(outer).toBe(text(canonicalizeBody(body, 'relaxed')));
    second.end();
    expect(inner.join('')).toBe('nested line\r\n'.repeat(500 * calls));
  });
});
