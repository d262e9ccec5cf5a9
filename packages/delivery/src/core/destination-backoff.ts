/** Options of {@link DestinationBackoff}. */
export interface DestinationBackoffOptions {
  /** Pause after the first 421. Default 60 000 ms. */
  readonly initialMs?: number;
  /** Longest pause. Default 3 600 000 ms. */
  readonly maximumMs?: number;
  /** Growth for each further 421 while paused or right after. Default 2. */
  readonly factor?: number;
}

interface Entry {
  until: number;
  pauseMs: number;
  /** A connection is probing the host after its pause ended. */
  probing: boolean;
}

/** The answer of {@link DestinationBackoff.admit}. */
export type AdmitResult = { readonly ok: true } | { readonly ok: false; readonly until: number };

/**
 * Per-destination backoff for a server that answers 421 (RFC 5321 §3.8: "service not available,
 * closing transmission channel") to everything. The pause belongs to the destination, not to
 * the message: once a host said 421, no other message to it connects until the pause is over,
 * and each further 421 doubles the pause, reset by the first success. (Haraka#2084: backing off
 * per message let every other queued message hit the overloaded server at once.)
 *
 * Sans-I/O: the clock is passed to every call.
 * @example
 * ```ts
 * const backoff = new DestinationBackoff({ initialMs: 60_000 });
 * const admitted = backoff.admit('mx.example.org', now);
 * if (admitted.ok) {
 *   // ... connect; the server greets with 421:
 *   backoff.recordUnavailable('mx.example.org', now); // paused until now + 60 s
 * } else {
 *   console.log(`paused until ${new Date(admitted.until).toISOString()}`);
 * }
 * ```
 */
export class DestinationBackoff {
  readonly #initial: number;
  readonly #maximum: number;
  readonly #factor: number;
  readonly #entries = new Map<string, Entry>();

  constructor(options: DestinationBackoffOptions = {}) {
    this.#initial = options.initialMs ?? 60_000;
    this.#maximum = options.maximumMs ?? 3_600_000;
    this.#factor = options.factor ?? 2;
    if (!(this.#initial > 0 && this.#maximum >= this.#initial && this.#factor >= 1)) {
      throw new RangeError('DestinationBackoff: need 0 < initialMs <= maximumMs and factor >= 1');
    }
  }

  /** Until when the destination is paused (epoch ms), or `undefined` if it may be tried now. */
  pausedUntil(destination: string, now: number): number | undefined {
    const e = this.#entries.get(destination.toLowerCase());
    return e && e.until > now ? e.until : undefined;
  }

  /**
   * Whether a connection to the destination may start now. When a pause has just ended, only
   * one connection (a probe) is admitted until it reports back through `recordUnavailable`,
   * `recordSuccess` or `endProbe`: a recovering server is not hit by the whole backlog at once.
   */
  admit(destination: string, now: number): AdmitResult {
    const e = this.#entries.get(destination.toLowerCase());
    if (!e) return { ok: true };
    if (e.until > now) return { ok: false, until: e.until };
    if (e.probing) return { ok: false, until: now + e.pauseMs };
    e.probing = true;
    return { ok: true };
  }

  /** The probe ended without a verdict on availability (e.g. connection refused). */
  endProbe(destination: string): void {
    const e = this.#entries.get(destination.toLowerCase());
    if (e) e.probing = false;
  }

  /** The destination answered 421: pause it, longer each time. Returns the end of the pause. */
  recordUnavailable(destination: string, now: number): number {
    const key = destination.toLowerCase();
    const e = this.#entries.get(key);
    // Connections that were already open when the pause began report 421 too: they do not
    // lengthen it. Only a 421 after the pause ended (the probe) does.
    if (e && e.until > now) return e.until;
    const pauseMs = e ? Math.min(this.#maximum, e.pauseMs * this.#factor) : this.#initial;
    const until = now + pauseMs;
    this.#entries.set(key, { until, pauseMs, probing: false });
    return until;
  }

  /** The destination accepted a transaction: forget its pause. */
  recordSuccess(destination: string): void {
    this.#entries.delete(destination.toLowerCase());
  }
}
