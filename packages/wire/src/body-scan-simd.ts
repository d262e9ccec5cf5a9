/**
 * Internal: the DATA body scan in WebAssembly SIMD. A message body is mostly ordinary CRLF
 * lines; the decoder only has to stop where a line starts with a dot or a line end is bare.
 * The JavaScript scan (line-scan.ts) stops at every line end; this one looks at 64 octets per
 * step and stops only where the decoder has work, so the decoder can jump there. The chunk is
 * copied once into the module's memory (a memcpy) and scanned there.
 *
 * Lane j is flagged when (with c[-1] = 0 and c[n] = "!" around the chunk):
 *
 *     (c[j] == CR) xor (c[j+1] == LF)      a CR without LF, or an LF without CR
 *     c[j] == LF and c[j+1] == "."         a line starting with a dot (stuffed, or the end)
 *
 * A CR at the very end is flagged (its LF may be in the next chunk). The module's source is
 * `body-scan-simd.wat` beside this file; `node scripts/build-wasm.mjs` assembles it into
 * MODULE, and a test checks they agree. Where WebAssembly SIMD is unavailable, or a chunk is
 * larger than the module holds, the decoder uses the JavaScript scan alone.
 */

/** Largest chunk the module holds (its memory is 5 pages: the chunk at 16, then slack). */
const CAPACITY = 256 * 1024;
/** Where byte 0 of the chunk sits. */
const CHUNK_ADDRESS = 16;
/** The byte placed after the chunk: not LF (a CR at the end is flagged), not ".". */
const AFTER_CHUNK = 0x21;

const MODULE =
  'AGFzbQEAAAABBwFgAn9/AX8DAgEABQMBAAUHEQIGbWVtb3J5AgAEc2NhbgAACrAEAa0EAgJ/BnsgAEEBayECAkADQCACIAFODQEgAkEQaiEDIAP9AAQAIgT9DA0NDQ0NDQ0NDQ0NDQ0NDQ39IyAD/QAEASIF/QwKCgoKCgoKCgoKCgoKCgoK/SP9USAE/QwKCgoKCgoKCgoKCgoKCgoK/SMgBf0MLi4uLi4uLi4uLi4uLi4uLv0j/U79UCEGIAP9AAQQIgT9DA0NDQ0NDQ0NDQ0NDQ0NDQ39IyAD/QAEESIF/QwKCgoKCgoKCgoKCgoKCgoK/SP9USAE/QwKCgoKCgoKCgoKCgoKCgoK/SMgBf0MLi4uLi4uLi4uLi4uLi4uLv0j/U79UCEHIAP9AAQgIgT9DA0NDQ0NDQ0NDQ0NDQ0NDQ39IyAD/QAEISIF/QwKCgoKCgoKCgoKCgoKCgoK/SP9USAE/QwKCgoKCgoKCgoKCgoKCgoK/SMgBf0MLi4uLi4uLi4uLi4uLi4uLv0j/U79UCEIIAP9AAQwIgT9DA0NDQ0NDQ0NDQ0NDQ0NDQ39IyAD/QAEMSIF/QwKCgoKCgoKCgoKCgoKCgoK/SP9USAE/QwKCgoKCgoKCgoKCgoKCgoK/SMgBf0MLi4uLi4uLi4uLi4uLi4uLv0j/U79UCEJIAYgB/1QIAj9UCAJ/VD9UwRAIAIgBv1krSAH/WStQhCGhCAI/WStQiCGhCAJ/WStQjCGhHqnaiECIAIgAU4EQEF/DwsgACACIAIgAEgbDwsgAkHAAGohAgwACwtBfws=';

interface Scanner {
  readonly bytes: Uint8Array;
  readonly scan: (from: number, to: number) => number;
}

/** The part of the WebAssembly JS API used here (wire's `lib` has no DOM types). */
interface WasmApi {
  readonly Module: new (bytes: Uint8Array) => object;
  readonly Instance: new (module: object) => { readonly exports: Record<string, unknown> };
}

function decodeBase64(text: string): Uint8Array {
  const binary = atob(text);
  const bytes = new Uint8Array(binary.length);
  for (let i = 0; i < binary.length; i++) bytes[i] = binary.charCodeAt(i);
  return bytes;
}

function instantiate(): Scanner | undefined {
  const wasm: WasmApi | undefined = Reflect.get(globalThis, 'WebAssembly');
  if (wasm === undefined) return undefined;
  try {
    const { memory, scan } = new wasm.Instance(new wasm.Module(decodeBase64(MODULE))).exports;
    const buffer: unknown =
      typeof memory === 'object' && memory !== null ? Reflect.get(memory, 'buffer') : undefined;
    if (!(buffer instanceof ArrayBuffer) || typeof scan !== 'function') return undefined;
    // The memory never grows, so this view stays valid.
    return { bytes: new Uint8Array(buffer), scan: scan as Scanner['scan'] };
  } catch {
    // No WebAssembly SIMD in this runtime.
    return undefined;
  }
}

/** Made on the first body, not at import: most importers of wire never decode DATA. */
let scanner: Scanner | undefined | null = null;
/** Length of the chunk in the module's memory now. */
let loadedLength = -1;

/**
 * Copies `chunk` into the scanner for {@link scanLoaded}; false when there is no scanner or
 * the chunk is too large for it (then use the JavaScript scan).
 */
export function loadForScan(chunk: Uint8Array): boolean {
  if (scanner === null) scanner = instantiate();
  if (scanner === undefined || chunk.length > CAPACITY) {
    loadedLength = -1;
    return false;
  }
  scanner.bytes.set(chunk, CHUNK_ADDRESS);
  scanner.bytes[CHUNK_ADDRESS + chunk.length] = AFTER_CHUNK;
  loadedLength = chunk.length;
  return true;
}

/**
 * The first flagged lane in `[from - 1, length)` of the chunk loaded last (see the module
 * notes), raised to `from` (an LF at `from` is flagged through its predecessor), or -1 when
 * there is none.
 */
export function scanLoaded(from: number): number {
  if (!scanner || loadedLength < 0) throw new TypeError('scanLoaded() without a loaded chunk');
  return scanner.scan(from, loadedLength);
}
