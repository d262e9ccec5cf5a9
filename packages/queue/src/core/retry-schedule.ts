/**
 * Retry schedules: when to try a deferred recipient again. Pure functions of the attempt
 * count; the worker passes the result as `nextAttemptAt` of a deferral.
 */

/** Maps "this many attempts have failed" to the delay before the next one. */
export interface RetrySchedule {
  /** Delay in ms after the `attempts`-th failed attempt (`attempts` ≥ 1). */
  delayMs(attempts: number): number;
  /** `now + delayMs(attempts)`. */
  nextAttemptAt(attempts: number, now: number): number;
}

/** Options for `createBackoffSchedule`. */
export interface BackoffScheduleOptions {
  /** First delay. Default 300 000 ms (Postfix `minimal_backoff_time` 300s). */
  readonly minimalMs?: number;
  /** Cap. Default 4 000 000 ms (Postfix `maximal_backoff_time` 4000s, about 67 minutes). */
  readonly maximalMs?: number;
  /** Growth per attempt. Default 2 (doubling, as Postfix does). */
  readonly factor?: number;
}

/** One day in ms. */
const day = 86_400_000;

/** Postfix's default `maximal_queue_lifetime`: 5 days. */
export const DEFAULT_MAX_QUEUE_LIFETIME_MS = 5 * day;

function checkAttempts(attempts: number): void {
  if (!Number.isInteger(attempts) || attempts < 1) throw new RangeError('attempts must be an integer ≥ 1');
}

/**
 * Exponential backoff like Postfix: 5 min, 10, 20, 40, then 66.7 min (the cap) for every later attempt.
 *
 * @example
 * ```ts
 * const schedule = createBackoffSchedule();
 * schedule.delayMs(1); // 300_000
 * schedule.delayMs(5); // 4_000_000
 * ```
 */
export function createBackoffSchedule(options: BackoffScheduleOptions = {}): RetrySchedule {
  const minimalMs = options.minimalMs ?? 300_000;
  const maximalMs = options.maximalMs ?? 4_000_000;
  const factor = options.factor ?? 2;
  if (!(minimalMs > 0) || !(maximalMs >= minimalMs) || !(factor >= 1)) {
    throw new RangeError('backoff needs 0 < minimalMs ≤ maximalMs and factor ≥ 1');
  }
  const delayMs = (attempts: number): number => {
    checkAttempts(attempts);
    // Math.min before the power would overflow to Infinity on absurd attempt counts.
    return Math.min(maximalMs, minimalMs * factor ** Math.min(attempts - 1, 64));
  };
  return { delayMs, nextAttemptAt: (attempts, now) => now + delayMs(attempts) };
}

/**
 * An explicit list of delays like ZoneMTA's; after the list runs out the last delay repeats.
 *
 * @example
 * ```ts
 * const schedule = createListSchedule([5 * 60_000, 10 * 60_000, 60 * 60_000]);
 * schedule.delayMs(7); // 3_600_000
 * ```
 */
export function createListSchedule(delaysMs: readonly number[]): RetrySchedule {
  if (delaysMs.length === 0 || delaysMs.some((d) => !Number.isFinite(d) || d < 0)) {
    throw new RangeError('delays must be a non-empty list of finite, non-negative ms');
  }
  const delays = [...delaysMs];
  const delayMs = (attempts: number): number => {
    checkAttempts(attempts);
    return delays[Math.min(attempts, delays.length) - 1]!;
  };
  return { delayMs, nextAttemptAt: (attempts, now) => now + delayMs(attempts) };
}
