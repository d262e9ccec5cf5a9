import type { GreylistStore } from './greylist-store';
import { clientNetwork } from './network';

/** Options of {@link createGreylist}. Durations are milliseconds. */
export interface GreylistOptions {
  /** Where triplets are kept. */
  readonly store: GreylistStore;
  /** How long a new triplet is deferred (default 300 000: five minutes, as postgrey). */
  readonly delay?: number;
  /**
   * How long after first sight a retry still counts (default 2 days). A sender retrying later
   * starts over: nobody queues for that long.
   */
  readonly retryWindow?: number;
  /** How long a triplet that passed stays whitelisted after it was last seen (default 35 days). */
  readonly lifetime?: number;
  /** IPv4 prefix length of the client part of the triplet (default 24). */
  readonly prefixV4?: number;
  /** IPv6 prefix length of the client part of the triplet (default 64). */
  readonly prefixV6?: number;
  /** The clock (default `Date.now`). */
  readonly now?: () => number;
}

/** The triplet a greylist decides on. */
export interface GreylistTriplet {
  /** The client's IP address (the real one, after PROXY/XCLIENT). */
  readonly clientAddress: string;
  /** The reverse-path as text (empty for the null path `<>`). */
  readonly sender: string;
  /** One forward-path as text. */
  readonly recipient: string;
}

/**
 * The outcome of {@link Greylist.check}: `pass`, or `defer` with how long until a retry passes.
 * A backend turns `defer` into a `451 4.7.1` reply by throwing an `SmtpReplyError` from `rcpt`.
 */
export type GreylistResult =
  | { readonly action: 'pass'; readonly reason: 'known' | 'retried' }
  | { readonly action: 'defer'; readonly retryAfter: number };

/** A greylist made by {@link createGreylist}. */
export interface Greylist {
  /** Looks up, records and decides one triplet. */
  check(triplet: GreylistTriplet, signal?: AbortSignal): Promise<GreylistResult>;
}

/**
 * Greylisting (Harris 2003; postgrey's defaults): the first delivery attempt of an unknown
 * (client network, sender, recipient) triplet is deferred; a retry after `delay` and within
 * `retryWindow` passes and whitelists the triplet for `lifetime`. Real MTAs retry; most spam
 * software does not.
 *
 * @example
 * ```ts
 * const greylist = createGreylist({ store: createMemoryGreylistStore() });
 * // in the backend session's rcpt():
 * const result = await greylist.check({ clientAddress, sender, recipient });
 * if (result.action === 'defer')
 *   throw new SmtpReplyError({ code: 451, enhanced: '4.7.1', lines: ['Greylisted, try again later'] });
 * ```
 */
export function createGreylist(options: GreylistOptions): Greylist {
  const delay = options.delay ?? 300_000;
  const retryWindow = options.retryWindow ?? 2 * 86_400_000;
  const lifetime = options.lifetime ?? 35 * 86_400_000;
  const now = options.now ?? Date.now;
  if (delay < 0 || retryWindow <= delay || lifetime <= 0) {
    throw new RangeError('greylist: need 0 <= delay < retryWindow and lifetime > 0');
  }
  const { store } = options;
  return {
    async check(triplet, signal) {
      signal?.throwIfAborted();
      const network = clientNetwork(triplet.clientAddress, options.prefixV4, options.prefixV6);
      // NUL separates the parts: it cannot occur in an address, so no two triplets collide.
      const key = `${network}\0${triplet.sender.toLowerCase()}\0${triplet.recipient.toLowerCase()}`;
      const t = now();
      const known = await store.get(key, signal);
      if (known?.passed) {
        await store.set(key, { ...known, lastSeen: t }, t + lifetime, signal);
        return { action: 'pass', reason: 'known' };
      }
      if (known && t - known.firstSeen >= delay && t - known.firstSeen <= retryWindow) {
        await store.set(key, { firstSeen: known.firstSeen, lastSeen: t, passed: true }, t + lifetime, signal);
        return { action: 'pass', reason: 'retried' };
      }
      if (known && t - known.firstSeen < delay) {
        await store.set(key, { ...known, lastSeen: t }, known.firstSeen + retryWindow, signal);
        return { action: 'defer', retryAfter: known.firstSeen + delay - t };
      }
      await store.set(key, { firstSeen: t, lastSeen: t, passed: false }, t + retryWindow, signal);
      return { action: 'defer', retryAfter: delay };
    },
  };
}
