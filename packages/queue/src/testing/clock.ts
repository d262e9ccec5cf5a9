/** A clock tests move by hand, so lease expiry and retry times are tested without sleeping. */
export interface ManualClock {
  /** The current time (epoch ms); pass it as a driver's `now`. */
  readonly now: () => number;
  /** Moves time forward by `ms`. */
  advance(ms: number): void;
  /** Sets the time. */
  set(time: number): void;
}

/**
 * Creates a `ManualClock` starting at `start` (default 2027-01-15T08:00:00Z).
 * @example
 * ```ts
 * const clock = createManualClock();
 * const queue = createMemoryQueue({ now: clock.now });
 * clock.advance(5 * 60_000); // leases and retry times move without sleeping
 * ```
 */
export function createManualClock(start = Date.UTC(2027, 0, 15, 8)): ManualClock {
  let time = start;
  return {
    now: () => time,
    advance(ms) {
      if (!(ms >= 0)) throw new RangeError('a clock only moves forward');
      time += ms;
    },
    set(value) {
      time = value;
    },
  };
}
