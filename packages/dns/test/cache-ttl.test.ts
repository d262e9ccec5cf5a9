// withCache: TTLs honoured (RFC 1035 §3.2.1), negative caching (RFC 2308), LRU bound, tempfail.
import { createStaticResolver, type Resolver, withCache, type Zone } from '@smtpkit/dns';
import { describe, expect, it } from 'vitest';

function counting(zone: Zone) {
  const inner = createStaticResolver(zone);
  const calls: string[] = [];
  const log =
    <A extends unknown[], R>(method: string, call: (name: string, ...rest: A) => R) =>
    (name: string, ...rest: A): R => {
      calls.push(`${method} ${name}`);
      return call(name, ...rest);
    };
  const resolver: Resolver = {
    mx: log('mx', inner.mx),
    txt: log('txt', inner.txt),
    a: log('a', inner.a),
    aaaa: log('aaaa', inner.aaaa),
    ptr: log('ptr', inner.ptr),
  };
  return { resolver, calls };
}

function clock(start = 1_000_000) {
  let t = start;
  return {
    now: () => t,
    advance: (seconds: number) => {
      t += seconds * 1000;
    },
  };
}

const zone: Zone = {
  'short.example': { a: ['192.0.2.1'], ttl: 60 },
  'long.example': { a: ['192.0.2.2'], ttl: 7200 },
  'nottl.example': { txt: ['v=spf1 -all'] },
  'broken.example': { fault: 'servfail' },
};

describe('withCache', () => {
  it('RFC 1035 §3.2.1 answers live for their TTL and come back with the TTL counted down', async () => {
    const { resolver, calls } = counting(zone);
    const c = clock();
    const cached = withCache(resolver, { now: c.now });
    expect(await cached.a('short.example')).toEqual({
      status: 'found',
      records: [{ address: '192.0.2.1', ttl: 60 }],
    });
    c.advance(45);
    expect(await cached.a('SHORT.example.')).toEqual({
      status: 'found',
      records: [{ address: '192.0.2.1', ttl: 15 }],
    });
    expect(calls).toEqual(['a short.example']);
    c.advance(15);
    await cached.a('short.example');
    expect(calls).toEqual(['a short.example', 'a short.example']);
  });

  it('clamps lifetimes to [minTtl, maxTtl]', async () => {
    const { resolver, calls } = counting(zone);
    const c = clock();
    const cached = withCache(resolver, { now: c.now, minTtl: 120, maxTtl: 3600 });
    await cached.a('short.example');
    await cached.a('long.example');
    c.advance(119);
    await cached.a('short.example'); // 60 s TTL raised to 120
    expect(calls).toHaveLength(2);
    c.advance(3600 - 119);
    await cached.a('long.example'); // 7200 s TTL capped at 3600
    expect(calls).toHaveLength(3);
  });

  it('records without a TTL live defaultTtl', async () => {
    const { resolver, calls } = counting({ 'x.example': { txt: ['t'] } });
    const c = clock();
    const inner: Resolver = {
      ...resolver,
      txt: async (n, o) => {
        const outcome = await resolver.txt(n, o);
        return outcome.status === 'found'
          ? { status: 'found', records: outcome.records.map((r) => ({ strings: r.strings })) }
          : outcome;
      },
    };
    const cached = withCache(inner, { now: c.now, defaultTtl: 30 });
    await cached.txt('x.example');
    c.advance(29);
    await cached.txt('x.example');
    expect(calls).toHaveLength(1);
    c.advance(1);
    await cached.txt('x.example');
    expect(calls).toHaveLength(2);
  });

  it('RFC 2308 caches NXDOMAIN and NODATA for negativeTtl', async () => {
    const { resolver, calls } = counting(zone);
    const c = clock();
    const cached = withCache(resolver, { now: c.now, negativeTtl: 10 });
    expect(await cached.mx('absent.example')).toEqual({ status: 'nxdomain' });
    expect(await cached.mx('short.example')).toEqual({ status: 'nodata' });
    c.advance(9);
    expect(await cached.mx('absent.example')).toEqual({ status: 'nxdomain' });
    expect(await cached.mx('short.example')).toEqual({ status: 'nodata' });
    expect(calls).toEqual(['mx absent.example', 'mx short.example']);
    c.advance(1);
    await cached.mx('absent.example');
    expect(calls).toHaveLength(3);
  });

  it('does not cache temporary failures unless tempfailTtl says so', async () => {
    const { resolver, calls } = counting(zone);
    const c = clock();
    const cached = withCache(resolver, { now: c.now });
    await cached.a('broken.example');
    await cached.a('broken.example');
    expect(calls).toHaveLength(2);
    const brief = withCache(resolver, { now: c.now, tempfailTtl: 5 });
    await brief.a('broken.example');
    c.advance(4);
    expect(await brief.a('broken.example')).toMatchObject({ status: 'tempfail', reason: 'servfail' });
    expect(calls).toHaveLength(3);
  });

  it('evicts the least recently used entry beyond maxEntries', async () => {
    const { resolver, calls } = counting(zone);
    const cached = withCache(resolver, { maxEntries: 2, now: clock().now });
    await cached.a('short.example');
    await cached.a('long.example');
    await cached.a('short.example'); // touch: long.example is now the oldest
    await cached.txt('nottl.example'); // evicts long.example
    expect(cached.size).toBe(2);
    await cached.a('short.example');
    await cached.a('long.example');
    expect(calls).toEqual(['a short.example', 'a long.example', 'txt nottl.example', 'a long.example']);
  });

  it('shares one query among concurrent lookups; one caller aborting does not fail the others', async () => {
    let release: () => void = () => {};
    let asked = 0;
    const slow: Resolver = {
      ...createStaticResolver(zone),
      a: () => {
        asked++;
        return new Promise((resolve) => {
          release = () => resolve({ status: 'found', records: [{ address: '192.0.2.9', ttl: 60 }] });
        });
      },
    };
    const cached = withCache(slow);
    const controller = new AbortController();
    const first = cached.a('x.example', { signal: controller.signal });
    const second = cached.a('x.example');
    controller.abort(new Error('gave up'));
    release();
    await expect(first).rejects.toThrow('gave up');
    expect(await second).toMatchObject({ status: 'found' });
    expect(asked).toBe(1);
  });

  it('checks its options and names (caller bugs throw)', async () => {
    const { resolver } = counting(zone);
    expect(() => withCache(resolver, { maxEntries: 0 })).toThrow(RangeError);
    expect(() => withCache(resolver, { minTtl: 10, maxTtl: 5 })).toThrow(RangeError);
    expect(() => withCache(resolver, { negativeTtl: -1 })).toThrow(RangeError);
    await expect(withCache(resolver).a('a..b')).rejects.toBeInstanceOf(TypeError);
  });

  it('clear() empties the cache; cname is cached when the resolver has it', async () => {
    const inner = createStaticResolver({ 'www.example': { cname: 'example' } });
    const cached = withCache(inner);
    expect(await cached.cname?.('www.example')).toMatchObject({
      status: 'found',
      records: [{ name: 'example' }],
    });
    expect(cached.size).toBe(1);
    cached.clear();
    expect(cached.size).toBe(0);
  });
});
