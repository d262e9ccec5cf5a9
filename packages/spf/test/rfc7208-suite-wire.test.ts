/**
 * The openspf RFC 7208 suite again, over real DNS: each scenario's zonedata served by
 * @smtpkit/testing's loopback DNS server, queried with @smtpkit/dns's node:dns resolver.
 * Same cases, same expectations as rfc7208-suite.test.ts — all 203 must match, including
 * those whose names c-ares refuses to send (`foo:bar/baz.example.com`, names with spaces or
 * `%`): the resolver asks those through its own RFC 1035 codec.
 */
import { createNodeResolver } from '@smtpkit/dns';
import { type DnsServer, startDnsServer } from '@smtpkit/testing';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { checkHost } from '../src/index';
import { identityOf, loadSuite, suiteAvailable } from './support/suite';

describe.skipIf(!suiteAvailable)('RFC 7208 test suite (loopback DNS server, node:dns resolver)', () => {
  const scenarios = suiteAvailable ? loadSuite() : [];
  let server: DnsServer;
  const tally = { passed: 0 };

  beforeAll(async () => {
    server = await startDnsServer({ zone: {} });
  });
  afterAll(async () => {
    await server?.close();
    process.stdout.write(`RFC 7208 suite over the wire: ${tally.passed} matched\n`);
  });

  it('has all 203 cases', () => {
    expect(scenarios.reduce((n, s) => n + s.cases.length, 0)).toBe(203);
  });

  for (const scenario of scenarios) {
    describe(scenario.description, () => {
      beforeAll(() => server.setZone(scenario.zonedata));
      for (const c of scenario.cases) {
        it(`§${c.spec} ${c.id}`, async () => {
          // TIMEOUT entries are dropped queries: a short timeout keeps those cases quick.
          const resolver = createNodeResolver({ servers: [server.address], timeout: 250, tries: 1 });
          const { domain, sender } = identityOf(c);
          const r = await checkHost(
            { ip: c.host, domain, sender, helo: c.helo },
            { resolver, defaultExplanation: 'DEFAULT', receiver: 'receiver.example.org' },
          );
          expect(c.results, JSON.stringify(r)).toContain(r.result);
          if (c.explanation !== undefined) expect(r.explanation).toBe(c.explanation);
          tally.passed++;
        });
      }
    });
  }
});
