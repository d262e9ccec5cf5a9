/**
 * SPF evaluations per second, @smtpkit/spf vs mailauth's `spf()`, with every DNS answer served
 * from the same in-memory zone (two thin adapters over one Map, so neither side touches the
 * network). Three policies: a top-level ip4 pass, a 3-deep include chain, and an mx mechanism
 * at the end of a 3-deep include chain. Each side produces its verdict and header text.
 *
 * Run: `npx tsx bench/spf.bench.ts` (or `npm run bench -- spf`).
 */
import { createRequire } from 'node:module';
import type { DnsOutcome, Resolver } from '@smtpkit/dns';
import { checkHost, formatReceivedSpf, formatSpfAuthenticationResult } from '@smtpkit/spf';

const require = createRequire(import.meta.url);
const { spf: mailauthSpf } = require('mailauth/lib/spf') as {
  spf: (opts: {
    sender: string;
    ip: string;
    helo: string;
    mta: string;
    resolver: (name: string, type: string) => Promise<unknown[]>;
  }) => Promise<{ status: { result: string }; header: string; info: string }>;
};

type Rr = { A?: string[]; AAAA?: string[]; MX?: { exchange: string; priority: number }[]; TXT?: string[][] };

/** The one zone both sides read. */
const zone = new Map<string, Rr>([
  ['top.example', { TXT: [['v=spf1 ip4:192.0.2.0/24 -all']] }],
  ['chain.example', { TXT: [['v=spf1 include:l1.chain.example -all']] }],
  ['l1.chain.example', { TXT: [['v=spf1 include:l2.chain.example -all']] }],
  ['l2.chain.example', { TXT: [['v=spf1 include:l3.chain.example -all']] }],
  ['l3.chain.example', { TXT: [['v=spf1 ip4:198.51.100.0/24 ip4:192.0.2.0/24 -all']] }],
  ['mx.example', { TXT: [['v=spf1 include:m1.mx.example -all']] }],
  ['m1.mx.example', { TXT: [['v=spf1 include:m2.mx.example -all']] }],
  ['m2.mx.example', { TXT: [['v=spf1 include:m3.mx.example -all']] }],
  [
    'm3.mx.example',
    {
      TXT: [['v=spf1 mx -all']],
      MX: [
        { exchange: 'a.mx.example', priority: 10 },
        { exchange: 'b.mx.example', priority: 20 },
      ],
    },
  ],
  ['a.mx.example', { A: ['203.0.113.1'] }],
  ['b.mx.example', { A: ['203.0.113.2', '192.0.2.10'] }],
]);

function answer<T>(name: string, pick: (rr: Rr) => T[] | undefined): DnsOutcome<T> {
  const rr = zone.get(name.toLowerCase());
  if (!rr) return { status: 'nxdomain' };
  const records = pick(rr);
  return records?.length ? { status: 'found', records } : { status: 'nodata' };
}

/** Our Resolver over the zone. */
const ours: Resolver = {
  txt: async (n) => answer(n, (rr) => rr.TXT?.map((strings) => ({ strings }))),
  a: async (n) => answer(n, (rr) => rr.A?.map((address) => ({ address }))),
  aaaa: async (n) => answer(n, (rr) => rr.AAAA?.map((address) => ({ address }))),
  mx: async (n) => answer(n, (rr) => rr.MX),
  ptr: async () => ({ status: 'nxdomain' }),
};

/** mailauth's resolver shape: `dns.promises.resolve(name, type)`, errors with ENOTFOUND/ENODATA. */
async function theirs(name: string, type: string): Promise<unknown[]> {
  const rr = zone.get(name.toLowerCase());
  const fail = (code: string) => Object.assign(new Error(`${code} ${name}`), { code });
  if (!rr) throw fail('ENOTFOUND');
  const records = rr[type as keyof Rr];
  if (!records?.length) throw fail('ENODATA');
  return records;
}

interface Case {
  readonly name: string;
  readonly domain: string;
  readonly ip: string;
}
const cases: Case[] = [
  { name: 'top-level ip4 pass', domain: 'top.example', ip: '192.0.2.10' },
  { name: 'include chain, depth 3', domain: 'chain.example', ip: '192.0.2.10' },
  { name: 'mx at include depth 3', domain: 'mx.example', ip: '192.0.2.10' },
];

async function runOurs(c: Case): Promise<string> {
  const sender = `alice@${c.domain}`;
  const r = await checkHost(
    { ip: c.ip, domain: c.domain, sender, helo: 'mail.sender.example' },
    { resolver: ours },
  );
  const context = {
    ip: c.ip,
    envelopeFrom: sender,
    helo: 'mail.sender.example',
    receiver: 'mx.bench.example',
  };
  formatReceivedSpf(r, context);
  formatSpfAuthenticationResult(r, context);
  return r.result;
}

async function runTheirs(c: Case): Promise<string> {
  const r = await mailauthSpf({
    sender: `alice@${c.domain}`,
    ip: c.ip,
    helo: 'mail.sender.example',
    mta: 'mx.bench.example',
    resolver: theirs,
  });
  return r.status.result;
}

async function rate(fn: () => Promise<unknown>, ms: number): Promise<number> {
  for (let i = 0; i < 500; i++) await fn(); // warm-up
  let n = 0;
  const start = performance.now();
  let elapsed = 0;
  while (elapsed < ms) {
    for (let i = 0; i < 100; i++) await fn();
    n += 100;
    elapsed = performance.now() - start;
  }
  return (n / elapsed) * 1000;
}

const ms = Number(process.env.BENCH_MS ?? 1500);
const fmt = (x: number) => `${(x / 1000).toFixed(1)}k/s`.padStart(10);
console.log(`SPF evaluations/s (all DNS from one in-memory zone), ${ms} ms per side per case`);
console.log(`${'case'.padEnd(26)}${'smtpkit'.padStart(10)}${'mailauth'.padStart(10)}   ratio`);
let worst = Number.POSITIVE_INFINITY;
for (const c of cases) {
  const [a, b] = [await runOurs(c), await runTheirs(c)];
  if (a !== 'pass' || b !== 'pass') throw new Error(`${c.name}: expected pass/pass, got ${a}/${b}`);
  const o = await rate(() => runOurs(c), ms);
  const t = await rate(() => runTheirs(c), ms);
  worst = Math.min(worst, o / t);
  console.log(`${c.name.padEnd(26)}${fmt(o)}${fmt(t)}   ${(o / t).toFixed(1)}×`);
}
console.log(`lowest ratio ${worst.toFixed(1)}× (target ≥ 3×)`);
