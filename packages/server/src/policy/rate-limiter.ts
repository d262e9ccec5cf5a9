import { clientNetwork } from './network';

/** Options of {@link createRateLimiter}. Every limit is off when not set. */
export interface RateLimiterOptions {
  /** The rate window in milliseconds (default 60 000, Postfix's `anvil_rate_time_unit`). */
  readonly window?: number;
  /** Simultaneous connections per client (Postfix `smtpd_client_connection_count_limit`). */
  readonly maxConcurrentConnections?: number;
  /** New connections per client per window (`smtpd_client_connection_rate_limit`). */
  readonly maxConnectionRate?: number;
  /** Messages (MAIL FROM) per client per window (`smtpd_client_message_rate_limit`). */
  readonly maxMessageRate?: number;
  /** Recipients per client per window (`smtpd_client_recipient_rate_limit`). */
  readonly maxRecipientRate?: number;
  /** IPv4 prefix the client is counted by (default 32: per address). */
  readonly prefixV4?: number;
  /** IPv6 prefix the client is counted by (default 64). */
  readonly prefixV6?: number;
  /** The clock (default `Date.now`). */
  readonly now?: () => number;
}

/** A decision of the {@link RateLimiter}: allowed, or over the named limit. */
export type RateDecision =
  | { readonly allowed: true }
  | {
      readonly allowed: false;
      readonly limit: 'concurrent' | 'connection-rate' | 'message-rate' | 'recipient-rate';
      /** Milliseconds until the count falls under the limit again (0 for `concurrent`). */
      readonly retryAfter: number;
    };

/** Per-client counters made by {@link createRateLimiter}. */
export interface RateLimiter {
  /** Counts a new connection; when refused the connection is not counted (do not call `disconnect`). */
  connect(clientAddress: string): RateDecision;
  /** Ends a connection counted by an allowed `connect`. */
  disconnect(clientAddress: string): void;
  /** Counts a message (call from `mail`); refused ones are not counted. */
  message(clientAddress: string): RateDecision;
  /** Counts a recipient (call from `rcpt`); refused ones are not counted. */
  recipient(clientAddress: string): RateDecision;
  /** Clients currently tracked (bounded: idle clients are dropped after a window). */
  readonly size: number;
}

interface Counter {
  concurrent: number;
  windowStart: number;
  connections: number;
  messages: number;
  recipients: number;
}

/**
 * Per-client connection and message rate limiting like Postfix's anvil(8): fixed windows of
 * `window` ms, counting per client address (or network), in process memory.
 *
 * @example
 * ```ts
 * const limiter = createRateLimiter({ maxConnectionRate: 30, maxMessageRate: 100 });
 * // in backend.openSession(info):
 * const decision = limiter.connect(info.remoteAddress);
 * if (!decision.allowed)
 *   throw new SmtpReplyError({ code: 421, enhanced: '4.7.0', lines: ['Too many connections, slow down'] });
 * ```
 */
export function createRateLimiter(options: RateLimiterOptions = {}): RateLimiter {
  const window = options.window ?? 60_000;
  const now = options.now ?? Date.now;
  const prefixV4 = options.prefixV4 ?? 32;
  const prefixV6 = options.prefixV6 ?? 64;
  if (!(window > 0)) throw new RangeError('rate limiter: window must be > 0');
  const counters = new Map<string, Counter>();
  let sweepAt = now() + window;

  const counterFor = (address: string): Counter => {
    const t = now();
    if (t >= sweepAt) {
      sweepAt = t + window;
      for (const [k, c] of counters)
        if (c.concurrent === 0 && t - c.windowStart >= window) counters.delete(k);
    }
    const key = clientNetwork(address, prefixV4, prefixV6);
    let c = counters.get(key);
    if (!c) {
      c = { concurrent: 0, windowStart: t, connections: 0, messages: 0, recipients: 0 };
      counters.set(key, c);
    } else if (t - c.windowStart >= window) {
      c.windowStart = t;
      c.connections = 0;
      c.messages = 0;
      c.recipients = 0;
    }
    return c;
  };
  const retryAfter = (c: Counter) => Math.max(0, c.windowStart + window - now());
  const rate = (
    address: string,
    field: 'messages' | 'recipients',
    max: number | undefined,
    limit: 'message-rate' | 'recipient-rate',
  ): RateDecision => {
    const c = counterFor(address);
    if (max !== undefined && c[field] >= max) return { allowed: false, limit, retryAfter: retryAfter(c) };
    c[field]++;
    return { allowed: true };
  };

  return {
    connect(address) {
      const c = counterFor(address);
      const maxConcurrent = options.maxConcurrentConnections;
      if (maxConcurrent !== undefined && c.concurrent >= maxConcurrent) {
        return { allowed: false, limit: 'concurrent', retryAfter: 0 };
      }
      const maxRate = options.maxConnectionRate;
      if (maxRate !== undefined && c.connections >= maxRate) {
        return { allowed: false, limit: 'connection-rate', retryAfter: retryAfter(c) };
      }
      c.concurrent++;
      c.connections++;
      return { allowed: true };
    },
    disconnect(address) {
      const c = counters.get(clientNetwork(address, prefixV4, prefixV6));
      if (c && c.concurrent > 0) c.concurrent--;
    },
    message: (address) => rate(address, 'messages', options.maxMessageRate, 'message-rate'),
    recipient: (address) => rate(address, 'recipients', options.maxRecipientRate, 'recipient-rate'),
    get size() {
      return counters.size;
    },
  };
}
