/**
 * A Resolver answering from an openspf test-suite `zonedata` mapping, with the suite's
 * conventions (corpora/spf/README.md): SPF-type records double as TXT where a name has no TXT
 * entry (`TXT: NONE` suppresses that), `TIMEOUT` makes lookups time out, absent names are
 * NXDOMAIN, names are case-insensitive, a CNAME is followed for other types.
 */
import type { AddressRecord, DnsOutcome, MxRecord, NameRecord, Resolver, TxtRecord } from '@smtpkit/dns';

/** One zonedata entry: `TIMEOUT`, or `{ TYPE: value }`. */
export type ZoneEntry = string | Record<string, unknown>;
/** The `zonedata` mapping of one suite scenario. */
export type ZoneData = Record<string, ZoneEntry[] | null>;

type RecordType = 'TXT' | 'A' | 'AAAA' | 'MX' | 'PTR' | 'CNAME';

interface ZoneName {
  readonly records: Map<RecordType, unknown[]>;
  /** Types whose lookups time out (`TYPE: TIMEOUT`). */
  readonly timeoutTypes: Set<RecordType>;
  /** A bare `TIMEOUT` entry: any type without records here times out. */
  readonly timeoutAll: boolean;
}

/** Lower-cased, without empty labels (a trailing dot). */
export function normalizeName(name: string): string {
  return name
    .split('.')
    .filter((label) => label !== '')
    .join('.')
    .toLowerCase();
}

/** Parses a zonedata mapping into per-name records. */
export function loadZone(zonedata: ZoneData): Map<string, ZoneName> {
  const zone = new Map<string, ZoneName>();
  for (const [rawName, entries] of Object.entries(zonedata ?? {})) {
    const records = new Map<RecordType, unknown[]>();
    const timeoutTypes = new Set<RecordType>();
    let timeoutAll = false;
    let hasTxt = false;
    const spf: unknown[] = [];
    const add = (type: RecordType, value: unknown) => {
      const list = records.get(type) ?? [];
      list.push(value);
      records.set(type, list);
    };
    for (const entry of entries ?? []) {
      if (typeof entry === 'string') {
        if (entry.toUpperCase() === 'TIMEOUT') timeoutAll = true;
        continue;
      }
      for (const [rawType, value] of Object.entries(entry)) {
        const type = rawType.toUpperCase();
        if (type === 'TXT') hasTxt = true;
        if (value === 'TIMEOUT') {
          timeoutTypes.add(type === 'SPF' ? 'TXT' : (type as RecordType));
          continue;
        }
        if (type === 'TXT' || type === 'SPF') {
          if (value === 'NONE') continue;
          const strings = Array.isArray(value) ? value.map(String) : [String(value)];
          if (type === 'SPF') spf.push(strings);
          else add('TXT', strings);
        } else {
          add(type as RecordType, value);
        }
      }
    }
    if (!hasTxt) for (const strings of spf) add('TXT', strings);
    zone.set(normalizeName(rawName), { records, timeoutTypes, timeoutAll });
  }
  return zone;
}

/** A Resolver over a zonedata mapping; `calls` counts every lookup (for limit tests). */
export function createZoneResolver(zonedata: ZoneData): Resolver & { calls: number } {
  const zone = loadZone(zonedata);
  const lookup = <T>(
    name: string,
    type: RecordType,
    convert: (value: unknown) => T,
    depth = 0,
  ): DnsOutcome<T> => {
    const key = normalizeName(name);
    const entry = zone.get(key);
    if (!entry) return { status: 'nxdomain' };
    if (entry.timeoutTypes.has(type))
      return { status: 'tempfail', reason: 'timeout', message: 'zonedata TIMEOUT' };
    const values = entry.records.get(type);
    if (values && values.length > 0) return { status: 'found', records: values.map(convert) };
    const cname = entry.records.get('CNAME');
    if (cname && cname.length > 0 && depth < 8) return lookup(String(cname[0]), type, convert, depth + 1);
    if (entry.timeoutAll) return { status: 'tempfail', reason: 'timeout', message: 'zonedata TIMEOUT' };
    return { status: 'nodata' };
  };
  const resolver = {
    calls: 0,
    async txt(name: string): Promise<DnsOutcome<TxtRecord>> {
      resolver.calls++;
      return lookup(name, 'TXT', (v) => ({ strings: v as string[] }));
    },
    async a(name: string): Promise<DnsOutcome<AddressRecord>> {
      resolver.calls++;
      return lookup(name, 'A', (v) => ({ address: String(v) }));
    },
    async aaaa(name: string): Promise<DnsOutcome<AddressRecord>> {
      resolver.calls++;
      return lookup(name, 'AAAA', (v) => ({ address: String(v) }));
    },
    async mx(name: string): Promise<DnsOutcome<MxRecord>> {
      resolver.calls++;
      return lookup(name, 'MX', (v) => {
        const [priority, exchange] = v as [number, string];
        return { priority: Number(priority), exchange: normalizeName(String(exchange)) };
      });
    },
    async ptr(name: string): Promise<DnsOutcome<NameRecord>> {
      resolver.calls++;
      return lookup(name, 'PTR', (v) => ({ name: normalizeName(String(v)) }));
    },
  };
  return resolver;
}
