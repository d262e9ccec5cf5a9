/**
 * Sending with BDAT (RFC 3030 §2): a body cut into chunks, each announced by
 * `BDAT <size>`, the last one by `BDAT <size> LAST`. No dot-stuffing, no line rules.
 */

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

/**
 * Frame a body into BDAT chunks. The last chunk carries `LAST` (it is `BDAT 0 LAST` with no
 * data only for an empty body). The body is streamed, never concatenated.
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
  void body;
  void options;
  yield* [];
  throw new Error('frameBdat: not implemented yet');
}
