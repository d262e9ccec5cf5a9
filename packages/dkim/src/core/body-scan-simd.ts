/**
 * The "is this chunk already canonical?" scan of {@link findIrregular}, in WebAssembly
 * SIMD: 64 bytes per step, about ten times the speed of the word-at-a-time JavaScript scan
 * and well below the cost of SHA-256 itself, so a regular body is hashed at close to the
 * speed of the hash. The chunk is copied once into the module's memory (a memcpy) and
 * scanned there; the hash still reads the caller's bytes.
 *
 * Byte j of the chunk sits at address 16 + j, with a zero byte before it and `!` after it. Lane j
 * is flagged when (RFC 6376 §3.4: lines end in CRLF; a bare CR or LF is normalised):
 *
 *     simple:  (c[j] == CR) xor (c[j+1] == LF)      a CR without LF, or an LF without CR
 *     relaxed: simple, or c[j] == HTAB, or c[j] == SP and c[j+1] <= SP          (§3.4.4)
 *
 * (the last: two spaces, a space before the line end, or before a tab or another control
 * byte: those are rare, and flagging one only sends its line down the careful path)
 * Lanes are scanned from j = from - 1 (an LF at `from` is seen through its predecessor), and the first
 * flagged index, raised to `from`, is returned (-1: none). The `!` after the chunk
 * makes a CR at its very end irregular (its LF may be in the next chunk). Module text
 * (assembled with wabt's `wat2wasm --enable-simd`), per function, with $X the 16-lane
 * splat of byte X:
 *
 *     (func (param $from i32) (param $to i32) (result i32)
 *       j = from - 1
 *       loop while j < to (signed):
 *         a = j + 16
 *         bK = flags(v128.load offset=16K a, v128.load offset=16K+1 a)    for K = 0..3
 *         if v128.any_true(b0 | b1 | b2 | b3):
 *           j += i64.ctz(Σ i64(i8x16.bitmask(bK)) << 16K)
 *           return j >= to ? -1 : max(j, from)
 *         j += 64
 *       return -1)
 *     flags(v, n) = i8x16.eq(v, $CR) xor i8x16.eq(n, $LF)
 *                   [relaxed: | i8x16.eq(v, $HTAB) | i8x16.eq(v, $SP) & i8x16.le_u(n, $SP)]
 *
 * Where WebAssembly SIMD is unavailable, the JavaScript scan is used.
 */
import { findIrregular } from './body-scan';

/** Largest chunk the module holds (its memory is 5 pages of 64 KiB, with room to spare). */
export const SIMD_SCAN_CAPACITY = 256 * 1024;

/** The byte placed after the chunk in the module's memory: `!`. */
const AFTER_CHUNK = 0x21;

const MODULE =
  'AGFzbQEAAAABBwFgAn9/AX8DAwIAAAUDAQAFBx0DBm1lbW9yeQIABnNpbXBsZQAAB3JlbGF4ZWQAAQqJCALyAgMBfwZ7AX8gAEEBayECAkADQCACIAFODQEgAkEQaiEJIAn9AAQAIgP9DA0NDQ0NDQ0NDQ0NDQ0NDQ39IyAJ/QAEASIE/QwKCgoKCgoKCgoKCgoKCgoK/SP9USEFIAn9AAQQIgP9DA0NDQ0NDQ0NDQ0NDQ0NDQ39IyAJ/QAEESIE/QwKCgoKCgoKCgoKCgoKCgoK/SP9USEGIAn9AAQgIgP9DA0NDQ0NDQ0NDQ0NDQ0NDQ39IyAJ/QAEISIE/QwKCgoKCgoKCgoKCgoKCgoK/SP9USEHIAn9AAQwIgP9DA0NDQ0NDQ0NDQ0NDQ0NDQ39IyAJ/QAEMSIE/QwKCgoKCgoKCgoKCgoKCgoK/SP9USEIIAUgBv1QIAf9UCAI/VD9UwRAIAIgBf1krUIAhiAG/WStQhCGhCAH/WStQiCGhCAI/WStQjCGhHqnaiECIAIgAU4EQEF/DwsgACACIAIgAEgbDwsgAkHAAGohAgwACwtBfwuSBQMBfwZ7AX8gAEEBayECAkADQCACIAFODQEgAkEQaiEJIAn9AAQAIgP9DA0NDQ0NDQ0NDQ0NDQ0NDQ39IyAJ/QAEASIE/QwKCgoKCgoKCgoKCgoKCgoK/SP9USAD/QwJCQkJCQkJCQkJCQkJCQkJ/SMgA/0MICAgICAgICAgICAgICAgIP0jIAT9DCAgICAgICAgICAgICAgICD9Kv1O/VD9UCEFIAn9AAQQIgP9DA0NDQ0NDQ0NDQ0NDQ0NDQ39IyAJ/QAEESIE/QwKCgoKCgoKCgoKCgoKCgoK/SP9USAD/QwJCQkJCQkJCQkJCQkJCQkJ/SMgA/0MICAgICAgICAgICAgICAgIP0jIAT9DCAgICAgICAgICAgICAgICD9Kv1O/VD9UCEGIAn9AAQgIgP9DA0NDQ0NDQ0NDQ0NDQ0NDQ39IyAJ/QAEISIE/QwKCgoKCgoKCgoKCgoKCgoK/SP9USAD/QwJCQkJCQkJCQkJCQkJCQkJ/SMgA/0MICAgICAgICAgICAgICAgIP0jIAT9DCAgICAgICAgICAgICAgICD9Kv1O/VD9UCEHIAn9AAQwIgP9DA0NDQ0NDQ0NDQ0NDQ0NDQ39IyAJ/QAEMSIE/QwKCgoKCgoKCgoKCgoKCgoK/SP9USAD/QwJCQkJCQkJCQkJCQkJCQkJ/SMgA/0MICAgICAgICAgICAgICAgIP0jIAT9DCAgICAgICAgICAgICAgICD9Kv1O/VD9UCEIIAUgBv1QIAf9UCAI/VD9UwRAIAIgBf1krUIAhiAG/WStQhCGhCAH/WStQiCGhCAI/WStQjCGhHqnaiECIAIgAU4EQEF/DwsgACACIAIgAEgbDwsgAkHAAGohAgwACwtBfws=';

interface Kernel {
  readonly bytes: Uint8Array;
  readonly simple: (from: number, to: number) => number;
  readonly relaxed: (from: number, to: number) => number;
}

/** The part of the WebAssembly JS API used here (the project's `lib` has no DOM types). */
interface WasmApi {
  readonly Module: new (bytes: Uint8Array) => object;
  readonly Instance: new (module: object) => { readonly exports: Record<string, unknown> };
}

function instantiate(): Kernel | undefined {
  const wasm: WasmApi | undefined = Reflect.get(globalThis, 'WebAssembly');
  if (wasm === undefined) return undefined;
  try {
    const { memory, simple, relaxed } = new wasm.Instance(new wasm.Module(Buffer.from(MODULE, 'base64')))
      .exports;
    const buffer: unknown =
      typeof memory === 'object' && memory !== null ? Reflect.get(memory, 'buffer') : undefined;
    if (!(buffer instanceof ArrayBuffer) || typeof simple !== 'function' || typeof relaxed !== 'function') {
      return undefined;
    }
    return {
      // The memory never grows, so this view stays valid.
      bytes: new Uint8Array(buffer),
      simple: simple as Kernel['simple'],
      relaxed: relaxed as Kernel['relaxed'],
    };
  } catch {
    // No WebAssembly SIMD in this runtime: scan in JavaScript.
    return undefined;
  }
}

const kernel = instantiate();
/** The chunk whose bytes are in the module's memory now. */
let resident: Uint8Array | undefined;

/**
 * Copies `chunk` into the scanner. Call once per chunk before {@link scanIrregular}, even for
 * an array scanned before: its contents may have changed since.
 */
export function loadChunk(chunk: Uint8Array): void {
  if (kernel === undefined || chunk.byteLength > SIMD_SCAN_CAPACITY) {
    resident = undefined;
    return;
  }
  kernel.bytes.set(chunk, 16);
  // Not LF: a CR at the very end is irregular (its LF may be in the next chunk). Above SP:
  // a space at the very end is not (the canonicaliser holds it back itself).
  kernel.bytes[16 + chunk.byteLength] = AFTER_CHUNK;
  resident = chunk;
}

/**
 * First index in `[from, chunk.byteLength)` that needs careful canonicalisation, or -1; as
 * {@link findIrregular} over the whole rest of the chunk (it may flag a byte or two earlier
 * in the same line, which costs nothing: the careful path starts at the line start).
 */
export function scanIrregular(chunk: Uint8Array, from: number, relaxed: boolean): number {
  const n = chunk.byteLength;
  if (kernel === undefined || n > SIMD_SCAN_CAPACITY) return findIrregular(chunk, from, n, relaxed);
  // Another canonicaliser may have used the scanner meanwhile (a sink that writes to a
  // second one): reload.
  if (resident !== chunk) loadChunk(chunk);
  return relaxed ? kernel.relaxed(from, n) : kernel.simple(from, n);
}
