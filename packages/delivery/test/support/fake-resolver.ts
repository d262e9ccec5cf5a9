import type { AddressRecord, DnsOutcome, MxRecord, NameRecord, Resolver, TxtRecord } from '@smtpkit/dns';

/** A zone for unit tests: names map to records, or to an outcome for failures. */
export interface FakeZone {
  mx?: Record<string, readonly MxRecord[] | 'tempfail' | 'nxdomain'>;
  txt?: Record<string, readonly string[] | 'tempfail'>;
  a?: Record<string, readonly string[]>;
  aaaa?: Record<string, readonly string[]>;
}

function outcome<T>(records: readonly T[] | undefined, exists: boolean): DnsOutcome<T> {
  if (records?.length) return { status: 'found', records };
  return exists ? { status: 'nodata' } : { status: 'nxdomain' };
}

/** An in-memory Resolver; `calls` counts lookups by `type:name`. */
export function fakeResolver(zone: FakeZone): Resolver & { calls: Map<string, number>; zone: FakeZone } {
  const calls = new Map<string, number>();
  const count = (k: string) => calls.set(k, (calls.get(k) ?? 0) + 1);
  const names = () =>
    new Set([
      ...Object.keys(zone.mx ?? {}),
      ...Object.keys(zone.txt ?? {}),
      ...Object.keys(zone.a ?? {}),
      ...Object.keys(zone.aaaa ?? {}),
    ]);
  const tempfail = { status: 'tempfail', reason: 'servfail', message: 'SERVFAIL' } as const;
  return {
    calls,
    zone,
    async mx(name) {
      count(`mx:${name}`);
      const v = zone.mx?.[name];
      if (v === 'tempfail') return tempfail;
      if (v === 'nxdomain') return { status: 'nxdomain' };
      return outcome(v, names().has(name));
    },
    async txt(name) {
      count(`txt:${name}`);
      const v = zone.txt?.[name];
      if (v === 'tempfail') return tempfail;
      return outcome<TxtRecord>(
        v?.map((s) => ({ strings: [s] })),
        names().has(name),
      );
    },
    async a(name) {
      count(`a:${name}`);
      return outcome<AddressRecord>(
        zone.a?.[name]?.map((address) => ({ address })),
        names().has(name),
      );
    },
    async aaaa(name) {
      count(`aaaa:${name}`);
      return outcome<AddressRecord>(
        zone.aaaa?.[name]?.map((address) => ({ address })),
        names().has(name),
      );
    },
    async ptr(): Promise<DnsOutcome<NameRecord>> {
      return { status: 'nxdomain' };
    },
  };
}
