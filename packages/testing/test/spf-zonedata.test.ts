// fromSpfZonedata follows the RFC 7208 suite's driver conventions, and the wire agrees with
// the in-memory resolver for every name of the real suite.
import { existsSync, readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { createNodeResolver, createStaticResolver, type DnsOutcome, type Resolver } from '@smtpkit/dns';
import { fromSpfZonedata, type SpfZonedata, startDnsServer } from '@smtpkit/testing';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parseAllDocuments } from 'yaml';

const SUITE = fileURLToPath(new URL('../../../../shared/corpora/spf/rfc7208-tests.yml', import.meta.url));

describe('fromSpfZonedata: the suite conventions', () => {
  it('copies SPF to TXT only where the name has no TXT entry; TXT: NONE suppresses the copy', () => {
    const zone = fromSpfZonedata({
      'both.example.net': [{ TXT: 'v=spf1 -all' }, { SPF: 'v=spf1 +all' }],
      'spfonly.example.net': [{ SPF: 'v=spf1 -all' }],
      'none.example.net': [{ SPF: 'v=spf1 -all' }, { TXT: 'NONE' }],
    });
    expect(zone['both.example.net']).toEqual({ txt: [['v=spf1 -all']] });
    expect(zone['spfonly.example.net']).toEqual({ txt: [['v=spf1 -all']] });
    expect(zone['none.example.net']).toEqual({});
  });

  it('bare TIMEOUT times out absent types; TYPE: TIMEOUT times out that type', () => {
    const zone = fromSpfZonedata({
      'all.example.net': ['TIMEOUT'],
      'txt.example.net': [{ A: '192.0.2.1' }, { TXT: 'TIMEOUT' }],
    });
    expect(zone['all.example.net']).toEqual({ faults: { otherwise: 'timeout' } });
    expect(zone['txt.example.net']).toEqual({ a: ['192.0.2.1'], faults: { txt: 'timeout' } });
  });

  it('lists are character-strings; MX is [preference, exchange]; A, AAAA, PTR, CNAME', () => {
    const zone = fromSpfZonedata({
      'x.example': [
        { SPF: ['v=spf1 ip4:', '192.0.2.5 -all'] },
        { SPF: [] },
        { MX: [0, 'mail.example'] },
        { A: '192.0.2.1' },
        { AAAA: 'CAFE:BABE::1' },
        { PTR: 'mail.example' },
      ],
      'y.example': [{ CNAME: 'x.example' }],
    });
    expect(zone['x.example']).toEqual({
      txt: [['v=spf1 ip4:', '192.0.2.5 -all'], []],
      mx: [{ priority: 0, exchange: 'mail.example' }],
      a: ['192.0.2.1'],
      aaaa: ['CAFE:BABE::1'],
      ptr: ['mail.example'],
    });
    expect(zone['y.example']).toEqual({ cname: 'x.example' });
    expect(() => fromSpfZonedata({ 'z.example': [{ HINFO: 'x' }] })).toThrow(TypeError);
  });

  it('YAML \\x escapes are code points, sent as UTF-8 and read back as written', async () => {
    const zonedata: SpfZonedata = {
      'hosed.example.com': [{ SPF: 'v=spf1 a:\u00ef\u00bb\u00bfgarbage.example.net -all' }],
    };
    const dns = await startDnsServer({ zone: zonedata });
    try {
      const resolver = createNodeResolver({ servers: [dns.address], timeout: 1000, tries: 2 });
      expect(await resolver.txt('hosed.example.com')).toEqual({
        status: 'found',
        records: [{ strings: ['v=spf1 a:\u00ef\u00bb\u00bfgarbage.example.net -all'] }],
      });
    } finally {
      await dns.close();
    }
  });
});

interface Scenario {
  readonly description: string;
  readonly zonedata: SpfZonedata;
}

const scenarios: Scenario[] = existsSync(SUITE)
  ? parseAllDocuments(readFileSync(SUITE, 'utf8'))
      .map((doc) => doc.toJS() as { description?: string; zonedata?: SpfZonedata } | null)
      .filter((doc): doc is { description: string; zonedata: SpfZonedata } => Boolean(doc?.zonedata))
  : [];
if (scenarios.length === 0) console.log(`skip: RFC 7208 suite not found at ${SUITE}`);

/** Compare outcomes without TTLs and failure texts (the wire and the static zone word them differently). */
function comparable(outcome: DnsOutcome<object>): unknown {
  if (outcome.status === 'tempfail') return { status: 'tempfail', reason: outcome.reason };
  if (outcome.status !== 'found') return outcome;
  return {
    status: 'found',
    records: outcome.records.map(({ ttl: _ttl, ...rest }: { ttl?: number }) => rest),
  };
}

describe.skipIf(scenarios.length === 0)('RFC 7208 suite zonedata over real DNS', () => {
  let dns: Awaited<ReturnType<typeof startDnsServer>>;
  beforeAll(async () => {
    dns = await startDnsServer({ zone: {} });
  });
  afterAll(async () => {
    await dns.close();
  });

  it('every name and type answers the same over UDP/TCP as from the static zone', async () => {
    // Names the zone makes time out are asked with a short timeout; every other query gets
    // time and a retry to spare, and queries go 20 at a time, so a busy machine can't turn
    // a slow answer into a timeout.
    const patient = createNodeResolver({ servers: [dns.address], timeout: 1000, tries: 3 });
    const quick = createNodeResolver({ servers: [dns.address], timeout: 200, tries: 1 });
    let compared = 0;
    const unusualNames = new Set<string>();
    for (const scenario of scenarios) {
      dns.setZone(scenario.zonedata);
      const memory: Resolver = createStaticResolver(fromSpfZonedata(scenario.zonedata));
      const queries = Object.keys(scenario.zonedata).flatMap((name) =>
        (['txt', 'a', 'aaaa', 'mx', 'ptr'] as const).map((type) => ({ name, type })),
      );
      for (let i = 0; i < queries.length; i += 20) {
        await Promise.all(
          queries.slice(i, i + 20).map(async ({ name, type }) => {
            const inMemory = await memory[type](name);
            const expectTimeout = inMemory.status === 'tempfail' && inMemory.reason === 'timeout';
            const overWire = await (expectTimeout ? quick : patient)[type](name);
            // Names c-ares refuses to send (':', '/', ' ', '%': EBADNAME) go through the
            // resolver's own RFC 1035 codec and must answer the same.
            if (/[^a-z0-9.\-_]/i.test(name)) unusualNames.add(name);
            expect({ name, type, outcome: comparable(overWire) }).toEqual({
              name,
              type,
              outcome: comparable(inMemory),
            });
            compared++;
          }),
        );
      }
    }
    expect(compared).toBeGreaterThan(1000);
    expect([...unusualNames].sort()).toEqual([
      'foo:bar/baz.example.com',
      'macro%percent  space%20url-space.example.com',
    ]);
  });
});
