/**
 * RFC 7208 §4.6.4 processing limits, counted on the resolver: no record, however hostile, makes
 * one evaluation do more DNS work than the limits allow, and nothing throws outside the result
 * type (fast-check over random records, zones and macro strings).
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { type CheckHostResult, checkHost } from '../src/index';
import { createZoneResolver, type ZoneData } from './support/zone-resolver';

const RESULTS = ['pass', 'fail', 'softfail', 'neutral', 'none', 'permerror', 'temperror'];

/**
 * Most resolver calls one evaluation can make with the default limits: the top TXT, 10 terms
 * of at most 1 + 10 lookups (mx: MX + 10 exchanges; ptr: PTR + 10 names), one %{p} walk
 * (PTR + 10, cached per evaluation) and one exp TXT.
 */
const MAX_CALLS = 1 + 10 * 11 + 11 + 1;

async function run(zone: ZoneData, domain = 'example.com', ip = '192.0.2.1', sender?: string) {
  const resolver = createZoneResolver(zone);
  const result = await checkHost(
    { ip, domain, sender: sender ?? `user@${domain}`, helo: 'mail.example.org' },
    { resolver, defaultExplanation: 'DEFAULT' },
  );
  return { result, calls: resolver.calls };
}

describe('§4.6.4 DNS-querying terms', () => {
  it('§4.6.4 ten terms are allowed, the eleventh is permerror without being queried', async () => {
    const ten = await run({
      'example.com': [{ TXT: `v=spf1 ${'a:x.example.com '.repeat(10)}-all` }],
      'x.example.com': [{ A: '198.51.100.1' }],
    });
    expect(ten.result).toMatchObject({ result: 'fail', lookups: { dns: 10, void: 0 } });
    const eleven = await run({
      'example.com': [{ TXT: `v=spf1 ${'a:x.example.com '.repeat(11)}-all` }],
      'x.example.com': [{ A: '198.51.100.1' }],
    });
    expect(eleven.result).toMatchObject({ result: 'permerror', lookups: { dns: 10 } });
    expect(eleven.calls).toBe(1 + 10);
  });
  it('§4.6.4 include and redirect count, and the count spans the whole evaluation', async () => {
    const loop = await run({ 'example.com': [{ TXT: 'v=spf1 include:example.com' }] });
    expect(loop.result.result).toBe('permerror');
    expect(loop.result.lookups.dns).toBe(10);
    expect(loop.calls).toBe(11);
  });
  it('§4.6.4 ip4, ip6, all and exp do not count', async () => {
    const r = await run({
      'example.com': [{ TXT: 'v=spf1 ip4:198.51.100.0/24 ip6:2001:db8::/32 exp=why.example.com -all' }],
      'why.example.com': [{ TXT: 'no: %{i}' }],
    });
    expect(r.result).toMatchObject({
      result: 'fail',
      explanation: 'no: 192.0.2.1',
      lookups: { dns: 0, void: 0 },
    });
  });
});

describe('§4.6.4 mx, ptr and void limits', () => {
  const mxZone = (n: number): ZoneData => ({
    'example.com': [
      { TXT: 'v=spf1 mx -all' },
      ...Array.from({ length: n }, (_, i) => ({ MX: [i, `mx${i}.example.com`] })),
    ],
    ...Object.fromEntries(
      Array.from({ length: n }, (_, i) => [
        `mx${i}.example.com`,
        [{ A: i === n - 1 ? '192.0.2.1' : '198.51.100.9' }],
      ]),
    ),
  });
  it('§4.6.4 ten MX names are looked up; their address lookups are not terms', async () => {
    const r = await run(mxZone(10));
    expect(r.result).toMatchObject({ result: 'pass', lookups: { dns: 1 } });
    expect(r.calls).toBe(1 + 1 + 10);
  });
  it('§4.6.4 more than ten MX names is permerror, before any address lookup', async () => {
    const r = await run(mxZone(11));
    expect(r.result.result).toBe('permerror');
    expect(r.calls).toBe(2);
  });
  it('§4.6.4 only the first ten PTR names are considered', async () => {
    const names = Array.from({ length: 11 }, (_, i) => ({ PTR: `h${i}.example.com` }));
    const zone: ZoneData = {
      'example.com': [{ TXT: 'v=spf1 ptr -all' }],
      '1.2.0.192.in-addr.arpa': names,
      'h10.example.com': [{ A: '192.0.2.1' }],
    };
    const r = await run(zone);
    expect(r.result.result).toBe('fail');
    expect(r.calls).toBeLessThanOrEqual(1 + 1 + 10);
  });
  it('§4.6.4 two void lookups are allowed, the third is permerror', async () => {
    const two = await run({ 'example.com': [{ TXT: 'v=spf1 a:n1.example.com mx:n2.example.com ?all' }] });
    expect(two.result).toMatchObject({ result: 'neutral', lookups: { void: 2 } });
    const three = await run({
      'example.com': [{ TXT: 'v=spf1 a:n1.example.com exists:n2.example.com a:n3.example.com ?all' }],
    });
    expect(three.result.result).toBe('permerror');
  });
  it('limits can be lowered', async () => {
    const resolver = createZoneResolver({ 'example.com': [{ TXT: 'v=spf1 a a -all' }] });
    const r = await checkHost(
      { ip: '192.0.2.1', domain: 'example.com', sender: 'u@example.com' },
      { resolver, limits: { dnsTerms: 1 } },
    );
    expect(r.result).toBe('permerror');
  });
});

// Random zones: a few names whose records are random term lists referring to each other.
const names = ['example.com', 'a.example.com', 'b.example.com', 'c.example.com'];
const nameArb = fc.constantFrom(
  ...names,
  'missing.example.com',
  '%{d}',
  '%{o}',
  '%{p}.example.com',
  '%{ir}.%{v}.example.com',
);
const termArb = fc.oneof(
  fc.constantFrom(
    'all',
    '-all',
    '~all',
    '?all',
    'a',
    'mx',
    'ptr',
    'a/24',
    'mx//64',
    'ip4:192.0.2.0/24',
    'ip6:::1',
  ),
  nameArb.map((n) => `include:${n}`),
  nameArb.map((n) => `a:${n}`),
  nameArb.map((n) => `mx:${n}`),
  nameArb.map((n) => `ptr:${n}`),
  nameArb.map((n) => `exists:${n}`),
  nameArb.map((n) => `redirect=${n}`),
  nameArb.map((n) => `exp=${n}`),
  fc.string({ maxLength: 12 }),
);
const qualifierArb = fc.constantFrom('', '+', '-', '~', '?');
const recordArb = fc
  .array(fc.tuple(qualifierArb, termArb), { maxLength: 14 })
  .map((terms) => `v=spf1 ${terms.map(([q, t]) => (t.includes('=') ? t : q + t)).join(' ')}`);
const entriesArb = fc.tuple(
  fc.array(recordArb, { minLength: 0, maxLength: 2 }),
  fc.array(fc.constantFrom(...names, 'missing.example.com'), { maxLength: 14 }),
  fc.array(fc.constantFrom('192.0.2.1', '198.51.100.1', '2001:db8::1'), { maxLength: 3 }),
  fc.boolean(),
);
const zoneArb = fc.tuple(...names.map(() => entriesArb)).map((perName) => {
  const zone: Record<string, (string | Record<string, unknown>)[]> = {};
  perName.forEach(([records, mx, addresses, timeout], i) => {
    const entries: (string | Record<string, unknown>)[] = [];
    for (const r of records) entries.push({ TXT: r });
    for (const [p, m] of mx.entries()) entries.push({ MX: [p, m] });
    for (const a of addresses) entries.push(a.includes(':') ? { AAAA: a } : { A: a });
    if (timeout) entries.push('TIMEOUT');
    zone[names[i]!] = entries;
  });
  zone['1.2.0.192.in-addr.arpa'] = Array.from({ length: 14 }, (_, i) => ({ PTR: names[i % names.length]! }));
  return zone as ZoneData;
});

function wellFormed(r: CheckHostResult): void {
  expect(RESULTS).toContain(r.result);
  expect(r.lookups.dns).toBeLessThanOrEqual(10);
  // The void counter may show the one lookup that crossed the limit.
  expect(r.lookups.void).toBeLessThanOrEqual(3);
}

describe('fast-check: hostile records stay inside the result type and the limits', () => {
  it('§4.6.4 random zones never throw and never exceed the lookup bound', async () => {
    await fc.assert(
      fc.asyncProperty(
        zoneArb,
        fc.constantFrom('192.0.2.1', '2001:db8::1', '::ffff:192.0.2.1'),
        async (zone, ip) => {
          const { result, calls } = await run(zone, 'example.com', ip);
          wellFormed(result);
          expect(calls).toBeLessThanOrEqual(MAX_CALLS);
        },
      ),
      { numRuns: 300 },
    );
  });

  it('§7 random macro strings in records and senders never throw', async () => {
    const macroChar = fc.constantFrom(
      '%',
      '{',
      '}',
      'd',
      'D',
      'l',
      'i',
      'p',
      'r',
      'R',
      '1',
      '0',
      '9',
      '.',
      '-',
      '+',
      '_',
      '=',
      'x',
      'a',
      '/',
    );
    const macroArb = fc.array(macroChar, { maxLength: 40 }).map((chars) => chars.join(''));
    await fc.assert(
      fc.asyncProperty(macroArb, macroArb, fc.string({ maxLength: 30 }), async (m1, m2, local) => {
        const zone: ZoneData = {
          'example.com': [{ TXT: `v=spf1 exists:${m1} a:${m1}.example.com exp=${m2} -all` }],
          'x.example.com': [{ TXT: m2 }],
        };
        const { result, calls } = await run(zone, 'example.com', '192.0.2.1', `${local}@example.com`);
        wellFormed(result);
        expect(calls).toBeLessThanOrEqual(MAX_CALLS);
        expect((result.explanation ?? '').length).toBeLessThanOrEqual(8192);
      }),
      { numRuns: 500 },
    );
  });
});
