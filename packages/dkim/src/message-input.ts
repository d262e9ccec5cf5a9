/** The message shapes every entry point accepts. */

/** A whole message in memory, or a stream of chunks (Node `Readable`, web `ReadableStream`, generator). */
export type MessageInput = Uint8Array | AsyncIterable<Uint8Array>;

/** Yields the chunks of `message`, checking `signal` between them. */
export async function* messageChunks(
  message: MessageInput,
  signal?: AbortSignal,
): AsyncGenerator<Uint8Array> {
  signal?.throwIfAborted();
  if (message instanceof Uint8Array) {
    yield message;
    return;
  }
  if (message === null || typeof message !== 'object' || !(Symbol.asyncIterator in message)) {
    throw new TypeError('message must be a Uint8Array or an AsyncIterable<Uint8Array>');
  }
  for await (const chunk of message) {
    signal?.throwIfAborted();
    if (!(chunk instanceof Uint8Array)) throw new TypeError('message chunks must be Uint8Array');
    yield chunk;
  }
}
