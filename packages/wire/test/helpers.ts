// Shared test helpers: text <-> bytes and splitting a byte stream at arbitrary points.
import fc from 'fast-check';

export const enc = (text: string): Uint8Array => new TextEncoder().encode(text);
export const dec = (bytes: Uint8Array): string => new TextDecoder().decode(bytes);
/** Bytes from a string whose characters are all < 256 (one octet per character). */
export const bin = (text: string): Uint8Array => Uint8Array.from(text, (c) => c.charCodeAt(0));
/** One character per octet, for comparing binary output readably. */
export const latin1 = (bytes: Uint8Array): string => String.fromCharCode(...bytes);

/** Cut `bytes` at the given (sorted, deduplicated) offsets. */
export function splitAt(bytes: Uint8Array, cuts: readonly number[]): Uint8Array[] {
  const points = [...new Set(cuts.map((c) => Math.min(Math.max(c, 0), bytes.length)))].sort((a, b) => a - b);
  const pieces: Uint8Array[] = [];
  let from = 0;
  for (const point of points) {
    pieces.push(bytes.subarray(from, point));
    from = point;
  }
  pieces.push(bytes.subarray(from));
  return pieces;
}

/** An arbitrary list of cut points for a stream of up to `max` bytes. */
export const cutsArb = (max: number) => fc.array(fc.nat({ max }), { maxLength: 24 });

/** Every single-cut split plus byte-by-byte: exhaustive boundaries for short streams. */
export function allSplits(bytes: Uint8Array): Uint8Array[][] {
  const out: Uint8Array[][] = [[bytes], Array.from(bytes, (_, i) => bytes.subarray(i, i + 1))];
  for (let i = 1; i < bytes.length; i++) out.push(splitAt(bytes, [i]));
  return out;
}
