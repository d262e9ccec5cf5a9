import type {
  AddressRecord,
  DnsOutcome,
  LookupOptions,
  MxRecord,
  NameRecord,
  Resolver,
  TxtRecord,
} from '../resolver';
import { canonicalAddress, ipFamily } from './ip';
import { assertLookupName, normalizeName } from './names';
import type { Zone, ZoneFault, ZoneNode, ZoneRecordType, ZoneTxt } from './zone';
import { zoneFault } from './zone';

/** Options for {@link createStaticResolver}. */
export interface StaticResolverOptions {
  /** TTL in seconds for names without their own `ttl`. Default 300. */
  readonly defaultTtl?: number;
}

/** RFC 1034 §3.6.2 allows chains; bound them so a loop in a fixture cannot hang a test. */
const MAX_CNAME_CHAIN = 8;

const FAULT_MESSAGES: Record<ZoneFault, { reason: 'servfail' | 'refused' | 'timeout'; message: string }> = {
  servfail: { reason: 'servfail', message: 'SERVFAIL (static zone)' },
  refused: { reason: 'refused', message: 'REFUSED (static zone)' },
  timeout: { reason: 'timeout', message: 'timeout (static zone)' },
};

/** Addresses come back in node:dns's canonical text; zone text that is no address is kept as is. */
function canonical(address: string): string {
  return ipFamily(address) === 0 ? address : canonicalAddress(address);
}

function txtStrings(value: ZoneTxt): string[] {
  if (typeof value === 'string') return [value];
  // RFC 1035 §3.3.14: RDATA is one or more strings; an empty list is one empty string, as on the wire.
  if (value.length === 0) return [''];
  return value.map((part) => (typeof part === 'string' ? part : new TextDecoder('utf-8').decode(part)));
}

/**
 * An in-memory {@link Resolver} answering from a {@link Zone}: NXDOMAIN for absent names,
 * NODATA for absent types, CNAMEs followed, faults as `tempfail` (a `timeout` fault answers
 * at once). For users' unit tests; `@smtpkit/testing` serves the same zone over real DNS.
 * @example
 * const resolver = createStaticResolver({
 *   'example.com': { mx: [{ priority: 10, exchange: 'mx.example.com' }] },
 *   'mx.example.com': { a: ['192.0.2.10'] },
 * });
 * await resolver.mx('example.com'); // { status: 'found', records: [{ exchange: 'mx.example.com', priority: 10, ttl: 300 }] }
 */
export function createStaticResolver(zone: Zone, options: StaticResolverOptions = {}): Resolver {
  const defaultTtl = options.defaultTtl ?? 300;
  if (!Number.isInteger(defaultTtl) || defaultTtl < 0)
    throw new RangeError('defaultTtl must be a non-negative integer');
  const nodes = new Map<string, ZoneNode>();
  for (const [name, node] of Object.entries(zone)) nodes.set(normalizeName(name), node);

  function lookup<T>(
    name: string,
    type: ZoneRecordType,
    options: LookupOptions | undefined,
    pick: (node: ZoneNode, ttl: number) => readonly T[],
  ): Promise<DnsOutcome<T>> {
    assertLookupName(name);
    options?.signal?.throwIfAborted();
    let key = normalizeName(name);
    for (let depth = 0; depth <= MAX_CNAME_CHAIN; depth++) {
      const node = nodes.get(key);
      if (!node) return Promise.resolve(depth === 0 ? { status: 'nxdomain' } : { status: 'nodata' });
      const fault = zoneFault(node, type);
      if (fault) return Promise.resolve({ status: 'tempfail', ...FAULT_MESSAGES[fault] });
      const records = pick(node, node.ttl ?? defaultTtl);
      if (records.length > 0) return Promise.resolve({ status: 'found', records });
      if (type === 'cname' || node.cname === undefined) return Promise.resolve({ status: 'nodata' });
      key = normalizeName(node.cname);
    }
    // A recursive resolver answers SERVFAIL for a CNAME loop; so does the wire test server.
    return Promise.resolve({
      status: 'tempfail',
      reason: 'servfail',
      message: 'CNAME chain too long (static zone)',
    });
  }

  return {
    mx: (name, options) =>
      lookup<MxRecord>(name, 'mx', options, (node, ttl) =>
        (node.mx ?? []).map((mx) => ({
          priority: mx.priority,
          exchange: mx.exchange === '.' ? '' : normalizeName(mx.exchange),
          ttl,
        })),
      ),
    txt: (name, options) =>
      lookup<TxtRecord>(name, 'txt', options, (node, ttl) =>
        (node.txt ?? []).map((txt) => ({ strings: txtStrings(txt), ttl })),
      ),
    a: (name, options) =>
      lookup<AddressRecord>(name, 'a', options, (node, ttl) =>
        (node.a ?? []).map((address) => ({ address: canonical(address), ttl })),
      ),
    aaaa: (name, options) =>
      lookup<AddressRecord>(name, 'aaaa', options, (node, ttl) =>
        (node.aaaa ?? []).map((address) => ({ address: canonical(address), ttl })),
      ),
    ptr: (name, options) =>
      lookup<NameRecord>(name, 'ptr', options, (node, ttl) =>
        (node.ptr ?? []).map((target) => ({ name: normalizeName(target), ttl })),
      ),
    cname: (name, options) =>
      lookup<NameRecord>(name, 'cname', options, (node, ttl) =>
        node.cname === undefined ? [] : [{ name: normalizeName(node.cname), ttl }],
      ),
  };
}
