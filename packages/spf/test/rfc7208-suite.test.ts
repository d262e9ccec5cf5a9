/**
 * The openspf RFC 7208 test suite (203 cases), every case run, answered from each scenario's
 * zonedata by @smtpkit/dns's static (in-memory) resolver. The over-the-wire run of the same cases is in
 * rfc7208-suite-wire.test.ts.
 */
import { describe, expect, it } from 'vitest';
import { checkHost } from '../src/index';
import { identityOf, loadSuite, suiteAvailable } from './support/suite';
import { createZoneResolver } from './support/zone-resolver';

describe.skipIf(!suiteAvailable)('RFC 7208 test suite (createStaticResolver over the zonedata)', () => {
  const scenarios = suiteAvailable ? loadSuite() : [];

  it('has all 203 cases', () => {
    expect(scenarios.reduce((n, s) => n + s.cases.length, 0)).toBe(203);
  });

  for (const scenario of scenarios) {
    describe(scenario.description, () => {
      const resolver = createZoneResolver(scenario.zonedata);
      for (const c of scenario.cases) {
        it(`§${c.spec} ${c.id}`, async () => {
          const { domain, sender } = identityOf(c);
          const r = await checkHost(
            { ip: c.host, domain, sender, helo: c.helo },
            { resolver, defaultExplanation: 'DEFAULT', receiver: 'receiver.example.org' },
          );
          expect(c.results, JSON.stringify(r)).toContain(r.result);
          if (c.explanation !== undefined) expect(r.explanation).toBe(c.explanation);
          expect(r.lookups.dns).toBeLessThanOrEqual(10);
        });
      }
    });
  }
});
