/**
 * The queue's error family. Caller bugs (an invalid envelope, a negative limit) are plain
 * `TypeError`/`RangeError`; everything a correct caller can still meet is a `QueueError` with
 * a string `code`. Guards check a registered symbol brand, so they work across duplicate
 * installs of this package where `instanceof` would not.
 */

const brand = Symbol.for('@smtpkit/queue/error');

/** The codes a `QueueError` can carry. */
export type QueueErrorCode =
  | 'ERR_SMTP_QUEUE_NOT_FOUND'
  | 'ERR_SMTP_QUEUE_CLOSED'
  | 'ERR_SMTP_QUEUE_STORAGE'
  | 'ERR_SMTP_QUEUE_CORRUPT_RECORD';

/**
 * Base class of queue errors.
 * @example
 * ```ts
 * try {
 *   await queue.enqueue(input);
 * } catch (error) {
 *   if (isQueueError(error)) console.error(error.code, error.message); // e.g. ERR_SMTP_QUEUE_STORAGE
 *   else throw error;
 * }
 * ```
 */
export class QueueError extends Error {
  override readonly name: string = 'QueueError';
  /** A stable machine-readable code. */
  readonly code: QueueErrorCode;
  /** @internal */
  readonly [brand] = true;

  constructor(code: QueueErrorCode, message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.code = code;
  }
}

/**
 * The message does not exist (never did, was deleted, or is done).
 * @example
 * ```ts
 * throw new QueueNotFoundError(messageId); // code 'ERR_SMTP_QUEUE_NOT_FOUND'
 * ```
 */
export class QueueNotFoundError extends QueueError {
  override readonly name = 'QueueNotFoundError';
  /** The id that was looked up. */
  readonly messageId: string;

  constructor(messageId: string) {
    super('ERR_SMTP_QUEUE_NOT_FOUND', `queue: no message ${JSON.stringify(messageId)}`);
    this.messageId = messageId;
  }
}

/**
 * The queue was closed.
 * @example
 * ```ts
 * if (closed) throw new QueueClosedError(); // code 'ERR_SMTP_QUEUE_CLOSED'
 * ```
 */
export class QueueClosedError extends QueueError {
  override readonly name = 'QueueClosedError';

  constructor() {
    super('ERR_SMTP_QUEUE_CLOSED', 'queue: closed');
  }
}

/**
 * The storage failed (disk full, database unreachable, ...); `cause` holds the driver's error.
 * @example
 * ```ts
 * try {
 *   await db.query(sql);
 * } catch (cause) {
 *   throw new QueueStorageError('enqueue failed', { cause }); // code 'ERR_SMTP_QUEUE_STORAGE'
 * }
 * ```
 */
export class QueueStorageError extends QueueError {
  override readonly name = 'QueueStorageError';

  constructor(message: string, options?: { cause?: unknown }) {
    super('ERR_SMTP_QUEUE_STORAGE', `queue: ${message}`, options);
  }
}

/**
 * A stored record failed to decode: it was damaged or written by something else.
 * @example
 * ```ts
 * throw new QueueCorruptRecordError('envelope is not JSON', { cause }); // code 'ERR_SMTP_QUEUE_CORRUPT_RECORD'
 * ```
 */
export class QueueCorruptRecordError extends QueueError {
  override readonly name = 'QueueCorruptRecordError';

  constructor(message: string, options?: { cause?: unknown }) {
    super('ERR_SMTP_QUEUE_CORRUPT_RECORD', `queue: corrupt record: ${message}`, options);
  }
}

/**
 * Whether `value` is a `QueueError` (from any copy of this package), optionally with `code`.
 * @example
 * ```ts
 * try {
 *   await queue.inspect(messageId);
 * } catch (error) {
 *   if (isQueueError(error, 'ERR_SMTP_QUEUE_NOT_FOUND')) console.log('already delivered or deleted');
 *   else throw error;
 * }
 * ```
 */
export function isQueueError(value: unknown, code?: QueueErrorCode): value is QueueError {
  if (typeof value !== 'object' || value === null || !(brand in value)) return false;
  return code === undefined || (value as { code?: unknown }).code === code;
}
