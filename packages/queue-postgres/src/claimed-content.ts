/**
 * Content of small messages fetched by the claim that leased them, so a worker's first
 * `readContent` of a claimed message costs no round trip. Content never changes once committed,
 * so a copy taken under the lease is what the database would return. Each entry is served once,
 * only while its lease lasts, and is dropped when this process finishes or deletes the message;
 * the total held is bounded, oldest entries going first.
 */

interface Entry {
  readonly data: Uint8Array;
  readonly until: number;
}

/** A bounded one-shot map from message id to its prefetched content. */
export class ClaimedContent {
  readonly #entries = new Map<string, Entry>();
  readonly #maxBytes: number;
  #bytes = 0;

  constructor(maxBytes: number) {
    this.#maxBytes = maxBytes;
  }

  /** Keeps `data` for `messageId` until `until` (epoch ms, the lease's end). */
  put(messageId: string, data: Uint8Array, until: number): void {
    if (data.length > this.#maxBytes) return;
    this.delete(messageId);
    this.#entries.set(messageId, { data, until });
    this.#bytes += data.length;
    for (const [id, entry] of this.#entries) {
      // Map iteration is insertion order: the oldest entries go first.
      if (this.#bytes <= this.#maxBytes && this.#entries.size <= 10_000) break;
      this.#entries.delete(id);
      this.#bytes -= entry.data.length;
    }
  }

  /** Removes and returns the content if it is still under its lease at `now`. */
  take(messageId: string, now: number): Uint8Array | undefined {
    const entry = this.#entries.get(messageId);
    if (entry === undefined) return undefined;
    this.delete(messageId);
    return entry.until > now ? entry.data : undefined;
  }

  /** Forgets a message. */
  delete(messageId: string): void {
    const entry = this.#entries.get(messageId);
    if (entry === undefined) return;
    this.#entries.delete(messageId);
    this.#bytes -= entry.data.length;
  }

  /** Forgets everything. */
  clear(): void {
    this.#entries.clear();
    this.#bytes = 0;
  }
}
