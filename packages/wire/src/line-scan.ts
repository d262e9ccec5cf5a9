// Internal: skip ordinary text fast. A per-byte JS loop runs at a few hundred MB/s and
// Uint8Array#indexOf costs a native call per hit (a CR and an LF every ~80 octets), so this
// tests four octets at a time on an aligned Int32Array view with the "has a byte less than
// n" bit trick (any octet < 0x0E: CR, LF and a few rare controls) and only looks at single
// octets in a word that has a hit.

const CR = 0x0d;
const LF = 0x0a;
const DOT = 0x2e;

/** The aligned 32-bit view of a chunk: `words[k]` covers octets `start + 4k .. start + 4k + 3`. */
export interface WordView {
  readonly words: Int32Array;
  readonly start: number;
}

/**
 * From `from` (inside a line), skip octets and CRLF pairs whose next octet is not ".".
 * Returns `2 * q + 1` if `q` is a line start that needs a look (a "." after CRLF, or the
 * end of the chunk right after a CRLF), or `2 * q` if `q` is a CR or LF that is not an
 * ordinary CRLF (bare, or a CR at the very end), or the chunk length.
 */
export function skipText(bytes: Uint8Array, view: WordView, from: number): number {
  const len = bytes.length;
  let p = from;
  for (;;) {
    const q = nextLowOctet(bytes, view, p);
    if (q === len) return len * 2;
    const c = bytes[q]!;
    if (c !== CR && c !== LF) {
      p = q + 1; // TAB, NUL and friends are just text
      continue;
    }
    if (c === CR && q + 1 < len && bytes[q + 1] === LF) {
      p = q + 2;
      if (p === len || bytes[p] === DOT) return p * 2 + 1;
      continue;
    }
    return q * 2;
  }
}

/** Where {@link skipUnstuff} left the current run, and how many dots it removed. */
export const unstuffState = { seg: 0, removed: 0 };

/**
 * Like {@link skipText} for the receiving side, and also removes the stuffed "." of lines
 * like CRLF "." X (X not CR or LF, RFC 5321 §4.5.2) without returning: the octets kept are
 * pushed to `ranges` as [start, end) pairs, the current run starting at `seg`. The run's start
 * when it returns is left in {@link unstuffState}, with the number of dots removed.
 */
export function skipUnstuff(
  bytes: Uint8Array,
  view: WordView,
  from: number,
  seg: number,
  ranges: number[],
): number {
  const len = bytes.length;
  let p = from;
  let removed = 0;
  for (;;) {
    const q = nextLowOctet(bytes, view, p);
    if (q === len) {
      unstuffState.seg = seg;
      unstuffState.removed = removed;
      return len * 2;
    }
    const c = bytes[q]!;
    if (c !== CR && c !== LF) {
      p = q + 1; // TAB, NUL and friends are just text
      continue;
    }
    if (c === CR && q + 1 < len && bytes[q + 1] === LF) {
      p = q + 2;
      if (p === len) break;
      if (bytes[p] === DOT) {
        if (p + 1 < len) {
          const d = bytes[p + 1];
          if (d !== CR && d !== LF) {
            ranges.push(seg, p);
            removed++;
            seg = p + 1;
            p = seg;
            continue;
          }
        }
        break;
      }
      continue;
    }
    unstuffState.seg = seg;
    unstuffState.removed = removed;
    return q * 2;
  }
  // A line start after CRLF: a "." that needs the state machine, or the end of the chunk.
  unstuffState.seg = seg;
  unstuffState.removed = removed;
  return p * 2 + 1;
}

/**
 * The index of the next octet < 0x0E (CR, LF and a few rare controls) at or after `from`, or
 * `bytes.length` when there is none: octet by octet up to a word boundary, then whole words.
 */
function nextLowOctet(bytes: Uint8Array, view: WordView, from: number): number {
  const len = bytes.length;
  const words = view.words;
  const wordStart = view.start;
  const wordEnd = wordStart + words.length * 4;
  let p = from;
  for (;;) {
    let q = -1;
    if (p < wordStart || p >= wordEnd) {
      const stop = p < wordStart ? Math.min(wordStart, len) : len;
      for (; p < stop; p++) {
        if (bytes[p]! < 0x0e) {
          q = p;
          break;
        }
      }
    } else {
      // Finish the current word octet by octet, then whole words.
      const rel = p - wordStart;
      const wordEndOfP = p + ((4 - (rel & 3)) & 3);
      for (; p < wordEndOfP; p++) {
        if (bytes[p]! < 0x0e) {
          q = p;
          break;
        }
      }
      if (q === -1) {
        let w = (p - wordStart) >> 2;
        const count = words.length;
        // Two words per step: half the loop overhead, which is most of the cost per word.
        for (; w + 1 < count; w += 2) {
          const x = words[w]!;
          const y = words[w + 1]!;
          if ((((x - 0x0e0e0e0e) & ~x) | ((y - 0x0e0e0e0e) & ~y) | 0) & 0x80808080) break;
        }
        for (; w < count; w++) {
          const x = words[w]!;
          if (((x - 0x0e0e0e0e) & ~x & 0x80808080) !== 0) break;
        }
        p = wordStart + w * 4;
        const stop = w < count ? p + 4 : len;
        for (; p < stop; p++) {
          if (bytes[p]! < 0x0e) {
            q = p;
            break;
          }
        }
      }
    }
    if (q !== -1) return q;
    if (p >= len) return len;
  }
}

/** The aligned Int32Array view of the middle of `bytes` (empty for a very short chunk). */
export function wordView(bytes: Uint8Array): WordView {
  const base = bytes.byteOffset;
  const start = Math.min(((base + 3) & ~3) - base, bytes.length);
  const count = (bytes.length - start) >> 2;
  return { words: count > 0 ? new Int32Array(bytes.buffer, base + start, count) : new Int32Array(0), start };
}
