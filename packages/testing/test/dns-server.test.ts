// startDnsServer answers what node:dns (c-ares) asks, over UDP and TCP, like `dig` would see it.
import { Resolver } from 'node:dns/promises';
import { createNodeResolver, reverseName } from '@smtpkit/dns';
import { type DnsServer, startDnsServer } from '@smtpkit/testing';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

const LONG = `v=DKIM1; k=rsa; p=${'A'.repeat(600)}`;

let dns: DnsServer;
let node: Resolver;
/** For the "no answer" cases only: everything else gets time to spare on a busy machine. */
let quickNode: Resolver;

beforeAll(async () => {
  dns = await startDnsServer({
    zone: {
      'example.test': {
        a: ['192.0.2.1', '192.0.2.2'],
        aaaa: ['2001:db8::1'],
        mx: [{ priority: 10, exchange: 'mx.example.test' }],
        txt: ['v=spf1 -all', ['part one ', 'part two']],
        ttl: 120,
      },
      'sel._domainkey.example.test': { txt: [LONG] },
      [reverseName('192.0.2.1')]: { ptr: ['mail.example.test'] },
      [reverseName('2001:db8::1')]: { ptr: ['v6.example.test'] },
      'www.example.test': { cname: 'example.test' },
      'dangling.example.test': { cname: 'nowhere.example.test' },
      'null.example.test': { mx: [{ priority: 0, exchange: '' }] },
      'servfail.example.test': { fault: 'servfail' },
      'refused.example.test': { fault: 'refused' },
      'timeout.example.test': { fault: 'timeout' },
      'txt-timeout.example.test': { a: ['192.0.2.9'], faults: { txt: 'timeout' } },
      'otherwise.example.test': { a: ['192.0.2.8'], faults: { otherwise: 'timeout' } },
      'tc.example.test': { a: ['192.0.2.7'], truncate: true },
    },
  });
  node = new Resolver({ timeout: 1000, tries: 2 });
  node.setServers([dns.address]);
  quickNode = new Resolver({ timeout: 200, tries: 1 });
  quickNode.setServers([dns.address]);
});

afterAll(async () => {
  await dns.close();
});

describe('startDnsServer answers node:dns queries over UDP', () => {
  it('binds UDP and TCP on one free loopback port', () => {
    expect(dns.host).toBe('127.0.0.1');
    expect(dns.port).toBeGreaterThan(0);
    expect(dns.address).toBe(`127.0.0.1:${dns.port}`);
  });

  it('A and AAAA with TTLs', async () => {
    expect(await node.resolve4('example.test', { ttl: true })).toEqual([
      { address: '192.0.2.1', ttl: 120 },
      { address: '192.0.2.2', ttl: 120 },
    ]);
    expect(await node.resolve6('example.test')).toEqual(['2001:db8::1']);
  });

  it('MX, including the RFC 7505 null MX', async () => {
    expect(await node.resolveMx('example.test')).toEqual([{ exchange: 'mx.example.test', priority: 10 }]);
    expect(await node.resolveMx('null.example.test')).toEqual([{ exchange: '', priority: 0 }]);
  });

  it('TXT as character-strings: several per record, and a long value split at 255 octets', async () => {
    expect(await node.resolveTxt('example.test')).toEqual([['v=spf1 -all'], ['part one ', 'part two']]);
    const [long] = await node.resolveTxt('sel._domainkey.example.test');
    expect(long?.map((s) => s.length)).toEqual([255, 255, 108]);
    expect(long?.join('')).toBe(LONG);
  });

  it('PTR under in-addr.arpa and ip6.arpa', async () => {
    expect(await node.reverse('192.0.2.1')).toEqual(['mail.example.test']);
    expect(await node.reverse('2001:db8::1')).toEqual(['v6.example.test']);
  });

  it('CNAME, and other types followed through it (RFC 1034 §3.6.2)', async () => {
    expect(await node.resolveCname('www.example.test')).toEqual(['example.test']);
    expect(await node.resolve4('www.example.test')).toEqual(['192.0.2.1', '192.0.2.2']);
    // A CNAME to a name outside the zone: NOERROR with only the CNAME; c-ares returns [].
    expect(await node.resolve4('dangling.example.test')).toEqual([]);
    const resolver = createNodeResolver({ servers: [dns.address], timeout: 1000, tries: 2 });
    expect(await resolver.a('dangling.example.test')).toEqual({ status: 'nodata' });
  });

  it('NXDOMAIN for an absent name, NODATA for an absent type', async () => {
    await expect(node.resolve4('absent.example.test')).rejects.toMatchObject({ code: 'ENOTFOUND' });
    await expect(node.resolvePtr('example.test')).rejects.toMatchObject({ code: 'ENODATA' });
  });

  it('injected SERVFAIL, REFUSED and silence (timeout)', async () => {
    await expect(node.resolve4('servfail.example.test')).rejects.toMatchObject({ code: 'ESERVFAIL' });
    await expect(node.resolve4('refused.example.test')).rejects.toMatchObject({ code: 'EREFUSED' });
    await expect(quickNode.resolve4('timeout.example.test')).rejects.toMatchObject({ code: 'ETIMEOUT' });
  });

  it('per-type faults, and `otherwise` for types the name lacks', async () => {
    expect(await node.resolve4('txt-timeout.example.test')).toEqual(['192.0.2.9']);
    await expect(quickNode.resolveTxt('txt-timeout.example.test')).rejects.toMatchObject({
      code: 'ETIMEOUT',
    });
    expect(await node.resolve4('otherwise.example.test')).toEqual(['192.0.2.8']);
    await expect(quickNode.resolveMx('otherwise.example.test')).rejects.toMatchObject({ code: 'ETIMEOUT' });
  });

  it('RFC 7766 §5 truncation: TC over UDP makes the client retry over TCP', async () => {
    const before = dns.queries.length;
    expect(await node.resolve4('tc.example.test')).toEqual(['192.0.2.7']);
    const asked = dns.queries.slice(before).filter((q) => q.name === 'tc.example.test');
    expect(asked.map((q) => q.transport)).toEqual(['udp', 'tcp']);
  });

  it('RFC 1035 §4.2.1 an answer over 512 octets is truncated on UDP and served over TCP', async () => {
    const before = dns.queries.length;
    await node.resolveTxt('sel._domainkey.example.test');
    const asked = dns.queries.slice(before).map((q) => q.transport);
    expect(asked).toEqual(['udp', 'tcp']);
  });

  it('listens on ::1 too, UDP and TCP', async () => {
    const v6 = await startDnsServer({
      zone: { 'v6.test': { aaaa: ['2001:db8::6'], truncate: true } },
      host: '::1',
    });
    try {
      expect(v6.address).toBe(`[::1]:${v6.port}`);
      const resolver = createNodeResolver({ servers: [v6.address], timeout: 1000, tries: 2 });
      expect(await resolver.aaaa('v6.test')).toMatchObject({
        status: 'found',
        records: [{ address: '2001:db8::6' }],
      });
      expect(v6.queries.map((q) => q.transport)).toEqual(['udp', 'tcp']);
    } finally {
      await v6.close();
    }
  });

  it('serves a replaced zone from the next query on', async () => {
    const other = await startDnsServer({ zone: { 'a.test': { a: ['192.0.2.30'] } } });
    try {
      const resolver = createNodeResolver({ servers: [other.address], timeout: 1000, tries: 2 });
      expect(await resolver.a('a.test')).toMatchObject({ status: 'found' });
      other.setZone({ 'b.test': { a: ['192.0.2.31'] } });
      expect(await resolver.a('a.test')).toEqual({ status: 'nxdomain' });
      expect(await resolver.a('b.test')).toMatchObject({
        status: 'found',
        records: [{ address: '192.0.2.31' }],
      });
    } finally {
      await other.close();
    }
  });
});

describe('createNodeResolver maps node:dns outcomes to values', () => {
  it('found / nxdomain / nodata / tempfail (servfail, refused, timeout)', async () => {
    const resolver = createNodeResolver({ servers: [dns.address], timeout: 1000, tries: 2 });
    expect(await resolver.txt('example.test')).toEqual({
      status: 'found',
      records: [{ strings: ['v=spf1 -all'] }, { strings: ['part one ', 'part two'] }],
    });
    expect(await resolver.ptr(reverseName('192.0.2.1'))).toEqual({
      status: 'found',
      records: [{ name: 'mail.example.test' }],
    });
    expect(await resolver.cname?.('www.example.test')).toEqual({
      status: 'found',
      records: [{ name: 'example.test' }],
    });
    expect(await resolver.mx('absent.example.test')).toEqual({ status: 'nxdomain' });
    expect(await resolver.aaaa('mx.example.test')).toEqual({ status: 'nxdomain' });
    expect(await resolver.ptr('example.test')).toEqual({ status: 'nodata' });
    expect(await resolver.a('servfail.example.test')).toMatchObject({
      status: 'tempfail',
      reason: 'servfail',
    });
    expect(await resolver.a('refused.example.test')).toMatchObject({ status: 'tempfail', reason: 'refused' });
    const quick = createNodeResolver({ servers: [dns.address], timeout: 200, tries: 1 });
    expect(await quick.a('timeout.example.test')).toMatchObject({ status: 'tempfail', reason: 'timeout' });
  });

  it('a closed port is a temporary failure, not an exception', async () => {
    const closed = await startDnsServer({ zone: {} });
    const address = closed.address;
    await closed.close();
    const resolver = createNodeResolver({ servers: [address], timeout: 200, tries: 1 });
    expect(await resolver.a('example.test')).toMatchObject({ status: 'tempfail' });
  });

  it('caller bugs throw TypeError; an aborted lookup rejects with the reason', async () => {
    const resolver = createNodeResolver({ servers: [dns.address], timeout: 200, tries: 1 });
    await expect(resolver.a('')).rejects.toBeInstanceOf(TypeError);
    await expect(resolver.a(`${'x'.repeat(64)}.test`)).rejects.toBeInstanceOf(TypeError);
    await expect(resolver.a('a..b')).rejects.toBeInstanceOf(TypeError);
    const controller = new AbortController();
    const pending = resolver.a('timeout.example.test', { signal: controller.signal });
    controller.abort(new Error('stop'));
    await expect(pending).rejects.toThrow('stop');
    expect(() => createNodeResolver({ timeout: 0 })).toThrow(RangeError);
  });
});
