// Spooling a streamed body to disk: messages are never held whole in memory.
import { randomUUID } from 'node:crypto';
import { createReadStream, createWriteStream } from 'node:fs';
import { mkdir } from 'node:fs/promises';
import { join } from 'node:path';
import { pipeline } from 'node:stream/promises';

/**
 * Writes `body` to a new file under `dir` (flushed to disk), passing every chunk to `inspect`
 * on the way (a DKIM signer, a size counter). Resolves with the file's path.
 */
export async function spool(
  dir: string,
  body: AsyncIterable<Uint8Array>,
  inspect?: (chunk: Uint8Array) => void,
): Promise<string> {
  await mkdir(dir, { recursive: true });
  const path = join(dir, randomUUID());
  await pipeline(
    body,
    async function* (source: AsyncIterable<Uint8Array>) {
      for await (const chunk of source) {
        inspect?.(chunk);
        yield chunk;
      }
    },
    createWriteStream(path, { flush: true }),
  );
  return path;
}

/** `prefix` (header fields) followed by the spooled file, as a stream of chunks. */
export async function* withPrefix(prefix: string, path: string): AsyncIterable<Uint8Array> {
  yield new TextEncoder().encode(prefix);
  yield* createReadStream(path) as AsyncIterable<Uint8Array>;
}
