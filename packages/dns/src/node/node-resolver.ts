import { Resolver as NodeDnsResolver } from 'node:dns/promises';
import { assertLookupName, normalizeName } from '../core/names';
import type {
  AddressRecord,
  DnsOutcome,
  LookupOptions,
  MxRecord,
  NameRecord,
  Resolver,
  TemporaryFailureReason,
  TxtRecord,
} from '../resolver';

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

  async function run<T, R>(
    name: string,
    lookupOptions: LookupOptions | undefined,
    query: (name: string) => Promise<R[]>,
    map: (raw: R) => T,
  ): Promise<DnsOutcome<T>> {
    assertLookupName(name);
    const signal = lookupOptions?.signal;
    signal?.throwIfAborted();
    const lookup = query(normalizeName(name)).then(
      (raw): DnsOutcome<T> =>
        raw.length === 0 ? { status: 'nodata' } : { status: 'found', records: raw.map(map) },
      outcomeOf,
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
      run<MxRecord, { exchange: string; priority: number }>(
        name,
        o,
        (n) => resolver.resolveMx(n),
        (r) => ({
          exchange: normalizeName(r.exchange),
          priority: r.priority,
        }),
      ),
    txt: (name, o) =>
      run<TxtRecord, string[]>(
        name,
        o,
        (n) => resolver.resolveTxt(n),
        (strings) => ({ strings: strings.map(utf8) }),
      ),
    a: (name, o) =>
      run<AddressRecord, { address: string; ttl: number }>(
        name,
        o,
        (n) => resolver.resolve4(n, { ttl: true }),
        (r) => ({
          address: r.address,
          ttl: r.ttl,
        }),
      ),
    aaaa: (name, o) =>
      run<AddressRecord, { address: string; ttl: number }>(
        name,
        o,
        (n) => resolver.resolve6(n, { ttl: true }),
        (r) => ({
          address: r.address,
          ttl: r.ttl,
        }),
      ),
    ptr: (name, o) =>
      run<NameRecord, string>(
        name,
        o,
        (n) => resolver.resolvePtr(n),
        (target) => ({ name: normalizeName(target) }),
      ),
    cname: (name, o) =>
      run<NameRecord, string>(
        name,
        o,
        (n) => resolver.resolveCname(n),
        (target) => ({ name: normalizeName(target) }),
      ),
  };
}
