// The deliverability preflight, offline: a loopback DNS server (@smtpkit/testing) serving a
// healthy zone and one zone per fault, a scripted SMTP peer and a closed port for port 25.
import { generateKeyPairSync } from 'node:crypto';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { formatKeyRecord } from '@smtpkit/dkim';
import { createNodeResolver, reverseName, type Zone, type ZoneNode } from '@smtpkit/dns';
import { type DnsServer, type SmtpPeer, startDnsServer, startSmtpPeer } from '@smtpkit/testing';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runPreflight } from './checks';
import { main, renderReport } from './cli';
import type { CheckResult, PreflightOptions, PreflightReport } from './types';

const IP = '192.0.2.5';
const DOMAIN = 'good.test';
const pem = (bits: number) =>
  generateKeyPairSync('rsa', { modulusLength: bits })
    .privateKey.export({ format: 'pem', type: 'pkcs8' })
    .toString();
const key = pem(2048);
const otherKey = pem(2048);
const weakKey = pem(512);

let dns: DnsServer;
let peer: SmtpPeer;
let closedPort: number;
let dir: string;

/** Everything right for DOMAIN sending from IP; `patch` breaks one thing. */
function zone(patch: Record<string, ZoneNode | undefined> = {}): Zone {
  const base: Record<string, ZoneNode | undefined> = {
    [DOMAIN]: { mx: [{ priority: 10, exchange: `mx.${DOMAIN}` }], txt: [`v=spf1 ip4:${IP} -all`] },
    [`mx.${DOMAIN}`]: { a: ['192.0.2.25'] },
    [`s1._domainkey.${DOMAIN}`]: { txt: [formatKeyRecord(key)] },
    [reverseName(IP)]: { ptr: [`mail.${DOMAIN}`] },
    [`mail.${DOMAIN}`]: { a: [IP] },
    [`_dmarc.${DOMAIN}`]: { txt: ['v=DMARC1; p=reject; rua=mailto:d@good.test'] },
    [`_mta-sts.${DOMAIN}`]: { txt: ['v=STSv1; id=20260101'] },
    'peer.test': { mx: [{ priority: 10, exchange: 'mx.peer.test' }] },
    'mx.peer.test': { a: ['127.0.0.1'] },
    ...patch,
  };
  return Object.fromEntries(Object.entries(base).filter((e): e is [string, ZoneNode] => e[1] !== undefined));
}

function options(extra: Partial<PreflightOptions> = {}): PreflightOptions {
  return {
    domain: DOMAIN,
    ip: IP,
    helo: `mail.${DOMAIN}`,
    dkimSelector: 's1',
    dkimPrivateKey: key,
    toMx: 'peer.test',
    smtpPort: peer.port,
    connectTimeout: 3000,
    dnsbls: ['bl.test', 'refused.test'],
    resolver: createNodeResolver({ servers: [dns.address], timeout: 1000, tries: 2 }),
    ...extra,
  };
}

async function run(patch: Record<string, ZoneNode | undefined>, extra: Partial<PreflightOptions> = {}) {
  dns.setZone(zone(patch));
  return runPreflight(options(extra));
}

const byId = (report: PreflightReport, id: CheckResult['id']) => {
  const check = report.checks.find((c) => c.id === id);
  if (!check) throw new Error(`no ${id} check`);
  return check;
};
/** The one check expected to be off; every other one must still pass. */
function expectOnly(report: PreflightReport, id: CheckResult['id'], status: 'warn' | 'fail') {
  const check = byId(report, id);
  expect(check.status, JSON.stringify(check)).toBe(status);
  expect(check.fix).toBeTruthy();
  for (const other of report.checks.filter((c) => c.id !== id)) {
    expect(other.status, JSON.stringify(other)).toBe('pass');
  }
  expect(report.ok).toBe(status !== 'fail');
  return check;
}

beforeAll(async () => {
  dns = await startDnsServer({ zone: zone() });
  peer = await startSmtpPeer({});
  const closed = createServer();
  await new Promise<void>((resolve) => closed.listen(0, '127.0.0.1', resolve));
  const address = closed.address();
  closedPort = typeof address === 'object' && address ? address.port : 0;
  await new Promise<void>((resolve) => closed.close(() => resolve()));
  dir = await mkdtemp(join(tmpdir(), 'preflight-'));
});
afterAll(async () => {
  await Promise.all([dns?.close(), peer?.close()]);
  if (dir) await rm(dir, { recursive: true, force: true });
});

describe('healthy zone', () => {
  it('every check passes', async () => {
    const report = await run({});
    expect(report.checks.map((c) => [c.id, c.status])).toEqual([
      ['mx', 'pass'],
      ['spf', 'pass'],
      ['dkim', 'pass'],
      ['reverse-dns', 'pass'],
      ['dnsbl', 'pass'],
      ['mta-sts', 'pass'],
      ['dmarc', 'pass'],
      ['port25', 'pass'],
    ]);
    expect(byId(report, 'spf').summary).toBe('pass (0/10 DNS lookups)');
    expect(byId(report, 'dkim').summary).toBe('RSA 2048-bit, matches the private key');
    expect(byId(report, 'reverse-dns').summary).toBe('mail.good.test (forward-confirmed, matches HELO)');
    expect(byId(report, 'port25').summary).toMatch(
      /^mx\.peer\.test \[127\.0\.0\.1\]:\d+ greeted in \d+ ms: 220 /,
    );
    expect(report.ok).toBe(true);
  });
});

describe('one fault per zone', () => {
  it('no PTR → reverse-dns fail with how to set it', async () => {
    const check = expectOnly(await run({ [reverseName(IP)]: undefined }), 'reverse-dns', 'fail');
    expect(check.summary).toBe('no PTR record at 5.2.0.192.in-addr.arpa');
    expect(check.fix).toContain('set its PTR to mail.good.test');
  });

  it('PTR not forward-confirmed → fail', async () => {
    const check = expectOnly(await run({ [`mail.${DOMAIN}`]: { a: ['192.0.2.99'] } }), 'reverse-dns', 'fail');
    expect(check.summary).toBe('PTR mail.good.test does not resolve back to 192.0.2.5');
  });

  it('HELO not the PTR name → warn', async () => {
    const check = expectOnly(await run({}, { helo: 'localhost.localdomain' }), 'reverse-dns', 'warn');
    expect(check.fix).toBe(
      'Use "mail.good.test" as the HELO/EHLO name (or point the PTR at localhost.localdomain).',
    );
  });

  it('listed on a test blocklist → dnsbl fail with the TXT reason', async () => {
    const report = await run({
      '5.2.0.192.bl.test': { a: ['127.0.0.2'], txt: ['Listed: https://bl.test/lookup?192.0.2.5'] },
    });
    const check = expectOnly(report, 'dnsbl', 'fail');
    expect(check.summary).toBe('listed on bl.test');
    expect(check.details).toEqual([
      'bl.test: LISTED (127.0.0.2) Listed: https://bl.test/lookup?192.0.2.5',
      'refused.test: not listed',
    ]);
  });

  it('refused-query code 127.255.255.254 → warn, not listed', async () => {
    const check = expectOnly(
      await run({ '5.2.0.192.refused.test': { a: ['127.255.255.254'] } }),
      'dnsbl',
      'warn',
    );
    expect(check.details?.[1]).toBe(
      'refused.test: unknown — refused.test refused the query (127.255.255.254)',
    );
    expect(check.fix).toContain('public resolvers are blocked');
  });

  it('SPF not listing the IP → fail with the mechanism to add', async () => {
    const check = expectOnly(
      await run({
        [DOMAIN]: {
          mx: [{ priority: 10, exchange: `mx.${DOMAIN}` }],
          txt: ['v=spf1 ip4:198.51.100.0/24 -all'],
        },
      }),
      'spf',
      'fail',
    );
    expect(check.summary).toBe('fail: 192.0.2.5 is not authorised');
    expect(check.fix).toBe('add "ip4:192.0.2.5" before the "all" of good.test\'s SPF record');
  });

  it('SPF over the 10-lookup limit → permerror fail', async () => {
    const includes: Record<string, ZoneNode> = {};
    for (let i = 1; i <= 11; i++) includes[`i${i}.good.test`] = { txt: ['v=spf1 -all'] };
    const record = `v=spf1 ${Object.keys(includes)
      .map((n) => `include:${n}`)
      .join(' ')} ip4:${IP} -all`;
    const check = expectOnly(
      await run({
        ...includes,
        [DOMAIN]: { mx: [{ priority: 10, exchange: `mx.${DOMAIN}` }], txt: [record] },
      }),
      'spf',
      'fail',
    );
    expect(check.summary).toMatch(/^permerror: more than 10 DNS-querying terms/);
    expect(check.fix).toContain('flatten includes');
  });

  it('SPF passing for this IP but over the limit for others → warn', async () => {
    const includes: Record<string, ZoneNode> = {};
    for (let i = 1; i <= 11; i++) includes[`i${i}.good.test`] = { txt: ['v=spf1 -all'] };
    const record = `v=spf1 ip4:${IP} ${Object.keys(includes)
      .map((n) => `include:${n}`)
      .join(' ')} -all`;
    const check = expectOnly(
      await run({
        ...includes,
        [DOMAIN]: { mx: [{ priority: 10, exchange: `mx.${DOMAIN}` }], txt: [record] },
      }),
      'spf',
      'warn',
    );
    expect(check.summary).toBe(
      'pass, but the record needs more than 10 DNS lookups for other addresses (permerror)',
    );
    expect(check.details).toContain('DNS lookups used: 0/10 (for an unlisted address: over 10)');
  });

  it('missing DKIM key → fail with the record to publish', async () => {
    const check = expectOnly(await run({ [`s1._domainkey.${DOMAIN}`]: undefined }), 'dkim', 'fail');
    expect(check.fix).toBe(`Publish TXT at s1._domainkey.good.test: "${formatKeyRecord(key)}"`);
  });

  it('weak (512-bit) DKIM key → fail', async () => {
    const report = await run(
      { [`s1._domainkey.${DOMAIN}`]: { txt: [formatKeyRecord(weakKey)] } },
      { dkimPrivateKey: weakKey },
    );
    const check = expectOnly(report, 'dkim', 'fail');
    expect(check.summary).toMatch(/^RSA 512-bit: too weak/);
  });

  it('DKIM key not matching the private key → fail', async () => {
    const check = expectOnly(
      await run({ [`s1._domainkey.${DOMAIN}`]: { txt: [formatKeyRecord(otherKey)] } }),
      'dkim',
      'fail',
    );
    expect(check.summary).toBe('RSA 2048-bit, but it does not match the private key: signatures will fail');
  });

  it('Ed25519 key record (RFC 8463) passes', async () => {
    const ed = generateKeyPairSync('ed25519').privateKey.export({ format: 'pem', type: 'pkcs8' }).toString();
    const report = await run(
      { [`s1._domainkey.${DOMAIN}`]: { txt: [formatKeyRecord(ed)] } },
      { dkimPrivateKey: ed },
    );
    expect(byId(report, 'dkim')).toMatchObject({
      status: 'pass',
      summary: 'Ed25519, matches the private key',
    });
  });

  it('no DMARC → fail; no MTA-STS → warn', async () => {
    expectOnly(await run({ [`_dmarc.${DOMAIN}`]: undefined }), 'dmarc', 'fail');
    expectOnly(await run({ [`_mta-sts.${DOMAIN}`]: undefined }), 'mta-sts', 'warn');
  });

  it('port 25 closed → fail, with the smart-host alternatives', async () => {
    const check = expectOnly(await run({}, { smtpPort: closedPort }), 'port25', 'fail');
    expect(check.summary).toMatch(/^cannot reach mx\.peer\.test \[127\.0\.0\.1\]:\d+: .*ECONNREFUSED/);
    expect(check.details?.join('\n')).toContain('port 587 with STARTTLS');
    expect(check.details?.join('\n')).toContain('port 465 with implicit TLS');
  });

  it('a peer refusing at connect (554) → warn', async () => {
    const refusing = await startSmtpPeer({
      replies: { connect: { code: 554, enhanced: '5.7.1', text: 'no thanks' } },
    });
    try {
      const check = expectOnly(await run({}, { smtpPort: refusing.port }), 'port25', 'warn');
      expect(check.summary).toContain('answered 554');
    } finally {
      await refusing.close();
    }
  });
});

describe('CLI', () => {
  const argv = (extra: string[] = []) => [
    '--domain',
    DOMAIN,
    '--ip',
    IP,
    '--helo',
    `mail.${DOMAIN}`,
    '--dkim-selector',
    's1',
    '--to-mx',
    'peer.test',
    '--port',
    String(peer.port),
    '--dnsbl',
    'bl.test',
    '--resolver',
    dns.address,
    ...extra,
  ];

  it('--json, exit 0 for a healthy domain', async () => {
    dns.setZone(zone());
    const keyFile = join(dir, 'key.pem');
    await writeFile(keyFile, key);
    let out = '';
    const code = await main(argv(['--dkim-key', keyFile, '--json']), {
      write: (t) => (out += t),
      color: false,
    });
    expect(code).toBe(0);
    const report = JSON.parse(out) as PreflightReport;
    expect(report.ok).toBe(true);
    expect(report.checks).toHaveLength(8);
  });

  it('text with colours on a TTY, exit 1 when a check fails', async () => {
    dns.setZone(zone({ [reverseName(IP)]: undefined }));
    let out = '';
    const code = await main(argv(), { write: (t) => (out += t), color: true });
    expect(code).toBe(1);
    expect(out).toContain('\x1b[31mFAIL\x1b[0m  PTR and FCrDNS of 192.0.2.5: no PTR record');
    expect(out).toContain('\x1b[32mPASS\x1b[0m  MX of good.test');
  });

  it('usage errors exit 2', async () => {
    let out = '';
    expect(
      await main(['--ip', 'nope', '--domain', 'x.test'], { write: (t) => (out += t), color: false }),
    ).toBe(2);
    expect(out).toContain('--ip must be an IPv4 or IPv6 address');
  });

  it('renders a report without colours when not on a TTY', async () => {
    const report = await run({});
    expect(renderReport(report, false)).not.toContain('\x1b[');
  });
});
