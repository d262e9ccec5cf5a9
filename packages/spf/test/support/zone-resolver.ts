/**
 * The suite's zonedata as a Resolver (@smtpkit/dns createStaticResolver over
 * @smtpkit/testing fromSpfZonedata, which apply the suite's conventions), wrapped to count
 * every lookup so tests can assert the DNS work an evaluation did.
 */
import { createStaticResolver, type Resolver } from '@smtpkit/dns';
import { fromSpfZonedata, type SpfZonedata } from '@smtpkit/testing';

/** Zone data in the openspf suite layout. */
export type ZoneData = SpfZonedata;

/** A Resolver whose `calls` counts lookups; methods may be replaced to inject failures. */
export type CountingResolver = {
  -readonly [K in keyof Required<Resolver>]: Required<Resolver>[K];
} & { calls: number };

/** A counting Resolver over `zonedata`. */
export function createZoneResolver(zonedata: ZoneData): CountingResolver {
  const inner = createStaticResolver(fromSpfZonedata(zonedata));
  const count = <T>(lookup: () => T): T => {
    counting.calls++;
    return lookup();
  };
  const counting: CountingResolver = {
    calls: 0,
    txt: (name, options) => count(() => inner.txt(name, options)),
    a: (name, options) => count(() => inner.a(name, options)),
    aaaa: (name, options) => count(() => inner.aaaa(name, options)),
    mx: (name, options) => count(() => inner.mx(name, options)),
    ptr: (name, options) => count(() => inner.ptr(name, options)),
    cname: (name, options) =>
      count(() =>
        inner.cname ? inner.cname(name, options) : Promise.resolve({ status: 'nodata' as const }),
      ),
  };
  return counting;
}
