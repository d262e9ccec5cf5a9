/**
 * Sending DATA (RFC 5321 §4.5.2): dot-stuffing, line ending policy, the CRLF "." CRLF
 * terminator.
 */

/** Options for {@link DataEncoder} and {@link encodeData}. */
export interface DataEncoderOptions {
  /**
   * `'normalize'` (default): a bare CR or LF in the message becomes CRLF. `'reject'`: it
   * throws an `SmtpError` with code `ERR_SMTP_BARE_LINE_ENDING` (RFC 5321 §2.3.8).
   */
  readonly bareLineEndings?: 'normalize' | 'reject';
}

/**
 * A streaming dot-stuffer: `encode()` each chunk of the message, then `end()`. The output is
 * what goes on the wire after `354`, including the final CRLF "." CRLF (a missing final CRLF
 * is added). Any split of the input gives the same output bytes.
 *
 * @example
 * ```ts
 * const encoder = new DataEncoder();
 * socket.write(encoder.encode(new TextEncoder().encode('Subject: hi\r\n\r\n.hidden\r\n')));
 * socket.write(encoder.end()); // ...'..hidden\r\n.\r\n'
 * ```
 */
export class DataEncoder {
  readonly #policy: 'normalize' | 'reject';

  /** @param options - Bare line ending policy. */
  constructor(options: DataEncoderOptions = {}) {
    this.#policy = options.bareLineEndings ?? 'normalize';
  }

  /**
   * Stuff one chunk. Returns the bytes to send now (possibly empty).
   *
   * @throws SmtpError `ERR_SMTP_BARE_LINE_ENDING` under the `'reject'` policy.
   */
  encode(chunk: Uint8Array): Uint8Array {
    void chunk;
    throw new Error(`DataEncoder (${this.#policy}): not implemented yet`);
  }

  /** Finish: the bytes that complete the data, ending with CRLF "." CRLF. */
  end(): Uint8Array {
    throw new Error('DataEncoder: not implemented yet');
  }
}

/**
 * Dot-stuff a whole body, as an async iterable of wire chunks ending with CRLF "." CRLF.
 * The body is streamed, never concatenated.
 */
export async function* encodeData(
  body: Uint8Array | AsyncIterable<Uint8Array> | Iterable<Uint8Array>,
  options: DataEncoderOptions = {},
): AsyncGenerator<Uint8Array, void, undefined> {
  const encoder = new DataEncoder(options);
  const chunks = body instanceof Uint8Array ? [body] : body;
  for await (const chunk of chunks) {
    const out = encoder.encode(chunk);
    if (out.length > 0) yield out;
  }
  yield encoder.end();
}
