// Forward-confirmed reverse DNS (RFC 8601 §3 iprev) and DNS blocklists (RFC 5782), against
// the in-memory resolver and the same zone over loopback UDP/TCP.
import {
  checkDnsbl,
  createNodeResolver,
  createStaticResolver,
  dnsblQueryName,
  type Resolver,
  reverseName,
  verifyReverseDns,
  type Zone,
} from '@smtpkit/dns';
import { type DnsServer, startDnsServer } from '@smtpkit/testing';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

const V6 = '2001:db8::25';
const zone: Zone = {
  [reverseName('192.0.2.5')]: { ptr: ['mail.example.com'] },
  'mail.example.com': { a: ['192.0.2.5'], aaaa: [V6] },
  [reverseName(V6)]: { ptr: ['mail.example.com'] },
  // PTR names that do not lead back, one of them among a confirmed one.
  [reverseName('192.0.2.6')]: { ptr: ['liar.example.com', 'gone.example.com'] },
  'liar.example.com': { a: ['192.0.2.99'] },
  [reverseName('192.0.2.7')]: { ptr: ['liar.example.com', 'mail7.example.com'] },
  'mail7.example.com': { a: ['192.0.2.7'] },
  [reverseName('192.0.2.8')]: { ptr: ['broken.example.com'] },
  'broken.example.com': { fault: 'servfail' },
  [reverseName('192.0.2.9')]: { fault: 'servfail' },
  [reverseName('192.0.2.10')]: { ptr: Array.from({ length: 15 }, (_, i) => `h${i}.example.com`) },
  'h14.example.com': { a: ['192.0.2.10'] },
  // Blocklists.
  '5.2.0.192.bl.test': { a: ['127.0.0.2', '127.0.0.4'], txt: ['Listed: see https://bl.test/q?192.0.2.5'] },
  '5.2.0.192.notxt.test': { a: ['127.0.0.3'] },
  '5.2.0.192.refused.test': { a: ['127.255.255.254'] },
  '5.2.0.192.hijack.test': { a: ['198.51.100.1'] },
  '5.2.0.192.down.test': { fault: 'servfail' },
  [`${reverseName(V6).replace('.ip6.arpa', '')}.bl.test`]: { a: ['127.0.0.2'], txt: ['v6 listed'] },
};

describe('dnsblQueryName (RFC 5782 §2.1, §2.4)', () => {
  it('reverses IPv4 octets and IPv6 nibbles; IPv4-mapped is IPv4', () => {
    expect(dnsblQueryName('192.0.2.5', 'Zen.Example.')).toBe('5.2.0.192.zen.example');
    expect(dnsblQueryName('::ffff:192.0.2.5', 'bl.test')).toBe('5.2.0.192.bl.test');
    expect(dnsblQueryName('2001:db8::1', 'bl.test')).toBe(
      '1.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.8.b.d.0.1.0.0.2.bl.test',
    );
    expect(() => dnsblQueryName('nope', 'bl.test')).toThrow(TypeError);
  });
});

function suite(label: string, makeResolver: () => Resolver) {
  describe(`${label}: verifyReverseDns`, () => {
    it('iprev pass: the PTR name resolves back (IPv4 and IPv6 nibbles)', async () => {
      const resolver = makeResolver();
      expect(await verifyReverseDns('192.0.2.5', { resolver })).toEqual({
        status: 'confirmed',
        ip: '192.0.2.5',
        reverseName: '5.2.0.192.in-addr.arpa',
        confirmed: ['mail.example.com'],
        unconfirmed: [],
        ignored: [],
      });
      expect(await verifyReverseDns('2001:DB8:0::25', { resolver })).toMatchObject({
        status: 'confirmed',
        ip: V6,
        confirmed: ['mail.example.com'],
      });
      expect(await verifyReverseDns('::ffff:192.0.2.5', { resolver })).toMatchObject({ status: 'confirmed' });
    });

    it('no PTR → none; PTR names that do not resolve back → unconfirmed', async () => {
      const resolver = makeResolver();
      expect(await verifyReverseDns('192.0.2.200', { resolver })).toMatchObject({
        status: 'none',
        confirmed: [],
      });
      expect(await verifyReverseDns('192.0.2.6', { resolver })).toMatchObject({
        status: 'unconfirmed',
        unconfirmed: ['liar.example.com', 'gone.example.com'],
      });
      expect(await verifyReverseDns('192.0.2.7', { resolver })).toMatchObject({
        status: 'confirmed',
        confirmed: ['mail7.example.com'],
        unconfirmed: ['liar.example.com'],
      });
    });

    it('a temporary failure of the PTR or forward lookup is tempfail, typed', async () => {
      const resolver = makeResolver();
      expect(await verifyReverseDns('192.0.2.9', { resolver })).toMatchObject({
        status: 'tempfail',
        failure: { reason: 'servfail' },
      });
      expect(await verifyReverseDns('192.0.2.8', { resolver })).toMatchObject({
        status: 'tempfail',
        unconfirmed: ['broken.example.com'],
        failure: { reason: 'servfail' },
      });
    });

    it('PTR names past maxNames are not looked up', async () => {
      const resolver = makeResolver();
      const r = await verifyReverseDns('192.0.2.10', { resolver });
      expect(r.status).toBe('unconfirmed'); // the one that would confirm is the 15th
      expect(r.unconfirmed).toHaveLength(10);
      expect(r.ignored).toHaveLength(5);
      expect(await verifyReverseDns('192.0.2.10', { resolver, maxNames: 15 })).toMatchObject({
        status: 'confirmed',
        confirmed: ['h14.example.com'],
      });
    });
  });

  describe(`${label}: checkDnsbl`, () => {
    it('127.0.0.x is listed with codes and TXT reason; NXDOMAIN is not listed', async () => {
      const resolver = makeResolver();
      expect(await checkDnsbl('192.0.2.5', ['bl.test', 'notxt.test', 'clean.test'], { resolver })).toEqual([
        {
          zone: 'bl.test',
          status: 'listed',
          codes: ['127.0.0.2', '127.0.0.4'],
          reason: 'Listed: see https://bl.test/q?192.0.2.5',
        },
        { zone: 'notxt.test', status: 'listed', codes: ['127.0.0.3'] },
        { zone: 'clean.test', status: 'not-listed' },
      ]);
      expect(await checkDnsbl(V6, ['bl.test'], { resolver })).toEqual([
        { zone: 'bl.test', status: 'listed', codes: ['127.0.0.2'], reason: 'v6 listed' },
      ]);
    });

    it('127.255.255.x refused, answers outside 127/8 and DNS failures are unknown, never listed', async () => {
      const resolver = makeResolver();
      const [refused, hijack, down] = await checkDnsbl(
        '192.0.2.5',
        ['refused.test', 'hijack.test', 'down.test'],
        {
          resolver,
        },
      );
      expect(refused).toMatchObject({ status: 'unknown', why: 'refused', codes: ['127.255.255.254'] });
      expect(hijack).toMatchObject({ status: 'unknown', why: 'invalid-answer', codes: ['198.51.100.1'] });
      expect(down).toMatchObject({ status: 'unknown', why: 'tempfail', failureReason: 'servfail' });
    });
  });
}

suite('in memory', () => createStaticResolver(zone));

let dns: DnsServer;
beforeAll(async () => {
  dns = await startDnsServer({ zone });
});
afterAll(async () => {
  await dns.close();
});
suite('over loopback DNS', () => createNodeResolver({ servers: [dns.address], timeout: 1000, tries: 2 }));
