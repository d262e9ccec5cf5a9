/**
 * The "is this chunk already canonical?" scan of {@link findIrregular}, in WebAssembly
 * SIMD: 32 bytes per step, about ten times the speed of the word-at-a-time JavaScript scan
 * and well below the cost of SHA-256 itself, so a regular body is hashed at close to the
 * speed of the hash. The chunk is copied once into the module's memory (a memcpy) and
 * scanned there; the hash still reads the caller's bytes.
 *
 * Byte j of the chunk sits at address 16 + j, with a zero byte before and after it. Lane j
 * is flagged when (RFC 6376 §3.4: lines end in CRLF; a bare CR or LF is normalised):
 *
 *     simple:  (c[j] == CR) xor (c[j+1] == LF)      a CR without LF, or an LF without CR
 *     relaxed: simple, or c[j] == HTAB, or c[j] == SP and c[j+1] is SP or CR   (§3.4.4)
 *
 * from j = from - 1 (an LF at `from` is seen through its predecessor), and the first
 * flagged index, raised to `from`, is returned (-1: none). The zero byte after the chunk
 * makes a CR at its very end irregular (its LF may be in the next chunk). Module text
 * (assembled with wabt's `wat2wasm --enable-simd`), per function, with $X the 16-lane
 * splat of byte X:
 *
 *     (func (param $from i32) (param $to i32) (result i32)
 *       j = from - 1
 *       loop while j < to (signed):
 *         a = j + 16
 *         b0 = flags(v128.load offset=0 a, v128.load offset=1 a)
 *         b1 = flags(v128.load offset=16 a, v128.load offset=17 a)
 *         if v128.any_true(b0 | b1):
 *           j += i32.ctz(i8x16.bitmask(b0) | i8x16.bitmask(b1) << 16)
 *           return j >= to ? -1 : max(j, from)
 *         j += 32
 *       return -1)
 *     flags(v, n) = i8x16.eq(v, $CR) xor i8x16.eq(n, $LF)
 *                   [relaxed: | i8x16.eq(v, $HTAB) | i8x16.eq(v, $SP) & (i8x16.eq(n, $SP) | i8x16.eq(n, $CR))]
 *
 * Where WebAssembly SIMD is unavailable, the JavaScript scan is used.
 */
import { findIrregular } from './body-scan';

/** Largest chunk the module holds (its memory is 5 pages of 64 KiB, with room to spare). */
export const SIMD_SCAN_CAPACITY = 256 * 1024;

const MODULE =
  'AGFzbQEAAAABBwFgAn9/AX8DAwIAAAUDAQAFBx0DBm1lbW9yeQIABnNpbXBsZQAAB3JlbGF4ZWQAAQr/BALdAQMBfwR7An8gAEEBayECAkADQCACIAFODQEgAkEQaiEIIAj9AAQAIgP9DA0NDQ0NDQ0NDQ0NDQ0NDQ39IyAI/QAEASIE/QwKCgoKCgoKCgoKCgoKCgoK/SP9USEFIAj9AAQQIgP9DA0NDQ0NDQ0NDQ0NDQ0NDQ39IyAI/QAEESIE/QwKCgoKCgoKCgoKCgoKCgoK/SP9USEGIAUgBv1Q/VMEQCAF/WQgBv1kQRB0ciEHIAIgB2hqIQIgAiABTgRAQX8PCyAAIAIgAiAASBsPCyACQSBqIQIMAAsLQX8LnQMDAX8EewJ/IABBAWshAgJAA0AgAiABTg0BIAJBEGohCCAI/QAEACID/QwNDQ0NDQ0NDQ0NDQ0NDQ0N/SMgCP0ABAEiBP0MCgoKCgoKCgoKCgoKCgoKCv0j/VEgA/0MCQkJCQkJCQkJCQkJCQkJCf0jIAP9DCAgICAgICAgICAgICAgICD9IyAE/QwgICAgICAgICAgICAgICAg/SMgBP0MDQ0NDQ0NDQ0NDQ0NDQ0NDf0j/VD9Tv1Q/VAhBSAI/QAEECID/QwNDQ0NDQ0NDQ0NDQ0NDQ0N/SMgCP0ABBEiBP0MCgoKCgoKCgoKCgoKCgoKCv0j/VEgA/0MCQkJCQkJCQkJCQkJCQkJCf0jIAP9DCAgICAgICAgICAgICAgICD9IyAE/QwgICAgICAgICAgICAgICAg/SMgBP0MDQ0NDQ0NDQ0NDQ0NDQ0NDf0j/VD9Tv1Q/VAhBiAFIAb9UP1TBEAgBf1kIAb9ZEEQdHIhByACIAdoaiECIAIgAU4EQEF/DwsgACACIAIgAEgbDwsgAkEgaiECDAALC0F/Cw==';

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
  kernel.bytes[16 + chunk.byteLength] = 0;
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
