/** Bare CR / bare LF to CRLF for the message that goes out (what the signer hashed). */

import { findIrregular } from './body-scan';
import { CR, LF } from './bytes';

/**
 * Returns `message` with every bare CR and bare LF turned into CRLF; the input itself
 * when it has none (the common case: no copy).
 */
export function normalizeLineEnds(message: Uint8Array): Uint8Array {
  const n = message.byteLength;
  const first = findIrregular(message, 0, n, false);
  if (first === -1) return message;
  const out = new Uint8Array(n * 2);
  out.set(message.subarray(0, first), 0);
  let o = first;
  for (let i = first; i < n; i++) {
    const b = message[i];
    if (b === CR) {
      out[o++] = CR;
      out[o++] = LF;
      if (message[i + 1] === LF) i++;
    } else if (b === LF) {
      out[o++] = CR;
      out[o++] = LF;
    } else {
      out[o++] = b;
    }
  }
  return out.subarray(0, o);
}
