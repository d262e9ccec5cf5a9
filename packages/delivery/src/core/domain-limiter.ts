/** Options of {@link DomainLimiter}. */
export interface DomainLimiterOptions {
  /** Connections open at once per destination domain. Default 5. */
  readonly perDomainConcurrency?: number;
  /** Transactions started per domain per `rateIntervalMs`; default unlimited. */
  readonly perDomainRate?: number;
  /** The rate window. Default 60 000 ms. */
  readonly rateIntervalMs?: number;
}

/** The answer of {@link DomainLimiter.tryAcquire}. */
export type AcquireResult =
  | { readonly ok: true; readonly release: () => void }
  /** No slot now: `retryAt` (epoch ms) when the rate allows one, or `undefined` when waiting for a release. */
  | { readonly ok: false; readonly retryAt?: number };

interface DomainState {
  active: number;
  /** Start times inside the current window (a sliding-window log: exact and small). */
  starts: number[];
}

/**
 * Per-destination-domain concurrency and rate limits, so one worker does not open fifty
 * connections to one provider (who would answer 421). Sans-I/O: the clock is passed in.
 * @example
 * ```ts
 * const limiter = new DomainLimiter({ perDomainConcurrency: 2, perDomainRate: 100 });
 * const slot = limiter.tryAcquire('example.org', Date.now());
 * if (slot.ok) {
 *   try {
 *     await deliver();
 *   } finally {
 *     slot.release();
 *   }
 * }
 * ```
 */
export class DomainLimiter {
  readonly #concurrency: number;
  readonly #rate: number;
  readonly #interval: number;
  readonly #domains = new Map<string, DomainState>();

  constructor(options: DomainLimiterOptions = {}) {
    this.#concurrency = options.perDomainConcurrency ?? 5;
    this.#rate = options.perDomainRate ?? Number.POSITIVE_INFINITY;
    this.#interval = options.rateIntervalMs ?? 60_000;
    if (!(Number.isInteger(this.#concurrency) && this.#concurrency >= 1)) {
      throw new RangeError('DomainLimiter: perDomainConcurrency must be an integer >= 1');
    }
    if (!(this.#rate >= 1) || !(this.#interval > 0)) throw new RangeError('DomainLimiter: bad rate');
  }

  /** Takes a slot for `domain` if both limits allow; the caller must `release()` it when done. */
  tryAcquire(domain: string, now: number): AcquireResult {
    const key = domain.toLowerCase();
    let s = this.#domains.get(key);
    if (!s) {
      s = { active: 0, starts: [] };
      this.#domains.set(key, s);
    }
    s.starts = s.starts.filter((t) => t > now - this.#interval);
    if (s.active >= this.#concurrency) return { ok: false };
    if (s.starts.length >= this.#rate) return { ok: false, retryAt: s.starts[0]! + this.#interval };
    s.active++;
    s.starts.push(now);
    const state = s;
    let released = false;
    return {
      ok: true,
      release: () => {
        if (released) return;
        released = true;
        state.active--;
        if (state.active === 0 && state.starts.length === 0) this.#domains.delete(key);
      },
    };
  }

  /** Connections currently held for `domain`. */
  active(domain: string): number {
    return this.#domains.get(domain.toLowerCase())?.active ?? 0;
  }
}
