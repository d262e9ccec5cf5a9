import type { QueueEvent, QueueListener } from '../types.js';

/**
 * The listener list behind `Queue.subscribe`, for drivers. A throwing listener is isolated:
 * queue state is already durable when events are emitted, so a listener must not turn a
 * success into a failure.
 * @example
 * ```ts
 * const hub = new QueueEventHub();
 * const unsubscribe = hub.subscribe((event) => console.log(event.type, event.messageId));
 * hub.emit(enqueueEvent(messageId, envelope, size, now())); // logs "enqueue <id>"
 * unsubscribe();
 * ```
 */
export class QueueEventHub {
  readonly #listeners = new Set<QueueListener>();

  /** Adds a listener; returns the function that removes it. */
  subscribe(listener: QueueListener): () => void {
    if (typeof listener !== 'function') throw new TypeError('listener must be a function');
    // A wrapper makes subscribing the same function twice give two independent subscriptions.
    const entry: QueueListener = (event) => listener(event);
    this.#listeners.add(entry);
    return () => {
      this.#listeners.delete(entry);
    };
  }

  /** Calls every listener with each event, in order. */
  emit(...events: readonly QueueEvent[]): void {
    for (const event of events) {
      for (const listener of this.#listeners) {
        try {
          listener(event);
        } catch {
          // Deliberately ignored: see the class comment.
        }
      }
    }
  }
}
