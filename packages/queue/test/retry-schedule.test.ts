import { createBackoffSchedule, createListSchedule, DEFAULT_MAX_QUEUE_LIFETIME_MS } from '@smtpkit/queue';
import { describe, expect, it } from 'vitest';

describe('retry schedules', () => {
  it('Postfix defaults: minimal_backoff_time 300s doubling to maximal_backoff_time 4000s', () => {
    const schedule = createBackoffSchedule();
    expect([1, 2, 3, 4, 5, 6, 100, 10_000].map((n) => schedule.delayMs(n))).toEqual([
      300_000, 600_000, 1_200_000, 2_400_000, 4_000_000, 4_000_000, 4_000_000, 4_000_000,
    ]);
    expect(schedule.nextAttemptAt(1, 1_000)).toBe(301_000);
  });

  it('custom backoff bounds and factor', () => {
    const schedule = createBackoffSchedule({ minimalMs: 1000, maximalMs: 10_000, factor: 3 });
    expect([1, 2, 3, 4].map((n) => schedule.delayMs(n))).toEqual([1000, 3000, 9000, 10_000]);
    expect(() => createBackoffSchedule({ minimalMs: 10, maximalMs: 5 })).toThrow(RangeError);
  });

  it('an explicit list like ZoneMTA: the last delay repeats', () => {
    const schedule = createListSchedule([60_000, 300_000, 3_600_000]);
    expect([1, 2, 3, 4, 50].map((n) => schedule.delayMs(n))).toEqual([
      60_000, 300_000, 3_600_000, 3_600_000, 3_600_000,
    ]);
    expect(() => createListSchedule([])).toThrow(RangeError);
    expect(() => schedule.delayMs(0)).toThrow(RangeError);
  });

  it('default queue lifetime is Postfix maximal_queue_lifetime (5d)', () => {
    expect(DEFAULT_MAX_QUEUE_LIFETIME_MS).toBe(5 * 24 * 3600 * 1000);
  });
});
