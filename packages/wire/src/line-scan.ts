// Internal: find the next CR or LF in a byte array fast. A per-byte JS loop runs at a few
// hundred MB/s and Uint8Array#indexOf costs a native call per hit (one CR and one LF per
// ~80-octet line), so this tests four octets at a time on an aligned Uint32Array view
// ("has a zero byte" bit trick on x ^ 0x0a0a0a0a and x ^ 0x0d0d0d0d) and only looks at single
// octets in a word that has a hit.

const CR = 0x0d;
const LF = 0x0a;

/** A scanner bound to one chunk: the chunk and its aligned 32-bit view. */
export class CrLfScanner {
  readonly bytes: Uint8Array;
  readonly #words: Uint32Array;
  /** Chunk index of the first octet covered by `#words`. */
  readonly #wordStart: number;
  /** Chunk index one past the last octet covered by `#words`. */
  readonly #wordEnd: number;

  constructor(bytes: Uint8Array) {
    this.bytes = bytes;
    const base = bytes.byteOffset;
    const alignedAbs = (base + 3) & ~3;
    const head = Math.min(alignedAbs - base, bytes.length);
    const count = (bytes.length - head) >> 2;
    // A chunk too short to hold an aligned word gets no view (the octet loops cover it).
    this.#words = count > 0 ? new Uint32Array(bytes.buffer, base + head, count) : new Uint32Array(0);
    this.#wordStart = head;
    this.#wordEnd = head + count * 4;
  }

  /** Index of the first CR or LF at or after `from`, or -1. */
  find(from: number): number {
    const bytes = this.bytes;
    const end = bytes.length;
    let i = from;
    // Octets before the aligned words (or all of them for a short chunk).
    const headEnd = Math.min(this.#wordStart, end);
    for (; i < headEnd; i++) {
      const c = bytes[i]!;
      if (c === CR || c === LF) return i;
    }
    if (i < this.#wordEnd) {
      const words = this.#words;
      const wordStart = this.#wordStart;
      // Resume mid-word: check the rest of the current word octet by octet.
      let w = (i - wordStart) >> 2;
      const inWord = (i - wordStart) & 3;
      if (inWord !== 0) {
        const stop = wordStart + (w + 1) * 4;
        for (; i < stop; i++) {
          const c = bytes[i]!;
          if (c === CR || c === LF) return i;
        }
        w++;
      }
      const wordCount = words.length;
      for (; w < wordCount; w++) {
        const x = words[w]!;
        const a = x ^ 0x0a0a0a0a;
        const b = x ^ 0x0d0d0d0d;
        if ((((a - 0x01010101) & ~a) | ((b - 0x01010101) & ~b)) & 0x80808080) break;
      }
      i = wordStart + w * 4;
    }
    for (; i < end; i++) {
      const c = bytes[i]!;
      if (c === CR || c === LF) return i;
    }
    return -1;
  }
}
