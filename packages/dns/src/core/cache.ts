import type { DnsOutcome, LookupOptions, Resolver } from '../resolver';
import { assertLookupName, normalizeName } from './names';

/** Options for {@link withCache}. Times are in seconds except `now`. */
export interface CacheOptions {
  /** Most entries kept; the least recently used is evicted first. Default 10 000. */
  readonly maxEntries?: number;
  /** Lower bound on a positive answer's lifetime. Default 0. */
  readonly minTtl?: number;
  /** Upper bound on any lifetime. Default 86 400 (one day, as RFC 8767 §4 suggests for caps). */
  readonly maxTtl?: number;
  /**
   * Lifetime of NXDOMAIN and NODATA answers (RFC 2308 negative caching; the SOA minimum is not
   * visible through the {@link Resolver} contract, so it is fixed here). Default 300.
   */
  readonly negativeTtl?: number;
  /** Lifetime of an answer whose records carry no TTL (node's MX/TXT/PTR). Default 300. */
  readonly defaultTtl?: number;
  /**
   * Lifetime of a temporary failure. Default 0: not cached, the next lookup asks again
   * (RFC 2308 §7.1 allows at most five minutes; a few seconds damps retry storms).
   */
  readonly tempfailTtl?: number;
  /** Clock in milliseconds. Default `Date.now`. */
  readonly now?: () => number;
}

/** A {@link Resolver} with a cache in front; `clear()` empties it. */
export interface CachedResolver extends Resolver {
  /** Drops every cached answer. */
  clear(): void;
  /** How many answers are cached (expired ones included until touched or evicted). */
  readonly size: number;
}

interface Entry {
  readonly outcome: DnsOutcome<{ readonly ttl?: number }>;
  readonly storedAt: number;
  readonly expiresAt: number;
}

type Method = 'mx' | 'txt' | 'a' | 'aaaa' | 'ptr' | 'cname';

function checkSeconds(name: string, value: number): number {
  if (!Number.isFinite(value) || value < 0)
    throw new RangeError(`${name} must be a non-negative number of seconds`);
  return value;
}

/**
 * Wraps a resolver with a TTL-honouring LRU cache. Positive answers live for the smallest
 * record TTL clamped to `[minTtl, maxTtl]`, and come back with their TTLs counted down;
 * NXDOMAIN and NODATA live `negativeTtl`; temporary failures are not cached unless
 * `tempfailTtl` says so. Concurrent lookups of the same name and type share one query.
 * @example
 * const resolver = withCache(createNodeResolver(), { maxEntries: 5000, negativeTtl: 60 });
 * await resolver.mx('example.com'); // asks the network
 * await resolver.mx('example.com'); // from the cache until the TTL runs out
 */
export function withCache(resolver: Resolver, options: CacheOptions = {}): CachedResolver {
  const maxEntries = options.maxEntries ?? 10_000;
  if (!Number.isInteger(maxEntries) || maxEntries < 1)
    throw new RangeError('maxEntries must be a positive integer');
  const minTtl = checkSeconds('minTtl', options.minTtl ?? 0);
  const maxTtl = checkSeconds('maxTtl', options.maxTtl ?? 86_400);
  if (minTtl > maxTtl) throw new RangeError('minTtl must not exceed maxTtl');
  const negativeTtl = checkSeconds('negativeTtl', options.negativeTtl ?? 300);
  const defaultTtl = checkSeconds('defaultTtl', options.defaultTtl ?? 300);
  const tempfailTtl = checkSeconds('tempfailTtl', options.tempfailTtl ?? 0);
  const now = options.now ?? Date.now;

  const entries = new Map<string, Entry>();
  const inflight = new Map<string, Promise<DnsOutcome<{ readonly ttl?: number }>>>();

  function lifetime(outcome: DnsOutcome<{ readonly ttl?: number }>): number {
    switch (outcome.status) {
      case 'found': {
        let ttl = Number.POSITIVE_INFINITY;
        for (const record of outcome.records) ttl = Math.min(ttl, record.ttl ?? defaultTtl);
        return Math.min(maxTtl, Math.max(minTtl, ttl));
      }
      case 'nxdomain':
      case 'nodata':
        return Math.min(maxTtl, negativeTtl);
      case 'tempfail':
        return Math.min(maxTtl, tempfailTtl);
    }
  }

  function store(key: string, outcome: DnsOutcome<{ readonly ttl?: number }>, at: number): void {
    const seconds = lifetime(outcome);
    if (seconds <= 0) return;
    entries.delete(key);
    entries.set(key, { outcome, storedAt: at, expiresAt: at + seconds * 1000 });
    while (entries.size > maxEntries) {
      const oldest = entries.keys().next();
      if (oldest.done) break;
      entries.delete(oldest.value);
    }
  }

  function fromEntry(entry: Entry, at: number): DnsOutcome<{ readonly ttl?: number }> {
    if (entry.outcome.status !== 'found') return entry.outcome;
    const elapsed = Math.floor((at - entry.storedAt) / 1000);
    return {
      status: 'found',
      records: entry.outcome.records.map((record) =>
        record.ttl === undefined ? record : { ...record, ttl: Math.max(0, record.ttl - elapsed) },
      ),
    };
  }

  function abortable<T>(promise: Promise<T>, signal: AbortSignal | undefined): Promise<T> {
    if (!signal) return promise;
    signal.throwIfAborted();
    return new Promise<T>((resolve, reject) => {
      const onAbort = () => reject(signal.reason);
      signal.addEventListener('abort', onAbort, { once: true });
      promise.then(
        (value) => {
          signal.removeEventListener('abort', onAbort);
          resolve(value);
        },
        (error: unknown) => {
          signal.removeEventListener('abort', onAbort);
          reject(error);
        },
      );
    });
  }

  function cached<T extends { readonly ttl?: number }>(
    method: Method,
    call: (name: string) => Promise<DnsOutcome<T>>,
  ): (name: string, options?: LookupOptions) => Promise<DnsOutcome<T>> {
    return async (name, lookupOptions) => {
      assertLookupName(name);
      lookupOptions?.signal?.throwIfAborted();
      const key = `${method} ${normalizeName(name)}`;
      const at = now();
      const entry = entries.get(key);
      if (entry) {
        if (entry.expiresAt > at) {
          entries.delete(key);
          entries.set(key, entry); // most recently used last
          return fromEntry(entry, at) as DnsOutcome<T>;
        }
        entries.delete(key);
      }
      let pending = inflight.get(key) as Promise<DnsOutcome<T>> | undefined;
      if (!pending) {
        // The shared query runs without any one caller's signal: one caller giving up must
        // not fail the others. Each caller still stops waiting when its own signal aborts.
        pending = call(name).then(
          (outcome) => {
            inflight.delete(key);
            store(key, outcome, now());
            return outcome;
          },
          (error: unknown) => {
            inflight.delete(key);
            throw error;
          },
        );
        inflight.set(key, pending);
      }
      return abortable(pending, lookupOptions?.signal);
    };
  }

  const cname = resolver.cname?.bind(resolver);
  return {
    mx: cached('mx', (name) => resolver.mx(name)),
    txt: cached('txt', (name) => resolver.txt(name)),
    a: cached('a', (name) => resolver.a(name)),
    aaaa: cached('aaaa', (name) => resolver.aaaa(name)),
    ptr: cached('ptr', (name) => resolver.ptr(name)),
    ...(cname ? { cname: cached('cname', (name) => cname(name)) } : {}),
    clear: () => entries.clear(),
    get size() {
      return entries.size;
    },
  };
}
