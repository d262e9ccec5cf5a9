import { Resolver as NodeDnsResolver } from 'node:dns/promises';
import { assertLookupName, normalizeName } from '../core/names';
import type { WireQueryType, WireRecordOf } from '../core/wire-message';
import type { DnsOutcome, LookupOptions, Resolver, TemporaryFailureReason } from '../resolver';
import { createWireLookup } from './wire-client';

/** Options for {@link createNodeResolver}. */
export interface NodeResolverOptions {
  /**
   * Name servers for this resolver only (`'192.0.2.53'`, `'127.0.0.1:5353'`, `'[::1]:53'`).
   * Default: the system's (`/etc/resolv.conf`).
   */
  readonly servers?: readonly string[];
  /** Milliseconds per attempt before c-ares retries. Default 5000. */
  readonly timeout?: number;
  /** Attempts per server. Default 2. */
  readonly tries?: number;
}

interface ErrnoLike {
  readonly code?: unknown;
  readonly message?: unknown;
}

const TEMPORARY: Readonly<Record<string, TemporaryFailureReason>> = {
  ESERVFAIL: 'servfail',
  ETIMEOUT: 'timeout',
  EREFUSED: 'refused',
  ECONNREFUSED: 'network',
  ECANCELLED: 'other',
  EDESTRUCTION: 'other',
  EFORMERR: 'other',
  EBADRESP: 'other',
  ENOTIMP: 'other',
  EOF: 'other',
  EFILE: 'other',
  ENOMEM: 'other',
  ECONNRESET: 'network',
};

/**
 * c-ares hands TXT octets to JavaScript one octet per UTF-16 unit (latin1). Re-decode them as
 * UTF-8 so a zone's text comes back as written (invalid sequences become U+FFFD, which is as
 * non-ASCII as the octets were: RFC 7208 §3.1 and RFC 6376 §3.6.2.2 care only about that).
 */
function utf8(latin1: string): string {
  return /[^\x00-\x7f]/.test(latin1) ? Buffer.from(latin1, 'latin1').toString('utf8') : latin1;
}

function isBadName(error: unknown): boolean {
  return typeof error === 'object' && error !== null && (error as ErrnoLike).code === 'EBADNAME';
}

/** Maps a node:dns rejection to a {@link DnsOutcome}; unknown errors are temporary ('other'). */
function outcomeOf(error: unknown): DnsOutcome<never> {
  const { code, message } = (typeof error === 'object' && error !== null ? error : {}) as ErrnoLike;
  const text = typeof message === 'string' ? message : String(error);
  if (code === 'ENOTFOUND') return { status: 'nxdomain' };
  if (code === 'ENODATA') return { status: 'nodata' };
  const reason = typeof code === 'string' ? TEMPORARY[code] : undefined;
  return { status: 'tempfail', reason: reason ?? 'other', message: text };
}

/**
 * A {@link Resolver} over `node:dns/promises` (c-ares): its own server list, timeout and
 * tries, so tests can point it at `127.0.0.1:port`. Node error codes map to outcomes:
 * `ENOTFOUND` → nxdomain, `ENODATA` → nodata, `ESERVFAIL`/`ETIMEOUT`/`EREFUSED`/
 * `ECONNREFUSED` and other resolver errors → tempfail. A/AAAA carry TTLs; node does not
 * expose them for MX, TXT, PTR and CNAME. CNAME chains in an answer are followed by c-ares.
 * @example
 * const resolver = createNodeResolver({ servers: ['127.0.0.1:5353'], timeout: 500, tries: 2 });
 * const outcome = await resolver.mx('example.com');
 * if (outcome.status === 'found') console.log(outcome.records);
 */
export function createNodeResolver(options: NodeResolverOptions = {}): Resolver {
  const timeout = options.timeout ?? 5000;
  const tries = options.tries ?? 2;
  if (!Number.isInteger(timeout) || timeout < 1)
    throw new RangeError('timeout must be a positive integer (ms)');
  if (!Number.isInteger(tries) || tries < 1) throw new RangeError('tries must be a positive integer');
  const resolver = new NodeDnsResolver({ timeout, tries });
  if (options.servers) resolver.setServers([...options.servers]);
  // c-ares answers EBADNAME, without sending anything, for names outside host-name syntax
  // (space, ':', '/', '%'...), which RFC 2181 §11 allows and SPF macros produce. Those go out
  // through our own RFC 1035 codec to the same servers, with the same timeout and tries.
  const wire = createWireLookup({ servers: () => resolver.getServers(), timeout, tries });

  async function run<K extends WireQueryType, R>(
    name: string,
    lookupOptions: LookupOptions | undefined,
    type: K,
    query: (name: string) => Promise<R[]>,
    map: (raw: R) => WireRecordOf[K],
  ): Promise<DnsOutcome<WireRecordOf[K]>> {
    type T = WireRecordOf[K];
    assertLookupName(name);
    const signal = lookupOptions?.signal;
    signal?.throwIfAborted();
    const lookup = query(normalizeName(name)).then(
      (raw): DnsOutcome<T> =>
        raw.length === 0 ? { status: 'nodata' } : { status: 'found', records: raw.map(map) },
      (error: unknown): DnsOutcome<T> | Promise<DnsOutcome<T>> =>
        isBadName(error)
          ? wire(normalizeName(name), type, signal).catch(() => outcomeOf(error))
          : outcomeOf(error),
    );
    if (!signal) return lookup;
    // c-ares can only cancel every query of a channel at once, so an aborted lookup is
    // abandoned (it ends by itself within timeout × tries) rather than cancelled.
    return new Promise<DnsOutcome<T>>((resolve, reject) => {
      const onAbort = () => reject(signal.reason);
      signal.addEventListener('abort', onAbort, { once: true });
      void lookup.then((outcome) => {
        signal.removeEventListener('abort', onAbort);
        resolve(outcome);
      });
    });
  }

  return {
    mx: (name, o) =>
      run<'mx', { exchange: string; priority: number }>(
        name,
        o,
        'mx',
        (n) => resolver.resolveMx(n),
        (r) => ({
          exchange: normalizeName(r.exchange),
          priority: r.priority,
        }),
      ),
    txt: (name, o) =>
      run<'txt', string[]>(
        name,
        o,
        'txt',
        (n) => resolver.resolveTxt(n),
        (strings) => ({ strings: strings.map(utf8) }),
      ),
    a: (name, o) =>
      run<'a', { address: string; ttl: number }>(
        name,
        o,
        'a',
        (n) => resolver.resolve4(n, { ttl: true }),
        (r) => ({
          address: r.address,
          ttl: r.ttl,
        }),
      ),
    aaaa: (name, o) =>
      run<'aaaa', { address: string; ttl: number }>(
        name,
        o,
        'aaaa',
        (n) => resolver.resolve6(n, { ttl: true }),
        (r) => ({
          address: r.address,
          ttl: r.ttl,
        }),
      ),
    ptr: (name, o) =>
      run<'ptr', string>(
        name,
        o,
        'ptr',
        (n) => resolver.resolvePtr(n),
        (target) => ({ name: normalizeName(target) }),
      ),
    cname: (name, o) =>
      run<'cname', string>(
        name,
        o,
        'cname',
        (n) => resolver.resolveCname(n),
        (target) => ({ name: normalizeName(target) }),
      ),
  };
}
