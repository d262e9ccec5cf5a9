/**
 * Group commit: write operations submitted while the event loop is busy are run together in
 * one transaction, so one WAL fsync (synchronous=FULL) makes a whole batch durable. Each
 * caller's promise settles only after that commit. If the batch fails, its operations are
 * retried one per transaction so that one bad operation fails alone.
 */
import type Database from 'better-sqlite3';

interface Pending {
  readonly run: () => unknown;
  readonly resolve: (value: unknown) => void;
  readonly reject: (error: unknown) => void;
}

/** Batches synchronous write operations into shared transactions. */
export class GroupCommit {
  readonly #db: Database.Database;
  readonly #maxBatch: number;
  #pending: Pending[] = [];
  #scheduled: Promise<void> | null = null;
  /** Transactions committed so far (for tests and the benchmark). */
  commits = 0;

  constructor(db: Database.Database, maxBatch = 1000) {
    this.#db = db;
    this.#maxBatch = maxBatch;
  }

  /** Runs `run` inside the next batch transaction; resolves with its result after the commit. */
  submit<T>(run: () => T): Promise<T> {
    return new Promise<T>((resolve, reject) => {
      this.#pending.push({ run, resolve: resolve as (value: unknown) => void, reject });
      // setImmediate runs after pending I/O callbacks, so everything that became ready in this
      // turn of the loop joins the batch.
      this.#scheduled ??= new Promise<void>((done) =>
        setImmediate(() => {
          this.#scheduled = null;
          this.flush();
          done();
        }),
      );
    });
  }

  /** Runs every pending operation now. */
  flush(): void {
    while (this.#pending.length > 0) {
      const batch = this.#pending.splice(0, this.#maxBatch);
      let results: unknown[];
      try {
        results = this.#db.transaction(() => batch.map((op) => op.run())).immediate();
        this.commits++;
      } catch {
        for (const op of batch) this.#runAlone(op);
        continue;
      }
      for (const [i, op] of batch.entries()) op.resolve(results[i]);
    }
  }

  #runAlone(op: Pending): void {
    try {
      const result = this.#db.transaction(op.run).immediate();
      this.commits++;
      op.resolve(result);
    } catch (error) {
      op.reject(error);
    }
  }

  /** Resolves when the scheduled batch (if any) has run. */
  async drain(): Promise<void> {
    while (this.#scheduled) await this.#scheduled;
  }
}
