/**
 * Finds where a body chunk stops being "already canonical", so the canonicaliser can hand
 * everything before it to the hash as one subarray. Most mail is CRLF text with single
 * spaces: for it, canonicalisation changes nothing but the trailing empty lines.
 *
 * The scan reads 4 bytes at a time (SWAR) because a per-byte JavaScript loop costs as
 * much as SHA-256 itself; words holding a control byte or two adjacent spaces are then
 * checked byte by byte.
 */
import { asBuffer, CR, HTAB, LF, SP } from './bytes';

const LITTLE_ENDIAN = new Uint8Array(new Uint32Array([1]).buffer)[0] === 1;

/**
 * Whether byte `j` of `c` needs the careful path. Simple: a CR not followed by LF, an LF
 * not preceded by CR (RFC 6376 §3.4 works on CRLF lines; bare ones are normalised, as
 * Postfix's cleanup does). Relaxed (§3.4.4) also: a tab, a space followed by a space, and
 * whitespace before the line end.
 */
function irregularAt(c: Uint8Array, j: number, from: number, to: number, relaxed: boolean): boolean {
  const b = c[j];
  if (b === CR) {
    if (j + 1 >= to || c[j + 1] !== LF) return true;
    return relaxed && j > from && (c[j - 1] === SP || c[j - 1] === HTAB);
  }
  if (b === LF) return j === from || c[j - 1] !== CR;
  if (!relaxed) return false;
  if (b === HTAB) return true;
  return b === SP && j + 1 < to && c[j + 1] === SP;
}

/**
 * Returns the first index in `[from, to)` that needs careful canonicalisation, or -1.
 * `from` must be a line start or a point where no whitespace or CR is pending.
 */
export function findIrregular(c: Uint8Array, from: number, to: number, relaxed: boolean): number {
  if (!relaxed) return findBareLineEnd(asBuffer(c), from, to);
  let j = from;
  const absolute = c.byteOffset + from;
  const head = LITTLE_ENDIAN ? Math.min(to, from + ((4 - (absolute & 3)) & 3)) : to;
  for (; j < head; j++) if (irregularAt(c, j, from, to, relaxed)) return j;
  const words = (to - j) >>> 2;
  if (words > 0) {
    const words32 = new Int32Array(c.buffer, c.byteOffset + j, words);
    let carry = 0;
    for (let w = 0; w < words; w++) {
      const v = words32[w];
      // A byte below 0x0e (CR, LF, HTAB and other controls) is somewhere in the word.
      let hit = (v - 0x0e0e0e0e) & ~v & 0x80808080;
      if (relaxed) {
        const x = v ^ 0x20202020;
        const spaces = ~(((x & 0x7f7f7f7f) + 0x7f7f7f7f) | x | 0x7f7f7f7f);
        hit |= spaces & ((spaces << 8) | carry);
        carry = (spaces >>> 24) & 0x80;
      }
      if (hit !== 0) {
        const start = j + (w << 2);
        for (let k = Math.max(from, start - 1); k < start + 4; k++) {
          const b = c[k];
          if (b > SP || (b > CR && b < SP)) continue;
          // The common hits, inline: a proper CRLF, a single space.
          if (b === CR) {
            if (
              k + 1 < to &&
              c[k + 1] === LF &&
              !(relaxed && k > from && (c[k - 1] === SP || c[k - 1] === HTAB))
            ) {
              continue;
            }
            return k;
          }
          if (b === LF) {
            if (k > from && c[k - 1] === CR) continue;
            return k;
          }
          if (b === SP) {
            if (relaxed && k + 1 < to && c[k + 1] === SP) return k;
            continue;
          }
          if (b === HTAB && relaxed) return k;
        }
      }
    }
    // Re-check the last word's final byte: its pair partner is in the tail.
    j += (words << 2) - 1;
  }
  for (; j < to; j++) if (irregularAt(c, j, from, to, relaxed)) return j;
  return -1;
}

/**
 * Simple canonicalisation only cares about line ends: per line, two native `memchr`s
 * (`indexOf`) check that the line's first CR is the one right before its LF.
 */
function findBareLineEnd(c: Buffer, from: number, to: number): number {
  let s = from;
  while (s < to) {
    const lf = c.indexOf(LF, s);
    const cr = c.indexOf(CR, s);
    if (lf === -1 || lf >= to) return cr !== -1 && cr < to ? cr : -1;
    if (cr !== lf - 1 || lf === s) return cr === -1 || cr > lf ? lf : cr;
    s = lf + 1;
  }
  return -1;
}
