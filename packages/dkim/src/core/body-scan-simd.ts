/**
 * The body canonicaliser's two loops in WebAssembly. First the "is this chunk already
 * canonical?" scan of {@link findIrregular}, in SIMD: 64 bytes per step (simple: 128), ten times
 * the speed of the word-at-a-time JavaScript scan and well below the cost of SHA-256
 * itself, so a regular body is hashed at close to the speed of the hash. The chunk is
 * copied once into the module's memory (a memcpy) and scanned there; the hash still reads
 * the caller's bytes.
 *
 * Byte j of the chunk sits at address 16 + j, with a zero byte before it and `!` after it.
 * Lane j is flagged when (RFC 6376 §3.4: lines end in CRLF; a bare CR or LF is normalised):
 *
 *     simple:  (c[j] == CR) xor (c[j+1] == LF)      a CR without LF, or an LF without CR
 *     relaxed: simple, or c[j] == HTAB, or c[j] == SP and c[j+1] <= SP          (§3.4.4)
 *
 * (the last: two spaces, a space before the line end, or before a tab or another control
 * byte: those are rare, and flagging one only sends its line down the careful path).
 * Lanes are scanned from j = from - 1 (an LF at `from` is seen through its predecessor),
 * and the first flagged index, raised to `from`, is returned (-1: none). The `!` after the
 * chunk makes a CR at its very end irregular (its LF may be in the next chunk). The module's
 * source is `body-scan-simd.wat` beside this file (`node scripts/build-wasm.mjs`
 * assembles it into MODULE; a test checks they agree). In outline, per function, with $X the 16-lane
 * splat of byte X (module memory: the chunk at 16, the rewrite's state at 0x4ff00, its
 * output at 0x50000, 64 KiB):
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
 *       (simple: K = 0..7 per step, one any_true for all eight, j += 128)
 *       return -1)
 *     flags(v, n) = i8x16.eq(v, $CR) xor i8x16.eq(n, $LF)
 *                   [relaxed: | i8x16.eq(v, $HTAB) | i8x16.eq(v, $SP) & i8x16.le_u(n, $SP)]
 *
 * Second, the careful path for lines that do need rewriting (`rewrite`): the
 * canonicaliser's byte-by-byte JavaScript loop transcribed, about three times its speed. It
 * reads the chunk already in memory, writes to the output area, and returns early with
 * `full` set when that is nearly full, so the caller passes the output on and calls again:
 *
 *     (func (param $i i32) (param $stopAt i32) (param $n i32) (param $relaxed i32) (result i32)
 *       load cr, wsp, pending, o from the state
 *       loop while i < n:
 *         b = c[i]
 *         if b > SP and not cr: content (below), taken first: the common case
 *         if cr:  cr = 0, pending++, wsp = 0; if b == LF: i++;  stop if i > stopAt; next
 *         if b == CR: cr = 1, i++; next
 *         if b == LF: pending++, wsp = 0, i++;  stop if i > stopAt; next
 *         if relaxed and b is SP or HTAB: wsp = 1, i++; next
 *         content: while pending > 0: (full: stop) out[o..] = CRLF, o += 2, pending--
 *         (full: stop) if wsp: out[o++] = SP, wsp = 0
 *         out[o++] = b, emitted = 1, i++
 *       store cr, wsp, pending, o, emitted, full; return i)
 *
 * Where WebAssembly SIMD is unavailable, the JavaScript scan and loop are used.
 */
import { findIrregular } from './body-scan';
import { CR } from './bytes';

/**
 * Largest chunk the module holds. Its memory is 23 pages of 64 KiB: the chunk, the rewrite's
 * state and output, then the retained area (see {@link beginRetaining}).
 */
export const SIMD_SCAN_CAPACITY = 256 * 1024;

/** Where the rewrite keeps its state between calls. */
const STATE_ADDRESS = 0x4ff00;
/** Where the rewrite writes canonical bytes, and how many it holds. */
const OUT_ADDRESS = 0x50000;
const OUT_BYTES = 0x10000;

/**
 * The retained area: chunks one canonicaliser has hashed since its checkpoint, end to end.
 * The scan reads one byte before where it starts: the byte before the area is kept for
 * that, nothing else is written in the 16 before it.
 */
const RETAINED_ADDRESS = 0x60010;
export const RETAINED_CAPACITY = 0x100000;

/** The byte placed after the chunk in the module's memory: `!`. */
const AFTER_CHUNK = 0x21;

const MODULE =
  'AGFzbQEAAAABDwJgAn9/AX9gBH9/f38BfwMEAwAAAQUDAQAXBycEBm1lbW9yeQIABnNpbXBsZQAAB3JlbGF4ZWQAAQdyZXdyaXRlAAIKoQ4DgwUDAn8Bfgh7IABBAWshAgJAA0AgAiABTg0BIAJBEGohAyAD/QAEAP0MDQ0NDQ0NDQ0NDQ0NDQ0NDf0jIAP9AAQB/QwKCgoKCgoKCgoKCgoKCgoK/SP9USEFIAP9AAQQ/QwNDQ0NDQ0NDQ0NDQ0NDQ0N/SMgA/0ABBH9DAoKCgoKCgoKCgoKCgoKCgr9I/1RIQYgA/0ABCD9DA0NDQ0NDQ0NDQ0NDQ0NDQ39IyAD/QAEIf0MCgoKCgoKCgoKCgoKCgoKCv0j/VEhByAD/QAEMP0MDQ0NDQ0NDQ0NDQ0NDQ0NDf0jIAP9AAQx/QwKCgoKCgoKCgoKCgoKCgoK/SP9USEIIAP9AARA/QwNDQ0NDQ0NDQ0NDQ0NDQ0N/SMgA/0ABEH9DAoKCgoKCgoKCgoKCgoKCgr9I/1RIQkgA/0ABFD9DA0NDQ0NDQ0NDQ0NDQ0NDQ39IyAD/QAEUf0MCgoKCgoKCgoKCgoKCgoKCv0j/VEhCiAD/QAEYP0MDQ0NDQ0NDQ0NDQ0NDQ0NDf0jIAP9AARh/QwKCgoKCgoKCgoKCgoKCgoK/SP9USELIAP9AARw/QwNDQ0NDQ0NDQ0NDQ0NDQ0N/SMgA/0ABHH9DAoKCgoKCgoKCgoKCgoKCgr9I/1RIQwgBSAG/VAgByAI/VD9UCAJIAr9UCALIAz9UP1Q/VD9UwRAIAX9ZK0gBv1krUIQhoQgB/1krUIghoQgCP1krUIwhoQhBCAEUARAIAJBwABqIQIgCf1krSAK/WStQhCGhCAL/WStQiCGhCAM/WStQjCGhCEECyACIAR6p2ohAiACIAFOBEBBfw8LIAAgAiACIABIGw8LIAJBgAFqIQIMAAsLQX8LkgUDAX8GewF/IABBAWshAgJAA0AgAiABTg0BIAJBEGohCSAJ/QAEACID/QwNDQ0NDQ0NDQ0NDQ0NDQ0N/SMgCf0ABAEiBP0MCgoKCgoKCgoKCgoKCgoKCv0j/VEgA/0MCQkJCQkJCQkJCQkJCQkJCf0jIAP9DCAgICAgICAgICAgICAgICD9IyAE/QwgICAgICAgICAgICAgICAg/Sr9Tv1Q/VAhBSAJ/QAEECID/QwNDQ0NDQ0NDQ0NDQ0NDQ0N/SMgCf0ABBEiBP0MCgoKCgoKCgoKCgoKCgoKCv0j/VEgA/0MCQkJCQkJCQkJCQkJCQkJCf0jIAP9DCAgICAgICAgICAgICAgICD9IyAE/QwgICAgICAgICAgICAgICAg/Sr9Tv1Q/VAhBiAJ/QAEICID/QwNDQ0NDQ0NDQ0NDQ0NDQ0N/SMgCf0ABCEiBP0MCgoKCgoKCgoKCgoKCgoKCv0j/VEgA/0MCQkJCQkJCQkJCQkJCQkJCf0jIAP9DCAgICAgICAgICAgICAgICD9IyAE/QwgICAgICAgICAgICAgICAg/Sr9Tv1Q/VAhByAJ/QAEMCID/QwNDQ0NDQ0NDQ0NDQ0NDQ0N/SMgCf0ABDEiBP0MCgoKCgoKCgoKCgoKCgoKCv0j/VEgA/0MCQkJCQkJCQkJCQkJCQkJCf0jIAP9DCAgICAgICAgICAgICAgICD9IyAE/QwgICAgICAgICAgICAgICAg/Sr9Tv1Q/VAhCCAFIAb9UCAH/VAgCP1Q/VMEQCACIAX9ZK1CAIYgBv1krUIQhoQgB/1krUIghoQgCP1krUIwhoR6p2ohAiACIAFOBEBBfw8LIAAgAiACIABIGw8LIAJBwABqIQIMAAsLQX8LhQQBB39BgP4TKAIAIQVBhP4TKAIAIQZBiP4TKAIAIQdBjP4TKAIAIQgCQANAIAAgAk4NASAALQAQIQQgBEEgSyAFRXEEQCAHBEACQANAIAdFDQEgCEH9/wNPBEBBASEKDAYLIAhBjRQ7AYCAFCAIQQJqIQggB0EBayEHDAALCwsgCEH9/wNPBEBBASEKDAMLIAYEQCAIQSA6AICAFCAIQQFqIQhBACEGCyAIIAQ6AICAFCAIQQFqIQhBASEJIABBAWohAAwBCyAFBEBBACEFIAdBAWohB0EAIQYgBEEKRgRAIABBAWohAAsgACABSg0CDAELIARBDUYEQEEBIQUgAEEBaiEADAELIARBCkYEQCAHQQFqIQdBACEGIABBAWohACAAIAFKDQIMAQsgAyAEQSBGIARBCUZycQRAQQEhBiAAQQFqIQAMAQsCQANAIAdFDQEgCEH9/wNPBEBBASEKDAQLIAhBjRQ7AYCAFCAIQQJqIQggB0EBayEHDAALCyAIQf3/A08EQEEBIQoMAgsgBgRAIAhBIDoAgIAUIAhBAWohCEEAIQYLIAggBDoAgIAUIAhBAWohCEEBIQkgAEEBaiEADAALC0GA/hMgBTYCAEGE/hMgBjYCAEGI/hMgBzYCAEGM/hMgCDYCAEGQ/hNBkP4TKAIAIAlyNgIAQZT+EyAKNgIAIAAL';

interface Kernel {
  readonly bytes: Uint8Array;
  /** The rewrite's state: CR pending, space pending, line ends withheld, output length, emitted, full. */
  readonly state: Int32Array;
  /** The rewrite's output area. */
  readonly out: Uint8Array;
  readonly rewrite: (i: number, stopAt: number, n: number, relaxed: number) => number;
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
    const { memory, simple, relaxed, rewrite } = new wasm.Instance(
      new wasm.Module(Buffer.from(MODULE, 'base64')),
    ).exports;
    const buffer: unknown =
      typeof memory === 'object' && memory !== null ? Reflect.get(memory, 'buffer') : undefined;
    if (
      !(buffer instanceof ArrayBuffer) ||
      typeof simple !== 'function' ||
      typeof relaxed !== 'function' ||
      typeof rewrite !== 'function'
    ) {
      return undefined;
    }
    return {
      // The memory never grows, so this view stays valid.
      bytes: new Uint8Array(buffer),
      simple: simple as Kernel['simple'],
      relaxed: relaxed as Kernel['relaxed'],
      rewrite: rewrite as Kernel['rewrite'],
      state: new Int32Array(buffer, STATE_ADDRESS, 6),
      out: new Uint8Array(buffer, OUT_ADDRESS, OUT_BYTES),
    };
  } catch {
    // No WebAssembly SIMD in this runtime: scan in JavaScript.
    return undefined;
  }
}

const kernel = instantiate();
/** The chunk whose bytes are in the module's memory now. */
let resident: Uint8Array | undefined;
/** Who holds the retained area, and how many bytes it holds there. */
let retainer: object | undefined;
let retainedLength = 0;
/** The holder is between its hash of a chunk and the scan of it: nobody may take the area. */
let retainedBusy = false;

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

/**
 * Gives the retained area to `owner`, empty. Returns false where there is no module, or
 * while the holder is between hashing a chunk and scanning it ({@link holdRetained}). The
 * area is how a canonicaliser hashes a chunk before it has scanned it: after the hash has
 * read the chunk, copying it and scanning the copy costs a third of what it costs on bytes
 * not yet in the CPU's cache; if the scan then finds a bare CR or LF, the canonicaliser goes
 * back to its checkpoint and takes the retained bytes again, the careful way.
 */
export function beginRetaining(owner: object): boolean {
  // A sink that writes to another canonicaliser reaches here from inside a holder's hash.
  if (kernel === undefined || retainedBusy) return false;
  retainer = owner;
  retainedLength = 0;
  return true;
}

/** Whether `owner` still holds the retained area (nobody else has begun retaining since). */
export function isRetaining(owner: object): boolean {
  return retainer === owner;
}

/** Whether a chunk of `n` bytes, and the mark put after it, fit in the retained area. */
export function retainedRoom(n: number): boolean {
  return retainedLength + n + 1 <= RETAINED_CAPACITY;
}

/** Marks the holder as between its hash of a chunk and the scan of it (see {@link beginRetaining}). */
export function holdRetained(busy: boolean): void {
  retainedBusy = busy;
}

/**
 * Appends `chunk` to the retained bytes and scans it there for simple canonicalisation, as
 * {@link scanIrregular}(chunk, 0, false) does, except that an LF at index 0 is regular when
 * `crBefore` (the previous chunk ended in CR). Call only while {@link isRetaining} and
 * {@link retainedRoom} hold.
 */
export function retainAndScanSimple(chunk: Uint8Array, crBefore: boolean): number {
  const n = chunk.byteLength;
  const at = retainedLength;
  const bytes = (kernel as Kernel).bytes;
  // The scan judges index 0 by the byte before it: after the first chunk that is the last
  // one's last byte, retained; before it, a byte of the gap that stands for it.
  if (at === 0) bytes[RETAINED_ADDRESS - 1] = crBefore ? CR : 0;
  bytes.set(chunk, RETAINED_ADDRESS + at);
  bytes[RETAINED_ADDRESS + at + n] = AFTER_CHUNK;
  retainedLength = at + n;
  // The kernel addresses bytes from 16: shift the range to where the area is.
  const base = RETAINED_ADDRESS - 16 + at;
  const k = (kernel as Kernel).simple(base, base + n);
  return k === -1 ? -1 : k - base;
}

/**
 * Ends the retention and returns a copy of the retained bytes but the last `exceptLast`.
 */
export function releaseRetained(exceptLast: number): Uint8Array {
  retainer = undefined;
  const bytes = (kernel as Kernel).bytes;
  return bytes.slice(RETAINED_ADDRESS, RETAINED_ADDRESS + retainedLength - exceptLast);
}

/** Ends `owner`'s retention, if it still holds the area (so the module does not keep it alive). */
export function stopRetaining(owner: object): void {
  if (retainer === owner) retainer = undefined;
}

/** Where {@link rewrite} stopped and the state it carries on with. */
export interface RewriteResult {
  /** Index in the chunk where it stopped. */
  next: number;
  /** The last byte was a CR (its LF may come next). */
  crPending: boolean;
  /** Relaxed: whitespace seen in the current line, not yet written. */
  wspPending: boolean;
  /** Line ends seen but not yet written (they may be trailing empty lines). */
  crlfPending: number;
  /** Some content byte was written. */
  emitted: boolean;
}

const result: RewriteResult = {
  next: 0,
  crPending: false,
  wspPending: false,
  crlfPending: 0,
  emitted: false,
};

/**
 * The canonicaliser's careful path in WebAssembly: canonicalises `chunk` byte by byte from
 * `i` until the first line end at or after `stopAt` has been consumed (or the chunk ends),
 * passing the canonical bytes to `put` in pieces (views that are valid during the call).
 * Returns `undefined` when the module is unavailable; the returned object is reused.
 */
export function rewrite(
  chunk: Uint8Array,
  i: number,
  stopAt: number,
  relaxed: boolean,
  crPending: boolean,
  wspPending: boolean,
  crlfPending: number,
  put: (bytes: Uint8Array) => void,
): RewriteResult | undefined {
  const n = chunk.byteLength;
  if (kernel === undefined || n > SIMD_SCAN_CAPACITY) return undefined;
  const state = kernel.state;
  let cr = crPending ? 1 : 0;
  let wsp = wspPending ? 1 : 0;
  let pending = crlfPending;
  let emitted = 0;
  let next = i;
  for (;;) {
    if (resident !== chunk) loadChunk(chunk);
    state[0] = cr;
    state[1] = wsp;
    state[2] = pending;
    state[3] = 0;
    state[4] = 0;
    next = kernel.rewrite(next, stopAt, n, relaxed ? 1 : 0);
    cr = state[0];
    wsp = state[1];
    pending = state[2];
    emitted |= state[4];
    const full = state[5];
    // `put` may reach another canonicaliser (a sink that writes on): state is re-set above.
    if (state[3] > 0) put(kernel.out.subarray(0, state[3]));
    if (full === 0) break;
  }
  result.next = next;
  result.crPending = cr !== 0;
  result.wspPending = wsp !== 0;
  result.crlfPending = pending;
  result.emitted = emitted !== 0;
  return result;
}
