/**
 * Simple canonicalisation of a large body with a rewindable sink hashes each chunk before
 * scanning it, and goes back to its checkpoint when the scan finds a bare CR or LF. The bytes
 * must be those of RFC 6376 §3.4.3 (bare CR/LF taken as CRLF) whatever the input, the
 * chunking, or other canonicalisers using the scanner meanwhile.
 */
import { createHash, generateKeyPairSync } from 'node:crypto';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { BodyCanonicalizer, createDkimSigner, type RewindableSink } from '../src/index';
import { reference, text } from './support/body-reference';

/** A sink over a string, counting saves and restores. */
class StringSink implements RewindableSink {
  out = '';
  saves = 0;
  restores = 0;
  #saved: string | undefined;
  update(bytes: Uint8Array): void {
    this.out += text(bytes);
  }
  save(): void {
    this.#saved = this.out;
    this.saves++;
  }
  restore(): void {
    if (this.#saved === undefined) throw new Error('restore() without save()');
    this.out = this.#saved;
    this.#saved = undefined;
    this.restores++;
  }
}

const LINE = `${'y'.repeat(70)}\r\n`;
/** Regular text: CRLF lines, enough of it to reach the speculative path. */
const regular = (bytes: number) => LINE.repeat(Math.ceil(bytes / LINE.length));

/** Canonicalises `body` with a rewindable sink, fed in chunks of the given sizes, cycled. */
function speculate(body: string, sizes: readonly number[]): StringSink {
  const data = Buffer.from(body, 'latin1');
  const sink = new StringSink();
  const canon = new BodyCanonicalizer('simple', sink);
  for (let i = 0, k = 0; i < data.byteLength; k++) {
    const size = sizes[k % sizes.length];
    canon.write(data.subarray(i, i + size));
    i += size;
  }
  canon.end();
  expect(canon.length).toBe(sink.out.length);
  return sink;
}

const irregular = fc.constantFrom(
  '\r',
  '\n',
  '\r\r',
  '\n\n',
  '\r\n',
  'a\rb',
  'a\nb',
  '\r\n\r\n',
  '\n\r',
  'z',
);

describe('hashing before scanning (simple, §3.4.3)', () => {
  it('a regular body is hashed speculatively: checkpoints, no rewind, the right bytes', () => {
    const body = regular(3 * 1024 * 1024);
    const sink = speculate(body, [65_536]);
    expect(sink.out).toBe(reference(body, 'simple'));
    // One checkpoint per megabyte retained, or so: the path did run.
    expect(sink.saves).toBeGreaterThanOrEqual(3);
    expect(sink.restores).toBe(0);
  });

  it('a bare LF after megabytes of regular text: one rewind, then the careful way', () => {
    const body = `${regular(2_500_000)}bare\nLF\r\n${regular(200_000)}`;
    const sink = speculate(body, [65_536]);
    expect(sink.out).toBe(reference(body, 'simple'));
    expect(sink.restores).toBe(1);
  });

  it('small bodies never take a checkpoint', () => {
    const sink = speculate(regular(250 * 1024), [4096]);
    expect(sink.saves).toBe(0);
  });

  it('any irregular bytes at any place, any chunking: the bytes of §3.4.3', () => {
    fc.assert(
      fc.property(
        fc.array(fc.tuple(fc.nat({ max: 300_000 }), fc.array(irregular, { minLength: 1, maxLength: 4 })), {
          maxLength: 4,
        }),
        fc.array(fc.integer({ min: 1, max: 140_000 }), { minLength: 1, maxLength: 5 }),
        fc.constantFrom('', '\r\n', '\r\n\r\n\r\n', '\r', '\n\n'),
        (inserts, sizes, tail) => {
          let body = regular(270_000);
          for (const [gap, parts] of inserts) body += regular(gap).slice(0, gap) + parts.join('');
          body += tail;
          expect(speculate(body, sizes).out).toBe(reference(body, 'simple'));
        },
      ),
      { numRuns: 60 },
    );
  });

  it('a CR ending one chunk and its LF starting the next, at every kind of boundary', () => {
    // Cuts right after the CR of a line end, so every chunk ends in CR: still no rewind.
    const body = regular(1_500_000);
    const sizes = [65_536 - (65_536 % LINE.length) - 1, LINE.length * 700];
    const sink = speculate(body, sizes);
    expect(sink.out).toBe(reference(body, 'simple'));
    expect(sink.restores).toBe(0);
    // A CR at a chunk's end followed by something else is a bare CR.
    const bare = `${regular(400_000)}x\ry${regular(100_000)}`;
    const at = bare.indexOf('\r', 400_000) + 1;
    const bareSink = speculate(bare, [at, 70_000]);
    expect(bareSink.out).toBe(reference(bare, 'simple'));
  });

  it('chunks that all end in CR, through checkpoints: no rewind; a bare CR at any of them: the right bytes', () => {
    // Regular chunks past 256 KiB start the speculative path; then every chunk ends between
    // CR and LF.
    const body = Buffer.from(regular(2_300_000), 'latin1');
    const sizes = [72_000, 72_000, 72_000, 72_000, LINE.length - 1];
    for (let used = 288_071; used < body.byteLength; used += 64_800) sizes.push(64_800);
    const feed = (data: Buffer) => {
      const sink = new StringSink();
      const canon = new BodyCanonicalizer('simple', sink);
      let at = 0;
      for (const size of sizes) {
        canon.write(data.subarray(at, at + size));
        at += size;
      }
      canon.end();
      return sink;
    };
    const sink = feed(body);
    expect(sink.out).toBe(reference(body.toString('latin1'), 'simple'));
    expect(sink.saves).toBeGreaterThanOrEqual(2);
    expect(sink.restores).toBe(0);
    // The LF after one chunk's final CR becomes an x: a bare CR at that boundary. Boundaries
    // 5 to 26 include the first two checkpoints (the area holds 16 chunks of 64,800 bytes).
    for (let j = 5; j <= 26; j++) {
      const variant = Buffer.from(body);
      const at = sizes.slice(0, j).reduce((a, b) => a + b, 0);
      expect(variant[at]).toBe(0x0a);
      variant[at] = 0x78;
      expect(feed(variant).out).toBe(reference(variant.toString('latin1'), 'simple'));
    }
  });

  it('canonicalisers writing in turn each keep their own bytes', () => {
    const bodies = [
      `${regular(1_200_000)}one\nbare${regular(100_000)}`,
      regular(1_300_000),
      `${regular(500_000)}\r${regular(900_000)}`,
    ];
    const data = bodies.map((b) => Buffer.from(b, 'latin1'));
    const sinks = bodies.map(() => new StringSink());
    const canons = sinks.map((s) => new BodyCanonicalizer('simple', s));
    // A plain-function canonicaliser uses the scanner in between as well.
    let plain = '';
    const plainCanon = new BodyCanonicalizer('simple', (b) => {
      plain += text(b);
    });
    const plainBody = Buffer.from(`${regular(500_000)}\n\n`, 'latin1');
    const step = 50_000;
    for (let i = 0; i < Math.max(...data.map((d) => d.byteLength)); i += step) {
      for (let k = 0; k < canons.length; k++) {
        if (i < data[k].byteLength) canons[k].write(data[k].subarray(i, i + step));
      }
      if (i < plainBody.byteLength) plainCanon.write(plainBody.subarray(i, i + step));
    }
    for (const canon of canons) canon.end();
    plainCanon.end();
    for (let k = 0; k < bodies.length; k++) expect(sinks[k].out).toBe(reference(bodies[k], 'simple'));
    expect(plain).toBe(reference(plainBody.toString('latin1'), 'simple'));
  });

  it('a rewindable sink that writes to another canonicaliser: both get the right bytes', () => {
    // The inner canonicaliser is fed 256 KiB, so its next write would begin retaining; that
    // write comes from inside the outer one's hash of the chunk that holds a bare LF: it must
    // not take the area the outer one is about to go back to.
    const innerBody = `${regular(1_200_000)}inner\nbare LF\r\n${regular(400_000)}`;
    const innerData = Buffer.from(innerBody, 'latin1');
    const inner = new StringSink();
    const innerCanon = new BodyCanonicalizer('simple', inner);
    let fed = 0;
    const feedInner = () => {
      if (fed >= innerData.byteLength) return;
      innerCanon.write(innerData.subarray(fed, fed + 65_536));
      fed += 65_536;
    };
    while (fed < 4 * 65_536) feedInner(); // 256 KiB: its next write begins retaining
    let armed = false;
    class Chained extends StringSink {
      override update(bytes: Uint8Array): void {
        super.update(bytes);
        if (armed) feedInner();
      }
    }
    const outer = new Chained();
    const outerCanon = new BodyCanonicalizer('simple', outer);
    const body = `${regular(1_100_000)}late\nbare LF\r\n${regular(600_000)}`;
    const data = Buffer.from(body, 'latin1');
    const bare = body.indexOf('late\n') + 4;
    for (let i = 0; i < data.byteLength; i += 65_536) {
      armed = i <= bare && bare < i + 65_536;
      outerCanon.write(data.subarray(i, i + 65_536));
    }
    armed = false;
    outerCanon.end();
    while (fed < innerData.byteLength) feedInner();
    innerCanon.end();
    expect(outer.restores).toBe(1);
    expect(outer.out).toBe(reference(body, 'simple'));
    expect(inner.out).toBe(reference(innerBody, 'simple'));
  });

  it('relaxed canonicalisation never hashes before scanning', () => {
    const sink = new StringSink();
    const canon = new BodyCanonicalizer('relaxed', sink);
    const body = Buffer.from(regular(1_000_000), 'latin1');
    for (let i = 0; i < body.byteLength; i += 65_536) canon.write(body.subarray(i, i + 65_536));
    canon.end();
    expect(sink.saves).toBe(0);
    expect(sink.out).toBe(reference(body.toString('latin1'), 'relaxed'));
  });

  it("the signer's bh= over a large body with late bare LFs is SHA-256 of the §3.4.3 bytes", () => {
    const signer = createDkimSigner({
      domain: 'example.com',
      selector: 's',
      privateKey: generateKeyPairSync('ed25519').privateKey,
      canonicalization: 'simple/simple',
    });
    const body = `${regular(1_500_000)}unix\nline ends\n${regular(300_000)}\n\n`;
    const message = Buffer.from(`From: a@example.com\r\n\r\n${body}`, 'latin1');
    for (let i = 0; i < message.byteLength; i += 65_536) signer.update(message.subarray(i, i + 65_536));
    const bh = /bh=([^;]+);/.exec(signer.final().replace(/\s+/g, ''))?.[1];
    expect(bh).toBe(createHash('sha256').update(reference(body, 'simple'), 'latin1').digest('base64'));
  });
});
