/**
 * Content chunking for drivers: re-cuts whatever chunks a caller streams (one byte or one
 * megabyte at a time) into bounded, freshly copied pieces, so storage rows have a predictable
 * size and no piece aliases a buffer the caller may reuse. At most one piece is held at a time.
 */
import type { MessageContent } from '../types.js';

function isAsyncIterable(value: unknown): value is AsyncIterable<Uint8Array> {
  return typeof value === 'object' && value !== null && Symbol.asyncIterator in value;
}

/**
 * Throws the signal's reason if it is aborted.
 * @example
 * ```ts
 * async function stats(options?: QueueCallOptions): Promise<QueueStats> {
 *   throwIfAborted(options?.signal); // the signal's reason, before any work
 *   // ...
 * }
 * ```
 */
export function throwIfAborted(signal: AbortSignal | undefined): void {
  if (signal?.aborted) throw signal.reason ?? new DOMException('This operation was aborted', 'AbortError');
}

/**
 * Yields `content` as copies of exactly `chunkSize` octets (the last one shorter; none for empty
 * content), checking `signal` between chunks. Throws `TypeError` if content is neither bytes nor
 * an async iterable of bytes.
 * @example
 * ```ts
 * // Store the content in rows of at most 256 KiB, however the caller streamed it.
 * let seq = 0;
 * for await (const chunk of chunkContent(input.content, 256 * 1024, options?.signal)) {
 *   await insertContentRow(messageId, seq++, chunk);
 * }
 * ```
 */
export async function* chunkContent(
  content: MessageContent,
  chunkSize: number,
  signal?: AbortSignal,
): AsyncGenerator<Uint8Array> {
  if (!Number.isInteger(chunkSize) || chunkSize < 1)
    throw new RangeError('chunkSize must be a positive integer');
  if (content instanceof Uint8Array) {
    for (let offset = 0; offset < content.length; offset += chunkSize) {
      throwIfAborted(signal);
      yield content.slice(offset, offset + chunkSize);
    }
    return;
  }
  if (!isAsyncIterable(content))
    throw new TypeError('content must be a Uint8Array or an AsyncIterable<Uint8Array>');
  let buffer = new Uint8Array(chunkSize);
  let filled = 0;
  for await (const piece of content) {
    throwIfAborted(signal);
    if (!(piece instanceof Uint8Array)) throw new TypeError('content chunks must be Uint8Array');
    let offset = 0;
    while (offset < piece.length) {
      const take = Math.min(chunkSize - filled, piece.length - offset);
      buffer.set(piece.subarray(offset, offset + take), filled);
      filled += take;
      offset += take;
      if (filled === chunkSize) {
        yield buffer;
        buffer = new Uint8Array(chunkSize);
        filled = 0;
      }
    }
  }
  throwIfAborted(signal);
  if (filled > 0) yield buffer.slice(0, filled);
}
