// resolveMx through createNodeResolver (c-ares) against startDnsServer, over real loopback UDP.
import { createNodeResolver, type MxResolution, resolveMx, withCache } from '@smtpkit/dns';
import { type DnsServer, startDnsServer } from '@smtpkit/testing';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

/** mulberry32: a tiny seeded PRNG, so "random" orders are reproducible. */
function seeded(seed: number): () => number {
  let state = seed >>> 0;
  return () => {
    state = (state + 0x6d2b79f5) >>> 0;
    let t = state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

const host = (n: number) => ({ a: [`192.0.2.${n}`] });

let dns: DnsServer;
let resolver: ReturnType<typeof createNodeResolver>;
/** For the "no answer" case only: everything else gets time to spare on a busy machine. */
let quick: ReturnType<typeof createNodeResolver>;

beforeAll(async () => {
  dns = await startDnsServer({
    zone: {
      'pref.example': {
        mx: [
          { priority: 20, exchange: 'b.mx.example' },
          { priority: 10, exchange: 'a.mx.example' },
          { priority: 30, exchange: 'c.mx.example' },
        ],
      },
      'equal.example': {
        mx: [
          { priority: 10, exchange: 'm1.mx.example' },
          { priority: 10, exchange: 'm2.mx.example' },
          { priority: 10, exchange: 'm3.mx.example' },
          { priority: 20, exchange: 'backup.mx.example' },
        ],
      },
      'a.mx.example': host(1),
      'b.mx.example': host(2),
      'c.mx.example': host(3),
      'm1.mx.example': host(11),
      'm2.mx.example': host(12),
      'm3.mx.example': host(13),
      'backup.mx.example': host(20),
      'implicit.example': { a: ['192.0.2.50'], aaaa: ['2001:db8::50'], txt: ['v=spf1 -all'] },
      'noaddress.example': { txt: ['only text here'] },
      'nullmx.example': { mx: [{ priority: 0, exchange: '.' }], a: ['192.0.2.60'] },
      'servfail.example': { fault: 'servfail' },
      'timeout.example': { fault: 'timeout' },
      'v6only.example': { mx: [{ priority: 10, exchange: 'v6.mx.example' }] },
      'v6.mx.example': { aaaa: ['2001:db8::25'] },
      'dual.example': { mx: [{ priority: 10, exchange: 'dual.mx.example' }] },
      'dual.mx.example': { a: ['192.0.2.26'], aaaa: ['2001:db8::26'] },
      'private.example': {
        mx: [
          { priority: 10, exchange: 'internal.mx.example' },
          { priority: 20, exchange: 'loopback.mx.example' },
          { priority: 30, exchange: 'linklocal.mx.example' },
        ],
      },
      'internal.mx.example': { a: ['10.0.0.5'] },
      'loopback.mx.example': { a: ['127.0.0.1'], aaaa: ['::1'] },
      'linklocal.mx.example': { a: ['169.254.1.1'], aaaa: ['fe80::1'] },
      'xn--bcher-kva.example': { mx: [{ priority: 5, exchange: 'mx.xn--bcher-kva.example' }] },
      'mx.xn--bcher-kva.example': host(70),
      'iplit.example': {
        mx: [
          { priority: 10, exchange: '192.0.2.99' },
          { priority: 20, exchange: 'b.mx.example' },
        ],
      },
      'onlyiplit.example': { mx: [{ priority: 10, exchange: '192.0.2.99' }] },
      'cname-mx.example': { mx: [{ priority: 10, exchange: 'alias.mx.example' }] },
      'alias.mx.example': { cname: 'a.mx.example' },
      'aliased-domain.example': { cname: 'pref.example' },
      'partial.example': {
        mx: [
          { priority: 10, exchange: 'broken.mx.example' },
          { priority: 20, exchange: 'b.mx.example' },
        ],
      },
      'alltemp.example': {
        mx: [
          { priority: 10, exchange: 'broken.mx.example' },
          { priority: 20, exchange: 'missing.mx.example' },
        ],
      },
      'broken.mx.example': { fault: 'servfail' },
      'many.example': {
        mx: Array.from({ length: 15 }, (_, i) => ({ priority: i, exchange: `h${i}.many.example` })),
      },
      ...Object.fromEntries(Array.from({ length: 15 }, (_, i) => [`h${i}.many.example`, host(100 + i)])),
    },
  });
  resolver = createNodeResolver({ servers: [dns.address], timeout: 1000, tries: 2 });
  quick = createNodeResolver({ servers: [dns.address], timeout: 200, tries: 1 });
});

afterAll(async () => {
  await dns.close();
});

function ok(result: MxResolution) {
  if (result.status !== 'ok') throw new Error(`expected ok, got ${JSON.stringify(result)}`);
  return result;
}

describe('RFC 5321 §5.1 MX resolution over real DNS (UDP, c-ares)', () => {
  it('§5.1 sorts MX hosts by ascending preference and resolves their addresses', async () => {
    const result = ok(await resolveMx('pref.example', { resolver }));
    expect(result.implicit).toBe(false);
    expect(result.hosts).toEqual([
      { exchange: 'a.mx.example', priority: 10, addresses: [{ address: '192.0.2.1', family: 4, ttl: 300 }] },
      { exchange: 'b.mx.example', priority: 20, addresses: [{ address: '192.0.2.2', family: 4, ttl: 300 }] },
      { exchange: 'c.mx.example', priority: 30, addresses: [{ address: '192.0.2.3', family: 4, ttl: 300 }] },
    ]);
  });

  it('§5.1 shuffles equal preferences: a seeded random gives a reproducible order', async () => {
    const first = ok(await resolveMx('equal.example', { resolver, random: seeded(42) }));
    const again = ok(await resolveMx('equal.example', { resolver, random: seeded(42) }));
    const order = first.hosts.map((h) => h.exchange);
    expect(again.hosts.map((h) => h.exchange)).toEqual(order);
    // Pinned: mulberry32(42) draws 0.6011…, 0.4482…; Fisher–Yates over [m1, m2, m3] swaps
    // positions 2↔1 (⌊0.60×3⌋ = 1) then 1↔0 (⌊0.45×2⌋ = 0).
    expect(order).toEqual(['m3.mx.example', 'm1.mx.example', 'm2.mx.example', 'backup.mx.example']);
  });

  it('§5.1 shuffles equal preferences uniformly (statistical, injected random)', async () => {
    const cached = withCache(resolver); // the wire is asked once; the shuffle runs every time
    const random = seeded(7);
    const firstCounts = new Map<string, number>();
    const permutations = new Set<string>();
    const runs = 600;
    for (let i = 0; i < runs; i++) {
      const result = ok(await resolveMx('equal.example', { resolver: cached, random }));
      const names = result.hosts.map((h) => h.exchange);
      expect(names[3]).toBe('backup.mx.example'); // a worse preference never jumps ahead
      permutations.add(names.slice(0, 3).join(','));
      const top = names[0] ?? '';
      firstCounts.set(top, (firstCounts.get(top) ?? 0) + 1);
    }
    expect(permutations.size).toBe(6);
    // χ² with 2 degrees of freedom; 13.8 is the p = 0.001 critical value.
    const expected = runs / 3;
    let chi2 = 0;
    for (const name of ['m1.mx.example', 'm2.mx.example', 'm3.mx.example']) {
      chi2 += ((firstCounts.get(name) ?? 0) - expected) ** 2 / expected;
    }
    expect(chi2).toBeLessThan(13.8);
  });

  it('§5.1 implicit MX: no MX record (NODATA) → the domain itself at preference 0', async () => {
    const result = ok(await resolveMx('implicit.example', { resolver }));
    expect(result.implicit).toBe(true);
    expect(result.hosts).toEqual([
      {
        exchange: 'implicit.example',
        priority: 0,
        addresses: [
          { address: '192.0.2.50', family: 4, ttl: 300 },
          { address: '2001:db8::50', family: 6, ttl: 300 },
        ],
      },
    ]);
  });

  it('§5.1 NXDOMAIN is permanent (5.1.2), never an implicit MX', async () => {
    const result = await resolveMx('does-not-exist.example', { resolver });
    expect(result).toMatchObject({ status: 'permanent', reason: 'nxdomain', enhancedCode: '5.1.2' });
  });

  it('§5.1 NODATA with no address either is permanent (5.4.4)', async () => {
    const result = await resolveMx('noaddress.example', { resolver });
    expect(result).toMatchObject({ status: 'permanent', reason: 'no-usable-host', enhancedCode: '5.4.4' });
  });

  it('RFC 7505 §3 null MX → permanent 5.1.10 with no fallback to the A record', async () => {
    const result = await resolveMx('nullmx.example', { resolver });
    expect(result).toMatchObject({ status: 'permanent', reason: 'null-mx', enhancedCode: '5.1.10' });
  });

  it('SERVFAIL → transient 4.4.3', async () => {
    const result = await resolveMx('servfail.example', { resolver });
    expect(result).toMatchObject({ status: 'transient', reason: 'dns-tempfail', enhancedCode: '4.4.3' });
    if (result.status === 'transient') expect(result.message).toMatch(/ESERVFAIL/);
  });

  it('no answer (timeout) → transient 4.4.3', async () => {
    const result = await resolveMx('timeout.example', { resolver: quick });
    expect(result).toMatchObject({ status: 'transient', enhancedCode: '4.4.3' });
    if (result.status === 'transient') expect(result.message).toMatch(/ETIMEOUT/);
  });

  it('an IPv6-only MX host yields its AAAA addresses', async () => {
    const result = ok(await resolveMx('v6only.example', { resolver }));
    expect(result.hosts[0]?.addresses).toEqual([{ address: '2001:db8::25', family: 6, ttl: 300 }]);
    const v4only = await resolveMx('v6only.example', { resolver, addressOrder: 'ipv4-only' });
    expect(v4only).toMatchObject({ status: 'permanent', reason: 'no-usable-host' });
  });

  it('addressOrder puts the chosen family first, or uses only it', async () => {
    const v4 = ok(await resolveMx('dual.example', { resolver }));
    expect(v4.hosts[0]?.addresses.map((a) => a.address)).toEqual(['192.0.2.26', '2001:db8::26']);
    const v6 = ok(await resolveMx('dual.example', { resolver, addressOrder: 'ipv6-first' }));
    expect(v6.hosts[0]?.addresses.map((a) => a.address)).toEqual(['2001:db8::26', '192.0.2.26']);
    const only6 = ok(await resolveMx('dual.example', { resolver, addressOrder: 'ipv6-only' }));
    expect(only6.hosts[0]?.addresses.map((a) => a.address)).toEqual(['2001:db8::26']);
  });

  it('refuses private, loopback and link-local targets unless allowPrivate', async () => {
    const refused = await resolveMx('private.example', { resolver });
    expect(refused).toMatchObject({ status: 'permanent', reason: 'no-usable-host', enhancedCode: '5.4.4' });
    expect(refused.skipped.map((s) => [s.exchange, s.reason])).toEqual([
      ['internal.mx.example', 'private-address'],
      ['loopback.mx.example', 'private-address'],
      ['linklocal.mx.example', 'private-address'],
    ]);
    const allowed = ok(await resolveMx('private.example', { resolver, allowPrivate: true }));
    expect(allowed.hosts.map((h) => h.addresses.map((a) => a.address))).toEqual([
      ['10.0.0.5'],
      ['127.0.0.1', '::1'],
      ['169.254.1.1', 'fe80::1'],
    ]);
  });

  it('RFC 5890 IDN domain is looked up by its A-label', async () => {
    const result = ok(await resolveMx('Bücher.example', { resolver }));
    expect(result.domain).toBe('xn--bcher-kva.example');
    expect(result.hosts[0]).toMatchObject({ exchange: 'mx.xn--bcher-kva.example', priority: 5 });
    expect(dns.queries.some((q) => q.name.toLowerCase() === 'xn--bcher-kva.example' && q.type === 'MX')).toBe(
      true,
    );
  });

  it('an MX naming an IP address is skipped, as Postfix does; only such MX → permanent', async () => {
    const result = ok(await resolveMx('iplit.example', { resolver }));
    expect(result.hosts.map((h) => h.exchange)).toEqual(['b.mx.example']);
    expect(result.skipped).toEqual([{ exchange: '192.0.2.99', priority: 10, reason: 'ip-literal' }]);
    const only = await resolveMx('onlyiplit.example', { resolver });
    expect(only).toMatchObject({ status: 'permanent', reason: 'no-usable-host', enhancedCode: '5.4.4' });
  });

  it('an MX naming a CNAME is followed to its addresses, as Postfix does', async () => {
    const result = ok(await resolveMx('cname-mx.example', { resolver }));
    expect(result.hosts).toEqual([
      {
        exchange: 'alias.mx.example',
        priority: 10,
        addresses: [{ address: '192.0.2.1', family: 4, ttl: 300 }],
      },
    ]);
    const aliased = ok(await resolveMx('aliased-domain.example', { resolver }));
    expect(aliased.hosts.map((h) => h.exchange)).toEqual(['a.mx.example', 'b.mx.example', 'c.mx.example']);
  });

  it('a host whose lookup fails temporarily is skipped while a backup works; alone it is transient', async () => {
    const partial = ok(await resolveMx('partial.example', { resolver }));
    expect(partial.hosts.map((h) => h.exchange)).toEqual(['b.mx.example']);
    expect(partial.skipped[0]).toMatchObject({ exchange: 'broken.mx.example', reason: 'tempfail' });
    const all = await resolveMx('alltemp.example', { resolver });
    expect(all).toMatchObject({ status: 'transient', enhancedCode: '4.4.3' });
  });

  it('bounds the number of hosts looked up (maxHosts)', async () => {
    const result = ok(await resolveMx('many.example', { resolver, maxHosts: 3 }));
    expect(result.hosts.map((h) => h.exchange)).toEqual([
      'h0.many.example',
      'h1.many.example',
      'h2.many.example',
    ]);
    expect(result.skipped.filter((s) => s.reason === 'over-limit')).toHaveLength(12);
    const byDefault = ok(await resolveMx('many.example', { resolver }));
    expect(byDefault.hosts).toHaveLength(10);
  });
});
