/**
 * When to try a deferred recipient again: given how many attempts have failed so far (1 after
 * the first), the delay in milliseconds before the next one.
 */
export type RetrySchedule = (failedAttempts: number) => number;

/** Options of {@link createRetrySchedule}; defaults are Postfix's. */
export interface RetryScheduleOptions {
  /** First delay. Default 300 000 ms (Postfix `minimal_backoff_time`, 300s). */
  readonly minimumMs?: number;
  /** Largest delay. Default 4 000 000 ms (Postfix `maximal_backoff_time`, 4000s). */
  readonly maximumMs?: number;
  /** Growth per failed attempt. Default 2 (Postfix doubles). */
  readonly factor?: number;
  /**
   * Spread, as a fraction of the delay, so messages deferred together do not return together.
   * Default 0.1. Needs `random`.
   */
  readonly jitter?: number;
  /** A source of uniform numbers in [0, 1). Default: no jitter (a sans-I/O core draws no randomness). */
  readonly random?: () => number;
}

/**
 * An exponential backoff schedule: `minimum × factor^(n-1)`, capped at `maximum`, with optional
 * jitter. Postfix's defaults retry after 5, 10, 20, 40 minutes, then about every 67 minutes
 * until the message expires (5 days, see `maxLifetime`).
 *
 * @example
 * ```ts
 * const schedule = createRetrySchedule({ minimumMs: 60_000, maximumMs: 3_600_000 });
 * schedule(1); // 60000
 * ```
 */
export function createRetrySchedule(options: RetryScheduleOptions = {}): RetrySchedule {
  const minimum = options.minimumMs ?? 300_000;
  const maximum = options.maximumMs ?? 4_000_000;
  const factor = options.factor ?? 2;
  const jitter = options.jitter ?? 0.1;
  if (!(minimum > 0) || !(maximum >= minimum))
    throw new RangeError('createRetrySchedule: need 0 < minimumMs <= maximumMs');
  if (!(factor >= 1)) throw new RangeError('createRetrySchedule: factor must be >= 1');
  if (!(jitter >= 0 && jitter < 1)) throw new RangeError('createRetrySchedule: jitter must be in [0, 1)');
  return (failedAttempts) => {
    const n = Math.max(1, Math.floor(failedAttempts));
    const base = Math.min(maximum, minimum * factor ** (n - 1));
    if (!options.random || jitter === 0) return Math.round(base);
    return Math.round(base * (1 - jitter + 2 * jitter * options.random()));
  };
}

/** A schedule from a fixed list of delays; past its end the last delay repeats. */
export function retryScheduleFromList(delaysMs: readonly number[]): RetrySchedule {
  if (delaysMs.length === 0 || delaysMs.some((d) => !(d >= 0))) {
    throw new RangeError('retryScheduleFromList: need at least one non-negative delay');
  }
  return (failedAttempts) => delaysMs[Math.min(delaysMs.length, Math.max(1, failedAttempts)) - 1]!;
}
