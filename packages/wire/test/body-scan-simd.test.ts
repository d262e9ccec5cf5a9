import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { assembleModule, EMBEDDED_MODULES, embeddedModule } from '../../../scripts/build-wasm.mjs';
import { loadForScan, scanLoaded } from '../src/body-scan-simd';
import { DataDecoder, type DataDecoderOptions } from '../src/index';

const CR = 0x0d;
const LF = 0x0a;
const DOT = 0x2e;

/** The scan's rule written out plainly: the reference the SIMD kernel must agree with. */
function referenceScan(c: Uint8Array, from: number): number {
  const at = (j: number) => (j < 0 ? 0 : j >= c.length ? 0x21 : c[j]!);
  for (let j = from - 1; j < c.length; j++) {
    const bareEnd = (at(j) === CR) !== (at(j + 1) === LF);
    const dotLine = at(j) === LF && at(j + 1) === DOT;
    if (bareEnd || dotLine) return Math.max(j, from);
  }
  return -1;
}

/** Bytes where CR, LF and "." are common, as in mail. */
const mailBytes = (maxLength: number) =>
  fc
    .uint8Array({ maxLength })
    .chain((noise) =>
      fc
        .array(fc.constantFrom(CR, LF, DOT, 0x41, 0x20), { minLength: noise.length, maxLength: noise.length })
        .map((picks) => Uint8Array.from(noise, (b, i) => (b < 160 ? picks[i]! : b))),
    );

const windows1252 = new TextDecoder('latin1');
/** One character per octet (large arrays too). */
const latin1 = (bytes: Uint8Array): string => windows1252.decode(bytes);

function decode(pieces: readonly Uint8Array[], options: DataDecoderOptions) {
  const decoder = new DataDecoder(options);
  const out: string[] = [];
  for (const piece of pieces) {
    decoder.feed(piece);
    for (let item = decoder.next(); item; item = decoder.next()) {
      out.push(item.type === 'data' ? latin1(item.data) : JSON.stringify(item.result));
    }
  }
  return { out: out.join(''), rest: latin1(decoder.takeBuffered()) };
}

describe('the WebAssembly DATA scan', () => {
  it('body-scan-simd.wat assembles to exactly the MODULE embedded in body-scan-simd.ts', async () => {
    const entry = EMBEDDED_MODULES.find((m) => m.wat.pathname.endsWith('wire/src/body-scan-simd.wat'));
    expect(entry).toBeDefined();
    expect(embeddedModule(entry!.ts)).toBe(await assembleModule(entry!.wat));
  });

  it('flags exactly what the plain rule flags, from any start (fast-check)', () => {
    expect(loadForScan(new Uint8Array(1))).toBe(true);
    fc.assert(
      fc.property(mailBytes(300), fc.nat(), (bytes, start) => {
        const from = bytes.length === 0 ? 0 : start % (bytes.length + 1);
        loadForScan(bytes);
        expect(scanLoaded(from)).toBe(referenceScan(bytes, from));
      }),
      { numRuns: 2000 },
    );
  });

  it('the decoder gives the same result through the scan (small chunks) as without it (one chunk past its capacity)', () => {
    // 300 KiB of lines: stuffed dots, bare LFs and CRs, long runs of plain lines between.
    const lines: string[] = [];
    for (let i = 0; lines.join('').length < 300 * 1024; i++) {
      if (i % 97 === 0) lines.push('.stuffed\r\n');
      else if (i % 211 === 0) lines.push('bare lf\n');
      else if (i % 307 === 0) lines.push('bare cr\rtext\r\n');
      else lines.push(`${'x'.repeat(i % 90)} line ${i}\r\n`);
    }
    const body = Uint8Array.from(`${lines.join('')}.\r\nQUIT\r\n`, (c) => c.charCodeAt(0));
    expect(body.length).toBeGreaterThan(256 * 1024);
    for (const bareLineEndings of ['reject', 'normalize'] as const) {
      const whole = decode([body], { bareLineEndings });
      const pieces: Uint8Array[] = [];
      for (let i = 0; i < body.length; i += 4093) pieces.push(body.subarray(i, i + 4093));
      expect(decode(pieces, { bareLineEndings })).toEqual(whole);
    }
  });
});
