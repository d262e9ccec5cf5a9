/**
 * Sending with BDAT (RFC 3030 §2): a body cut into chunks, each announced by
 * `BDAT <size>`, the last one by `BDAT <size> LAST`. No dot-stuffing, no line rules.
 */
import { formatCommand } from './command';

/** One BDAT chunk to send: the command line, then exactly `data.length` octets. */
export interface BdatChunk {
  /** `BDAT <size>\r\n` or `BDAT <size> LAST\r\n`. */
  readonly command: Uint8Array;
  /** The chunk's octets. */
  readonly data: Uint8Array;
  /** `true` for the LAST chunk. */
  readonly last: boolean;
}

/** Options for {@link frameBdat}. */
export interface BdatFramerOptions {
  /** Largest chunk in octets. Default 65536; input chunks bigger than this are split. */
  readonly maxChunkSize?: number;
}

function chunk(data: Uint8Array, last: boolean): BdatChunk {
  return { command: formatCommand({ verb: 'BDAT', size: data.length, last }), data, last };
}

/**
 * Frame a body into BDAT chunks. The last chunk carries `LAST` (it is `BDAT 0 LAST` with no
 * data only for an empty body). The body is streamed, never concatenated; empty input chunks
 * are skipped.
 *
 * @example
 * ```ts
 * for await (const chunk of frameBdat(body)) {
 *   socket.write(chunk.command);
 *   socket.write(chunk.data);
 * }
 * ```
 */
export async function* frameBdat(
  body: Uint8Array | AsyncIterable<Uint8Array> | Iterable<Uint8Array>,
  options: BdatFramerOptions = {},
): AsyncGenerator<BdatChunk, void, undefined> {
  const max = options.maxChunkSize ?? 65536;
  if (!Number.isSafeInteger(max) || max < 1) throw new RangeError('maxChunkSize must be a positive integer');
  // One piece of lookahead, so the final piece can carry LAST instead of a trailing BDAT 0 LAST.
  let pending: Uint8Array | undefined;
  const source = body instanceof Uint8Array ? [body] : body;
  for await (const input of source) {
    for (let at = 0; at < input.length; at += max) {
      if (pending) yield chunk(pending, false);
      pending = input.subarray(at, Math.min(at + max, input.length));
    }
  }
  yield chunk(pending ?? new Uint8Array(0), true);
}
