/**
 * MX resolutions per second over real loopback DNS (@smtpkit/testing's startDnsServer, UDP):
 * @smtpkit/dns `resolveMx` (RFC 5321 §5.1 complete: NODATA vs NXDOMAIN, null MX, shuffle,
 * private-address refusal, both families) vs the plain node:dns code most projects write
 * (`resolveMx`, sort by priority, `resolve4`/`resolve6` per host). Then the same with
 * `withCache` in front, which is what a delivery worker runs.
 *
 * Run: `npx tsx bench/dns.bench.ts` (or `npm run bench -- dns`).
 */
import { Resolver as NodeResolver } from 'node:dns/promises';
import { createNodeResolver, resolveMx, withCache } from '@smtpkit/dns';
import { startDnsServer } from '@smtpkit/testing';

const dns = await startDnsServer({
  zone: {
    'example.test': {
      mx: [
        { priority: 10, exchange: 'mx1.example.test' },
        { priority: 10, exchange: 'mx2.example.test' },
        { priority: 20, exchange: 'backup.example.test' },
      ],
    },
    'mx1.example.test': { a: ['192.0.2.1'], aaaa: ['2001:db8::1'] },
    'mx2.example.test': { a: ['192.0.2.2'], aaaa: ['2001:db8::2'] },
    'backup.example.test': { a: ['192.0.2.3'] },
  },
});

/** What hand-written node:dns MX code usually looks like. */
async function naive(resolver: NodeResolver, domain: string) {
  const mx = (await resolver.resolveMx(domain)).sort((a, b) => a.priority - b.priority);
  return Promise.all(
    mx.map(async (m) => {
      const [v4, v6] = await Promise.all([
        resolver.resolve4(m.exchange).catch(() => []),
        resolver.resolve6(m.exchange).catch(() => []),
      ]);
      return { exchange: m.exchange, addresses: [...v4, ...v6] };
    }),
  );
}

async function measure(label: string, run: () => Promise<unknown>, ms = 2000): Promise<number> {
  for (let i = 0; i < 50; i++) await run(); // warm-up
  let count = 0;
  const start = performance.now();
  while (performance.now() - start < ms) {
    await run();
    count++;
  }
  const rate = count / ((performance.now() - start) / 1000);
  console.log(`${label.padEnd(46)} ${rate.toFixed(0).padStart(8)} resolutions/s`);
  return rate;
}

const nodeResolver = new NodeResolver({ timeout: 2000, tries: 2 });
nodeResolver.setServers([dns.address]);
const ours = createNodeResolver({ servers: [dns.address], timeout: 2000, tries: 2 });
const cached = withCache(ours);

// Alternate short rounds and take medians: the machine is shared, so noise hits both sides.
const rounds: Record<'naive' | 'ours' | 'cached', number[]> = { naive: [], ours: [], cached: [] };
for (let round = 0; round < 5; round++) {
  rounds.naive.push(
    await measure('node:dns by hand (resolveMx + A/AAAA)', () => naive(nodeResolver, 'example.test'), 500),
  );
  rounds.ours.push(
    await measure(
      '@smtpkit/dns resolveMx, no cache',
      () => resolveMx('example.test', { resolver: ours }),
      500,
    ),
  );
  rounds.cached.push(
    await measure(
      '@smtpkit/dns resolveMx, withCache',
      () => resolveMx('example.test', { resolver: cached }),
      500,
    ),
  );
}
const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)] ?? 0;
const [naiveRate, oursRate, cachedRate] = [median(rounds.naive), median(rounds.ours), median(rounds.cached)];
console.log(
  `\nmedian of 5 rounds: by hand ${naiveRate.toFixed(0)}/s, ours ${oursRate.toFixed(0)}/s, cached ${cachedRate.toFixed(0)}/s`,
);
console.log(`ratio ours/by-hand (both over UDP): ${(oursRate / naiveRate).toFixed(2)}×`);
console.log(`ratio cached/by-hand:               ${(cachedRate / naiveRate).toFixed(1)}×`);
console.log(`queries served by the loopback server: ${dns.queries.length}`);
await dns.close();
