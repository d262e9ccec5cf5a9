/**
 * Group commit for PostgreSQL: enqueues submitted while a batch is being written wait and are
 * written together by the next one, one statement and one commit (one WAL flush) for all of
 * them. Each caller's promise settles only after its batch committed. If a batch fails, its
 * items are retried one per statement so one bad item fails alone.
 */

interface Pending<T> {
  readonly item: T;
  readonly resolve: () => void;
  readonly reject: (error: unknown) => void;
}

/** Options for `Batcher`. */
export interface BatcherOptions<T> {
  /** Writes and commits the items (a single transaction). */
  readonly write: (items: readonly T[]) => Promise<void>;
  /** The most items per batch. */
  readonly maxItems: number;
  /** The most payload octets per batch (an item larger than this goes alone). */
  readonly maxBytes: number;
  /** An item's payload size. */
  readonly sizeOf: (item: T) => number;
  /** Batches in flight at once (each holds one pooled connection). */
  readonly concurrency: number;
}

/** Batches concurrent writes into shared transactions. */
export class Batcher<T> {
  readonly #options: BatcherOptions<T>;
  #pending: Pending<T>[] = [];
  #inFlight = 0;
  #scheduled = false;
  #idle: (() => void)[] = [];

  constructor(options: BatcherOptions<T>) {
    this.#options = options;
  }

  /** Writes `item` in the next batch; resolves after that batch committed. */
  submit(item: T): Promise<void> {
    return new Promise<void>((resolve, reject) => {
      this.#pending.push({ item, resolve, reject });
      this.#schedule();
    });
  }

  #schedule(): void {
    if (this.#scheduled || this.#inFlight >= this.#options.concurrency) return;
    this.#scheduled = true;
    // setImmediate runs after pending I/O callbacks: everything that became ready in this turn
    // of the event loop joins the batch.
    setImmediate(() => {
      this.#scheduled = false;
      this.#startBatches();
    });
  }

  #startBatches(): void {
    while (this.#pending.length > 0 && this.#inFlight < this.#options.concurrency) {
      const batch = this.#take();
      this.#inFlight++;
      void this.#run(batch).finally(() => {
        this.#inFlight--;
        if (this.#pending.length > 0) this.#startBatches();
        else if (this.#inFlight === 0) for (const done of this.#idle.splice(0)) done();
      });
    }
  }

  #take(): Pending<T>[] {
    const { maxItems, maxBytes, sizeOf } = this.#options;
    let bytes = 0;
    let count = 0;
    for (const pending of this.#pending) {
      const size = sizeOf(pending.item);
      if (count > 0 && (count === maxItems || bytes + size > maxBytes)) break;
      bytes += size;
      count++;
    }
    return this.#pending.splice(0, count);
  }

  async #run(batch: readonly Pending<T>[]): Promise<void> {
    try {
      await this.#options.write(batch.map((p) => p.item));
    } catch (error) {
      if (batch.length === 1) {
        batch[0]?.reject(error);
        return;
      }
      for (const pending of batch) {
        try {
          await this.#options.write([pending.item]);
          pending.resolve();
        } catch (alone) {
          pending.reject(alone);
        }
      }
      return;
    }
    for (const pending of batch) pending.resolve();
  }

  /** Resolves when nothing is pending or in flight. */
  drain(): Promise<void> {
    if (this.#pending.length === 0 && this.#inFlight === 0 && !this.#scheduled) return Promise.resolve();
    return new Promise((resolve) => this.#idle.push(resolve));
  }
}
