/**
 * The message body a backend's `data()` reads: an AsyncIterable fed by the connection as the
 * DataDecoder unstuffs bytes. Bounded: when the backend reads slower than the client sends,
 * `push` reports it and the connection stops reading from the socket until `onDrain`.
 */
export class BodyStream implements AsyncIterable<Uint8Array> {
  private readonly chunks: Uint8Array[] = [];
  private buffered = 0;
  private ended = false;
  private failure: Error | undefined;
  /** The reader's pending `next()`, settled directly by `push`, `end` or `fail`. */
  private waiting:
    | { resolve(result: IteratorResult<Uint8Array>): void; reject(error: Error): void }
    | undefined;
  private iterating = false;

  /**
   * @param highWaterMark - Bytes held before `push` asks the producer to pause.
   * @param onDrain - Called once the reader has taken the buffer below half the mark.
   */
  constructor(
    private readonly highWaterMark: number,
    private readonly onDrain: () => void,
  ) {}

  /** Adds a chunk; returns false when the producer should pause. */
  push(chunk: Uint8Array): boolean {
    if (this.ended) return true;
    const waiting = this.waiting;
    if (waiting !== undefined) {
      // The reader is already waiting: hand the chunk over without queueing it.
      this.waiting = undefined;
      waiting.resolve({ value: chunk, done: false });
      return true;
    }
    this.chunks.push(chunk);
    this.buffered += chunk.length;
    return this.buffered < this.highWaterMark;
  }

  /** Ends the body normally. */
  end(): void {
    this.ended = true;
    const waiting = this.waiting;
    this.waiting = undefined;
    waiting?.resolve(DONE);
  }

  /** Ends the body with an error the backend's reader sees (message refused mid-stream). */
  fail(error: Error): void {
    if (this.ended) return;
    this.failure = error;
    this.ended = true;
    this.chunks.length = 0;
    this.buffered = 0;
    const waiting = this.waiting;
    this.waiting = undefined;
    waiting?.reject(error);
  }

  /** Whether the producer is being held back. */
  get full(): boolean {
    return this.buffered >= this.highWaterMark;
  }

  /** The body, once: a hand-written iterator (no async-generator queueing per chunk). */
  [Symbol.asyncIterator](): AsyncIterator<Uint8Array> {
    if (this.iterating) throw new TypeError('the message body can be read only once');
    this.iterating = true;
    return new BodyIterator(this);
  }

  /** The reader asks for the next chunk. @internal */
  take(): Promise<IteratorResult<Uint8Array>> {
    const chunk = this.chunks.shift();
    if (chunk !== undefined) {
      const wasFull = this.buffered >= this.highWaterMark;
      this.buffered -= chunk.length;
      if (wasFull && this.buffered < this.highWaterMark / 2) this.onDrain();
      return Promise.resolve({ value: chunk, done: false });
    }
    if (this.failure) return Promise.reject(this.failure);
    if (this.ended) return Promise.resolve(DONE);
    return new Promise<IteratorResult<Uint8Array>>((resolve, reject) => {
      this.waiting = { resolve, reject };
    });
  }

  /** The reader stopped early: drop what is buffered so the producer is never held back. @internal */
  abandon(): Promise<IteratorResult<Uint8Array>> {
    this.chunks.length = 0;
    this.buffered = 0;
    this.ended = true;
    this.waiting = undefined;
    this.onDrain();
    return Promise.resolve(DONE);
  }
}

const DONE: IteratorResult<Uint8Array> = Object.freeze({ value: undefined, done: true });

/** The iterator `for await` uses: methods on a prototype, nothing allocated per message but itself. */
class BodyIterator implements AsyncIterator<Uint8Array> {
  constructor(private readonly body: BodyStream) {}

  next(): Promise<IteratorResult<Uint8Array>> {
    return this.body.take();
  }

  return(): Promise<IteratorResult<Uint8Array>> {
    return this.body.abandon();
  }
}
