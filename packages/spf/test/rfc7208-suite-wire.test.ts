/**
 * The openspf RFC 7208 suite again, over real DNS: each scenario's zonedata served by
 * @smtpkit/testing's loopback DNS server, queried with @smtpkit/dns's node:dns resolver.
 * Same cases, same expectations as rfc7208-suite.test.ts.
 *
 * One thing differs, and it is node:dns's, not SPF's: c-ares refuses to send a query for a
 * name with characters outside host-name syntax (`foo:bar/baz.example.com`, a name with
 * spaces) and answers EBADNAME, which the resolver reports as a temporary failure. The suite
 * has such names (they are legal DNS names). Those cases are listed below; each must either
 * pass or end in temperror with that EBADNAME problem, and nothing else may.
 */
import { createNodeResolver } from '@smtpkit/dns';
import { type DnsServer, startDnsServer } from '@smtpkit/testing';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { checkHost } from '../src/index';
import { identityOf, loadSuite, suiteAvailable } from './support/suite';

/** Suite cases whose target names c-ares refuses to query (EBADNAME). */
const CARES_REFUSES = new Set([
  'a-colon-domain',
  'a-colon-domain-ip4mapped',
  'mx-colon-domain',
  'mx-colon-domain-ip4mapped',
  'macro-mania-in-domain',
  'invalid-hello-macro',
  'hello-domain-literal',
]);

describe.skipIf(!suiteAvailable)('RFC 7208 test suite (loopback DNS server, node:dns resolver)', () => {
  const scenarios = suiteAvailable ? loadSuite() : [];
  let server: DnsServer;
  const tally = { passed: 0, refused: 0 };

  beforeAll(async () => {
    server = await startDnsServer({ zone: {} });
  });
  afterAll(async () => {
    await server?.close();
    process.stdout.write(
      `RFC 7208 suite over the wire: ${tally.passed} matched, ${tally.refused} refused by c-ares (EBADNAME)\n`,
    );
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
          const refused = r.result === 'temperror' && r.problems?.some((p) => p.includes('EBADNAME'));
          if (refused) {
            expect(CARES_REFUSES.has(c.id), `unexpected EBADNAME: ${JSON.stringify(r)}`).toBe(true);
            tally.refused++;
            return;
          }
          expect(c.results, JSON.stringify(r)).toContain(r.result);
          if (c.explanation !== undefined) expect(r.explanation).toBe(c.explanation);
          tally.passed++;
        });
      }
    });
  }
});
