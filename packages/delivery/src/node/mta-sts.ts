import type { Resolver } from '@smtpkit/dns';
import { type MtaStsPolicy, parseMtaStsPolicy, parseMtaStsRecord } from '../core/mta-sts/policy';

/** The part of a fetch `Response` the MTA-STS fetcher reads. */
export interface MtaStsFetchResponse {
  readonly status: number;
  readonly headers: { get(name: string): string | null };
  text(): Promise<string>;
}

/** A fetch function (the global `fetch` fits). Called with `redirect: 'error'` (RFC 8461 §3.3). */
export type MtaStsFetch = (
  url: string,
  init: { readonly signal?: AbortSignal; readonly redirect: 'error' },
) => Promise<MtaStsFetchResponse>;

/** The outcome of an MTA-STS lookup for one policy domain. */
export type MtaStsLookup =
  /** The domain has a policy (fresh from the network or still valid in the cache). */
  | {
      readonly status: 'policy';
      readonly policy: MtaStsPolicy;
      readonly id: string;
      readonly source: 'fetched' | 'cache';
      /** When the cached policy expires (epoch ms): fetch time + max_age. */
      readonly expiresAt: number;
    }
  /** No usable policy: the domain does not publish MTA-STS, or discovery/fetch failed with nothing cached. */
  | { readonly status: 'none'; readonly reason: string };

/** Options of {@link createMtaStsResolver}. */
export interface MtaStsResolverOptions {
  /** Where the `_mta-sts` TXT records come from. */
  readonly resolver: Resolver;
  /** Default: the global `fetch` to `https://mta-sts.<domain>/.well-known/mta-sts.txt`. */
  readonly fetch?: MtaStsFetch;
  /** Clock (epoch ms). Default `Date.now`. */
  readonly now?: () => number;
  /** Fetch timeout. Default 60 000 ms (RFC 8461 §3.3 suggests at least a minute). */
  readonly timeoutMs?: number;
  /** Largest policy accepted. Default 64 KiB (RFC 8461 §3.3). */
  readonly maxBytes?: number;
  /** The URL to fetch for a domain (tests point this at a loopback server). */
  readonly policyUrl?: (domain: string) => string;
}

/** Looks up, fetches and caches MTA-STS policies (RFC 8461 §3, §5.1). */
export interface MtaStsResolver {
  /** The policy in force for `domain` (a recipient domain), per the §5.1 cache rules. */
  lookup(domain: string, options?: { readonly signal?: AbortSignal }): Promise<MtaStsLookup>;
}

interface Cached {
  readonly policy: MtaStsPolicy;
  readonly id: string;
  readonly expiresAt: number;
}

const defaultFetch: MtaStsFetch = (url, init) =>
  fetch(url, { redirect: init.redirect, ...(init.signal && { signal: init.signal }) });

/**
 * Creates an MTA-STS resolver with an in-memory cache. Per RFC 8461 §5.1 a cached policy stays
 * in force until its `max_age` runs out even if the TXT record disappears or the fetch fails
 * (so an attacker who blocks DNS or HTTPS cannot downgrade delivery); a new `id` in the TXT
 * record triggers a refetch.
 *
 * @example
 * ```ts
 * const sts = createMtaStsResolver({ resolver: createNodeResolver() });
 * const r = await sts.lookup('example.com');
 * if (r.status === 'policy' && r.policy.mode === 'enforce') { ... }
 * ```
 */
export function createMtaStsResolver(options: MtaStsResolverOptions): MtaStsResolver {
  const doFetch = options.fetch ?? defaultFetch;
  const now = options.now ?? Date.now;
  const timeoutMs = options.timeoutMs ?? 60_000;
  const maxBytes = options.maxBytes ?? 65_536;
  const policyUrl = options.policyUrl ?? ((d: string) => `https://mta-sts.${d}/.well-known/mta-sts.txt`);
  const cache = new Map<string, Cached>();

  async function fetchPolicy(domain: string, signal?: AbortSignal): Promise<MtaStsPolicy | string> {
    const timeout = AbortSignal.timeout(timeoutMs);
    const combined = signal ? AbortSignal.any([signal, timeout]) : timeout;
    let response: MtaStsFetchResponse;
    try {
      response = await doFetch(policyUrl(domain), { signal: combined, redirect: 'error' });
    } catch (error) {
      signal?.throwIfAborted();
      return `policy fetch failed: ${error instanceof Error ? error.message : String(error)}`;
    }
    // §3.3: only a 200 counts; redirects were refused by `redirect: 'error'`.
    if (response.status !== 200) return `policy fetch answered HTTP ${response.status}`;
    const type = response.headers.get('content-type')?.split(';')[0]?.trim().toLowerCase();
    if (type !== 'text/plain') return `policy media type is ${type ?? 'missing'}, not text/plain`;
    const length = Number(response.headers.get('content-length') ?? 0);
    if (length > maxBytes) return 'policy too large';
    const text = await response.text();
    if (text.length > maxBytes) return 'policy too large';
    const parsed = parseMtaStsPolicy(text);
    return parsed.ok ? parsed.value : `invalid policy: ${parsed.reason}`;
  }

  return {
    async lookup(domain, callOptions = {}) {
      const { signal } = callOptions;
      signal?.throwIfAborted();
      const key = domain.toLowerCase().replace(/\.$/, '');
      const t = now();
      let cached = cache.get(key);
      if (cached && cached.expiresAt <= t) {
        cache.delete(key);
        cached = undefined;
      }
      const fromCache = (c: Cached): MtaStsLookup => ({
        status: 'policy',
        policy: c.policy,
        id: c.id,
        source: 'cache',
        expiresAt: c.expiresAt,
      });
      const txt = await options.resolver.txt(`_mta-sts.${key}`, signal ? { signal } : {});
      if (txt.status !== 'found') {
        // §5.1: TXT gone or unreachable: a valid cached policy remains in force.
        return cached ? fromCache(cached) : { status: 'none', reason: `no _mta-sts record (${txt.status})` };
      }
      const record = parseMtaStsRecord(txt.records.map((r) => r.strings.join('')));
      if (!record.ok) return cached ? fromCache(cached) : { status: 'none', reason: record.reason };
      if (cached && cached.id === record.value.id) return fromCache(cached);
      const fetched = await fetchPolicy(key, signal);
      if (typeof fetched === 'string') {
        return cached ? fromCache(cached) : { status: 'none', reason: fetched };
      }
      const entry: Cached = { policy: fetched, id: record.value.id, expiresAt: t + fetched.maxAge * 1000 };
      if (fetched.maxAge > 0) cache.set(key, entry);
      else cache.delete(key);
      return {
        status: 'policy',
        policy: fetched,
        id: entry.id,
        source: 'fetched',
        expiresAt: entry.expiresAt,
      };
    },
  };
}
