// createNodeResolver over loopback for names c-ares refuses to send (EBADNAME): they go out
// through the RFC 1035 codec to the same servers and come back as the same outcomes.
import { createSocket, type Socket } from 'node:dgram';
import { createNodeResolver } from '@smtpkit/dns';
import { type DnsServer, startDnsServer } from '@smtpkit/testing';
import * as packet from 'dns-packet';
import fc from 'fast-check';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

const ODD = 'foo:bar/baz.example.com';
let dns: DnsServer;

beforeAll(async () => {
  dns = await startDnsServer({
    zone: {
      [ODD]: {
        a: ['192.0.2.1'],
        aaaa: ['2001:db8::1'],
        mx: [{ priority: 10, exchange: 'mx.example.com' }],
        txt: ['v=spf1 -all'],
        ptr: ['ptr.example.com'],
        ttl: 60,
      },
      'a b.example': { cname: 'target.example' },
      'target.example': { a: ['192.0.2.7'] },
      'big%20.example': { txt: ['x'.repeat(2000)], truncate: true },
      'sf%.example': { fault: 'servfail' },
      'rf%.example': { fault: 'refused' },
      'slow%.example': { fault: 'timeout' },
    },
  });
});
afterAll(async () => {
  await dns.close();
});

const resolverFor = (servers: string[], timeout = 1000, tries = 2) =>
  createNodeResolver({ servers, timeout, tries });

describe('names outside host-name syntax (RFC 2181 §11) over UDP/TCP', () => {
  it('A, AAAA, MX, TXT, PTR answers with TTLs', async () => {
    const r = resolverFor([dns.address]);
    expect(await r.a(ODD)).toEqual({ status: 'found', records: [{ address: '192.0.2.1', ttl: 60 }] });
    expect(await r.aaaa(ODD)).toEqual({ status: 'found', records: [{ address: '2001:db8::1', ttl: 60 }] });
    expect(await r.mx(ODD)).toEqual({
      status: 'found',
      records: [{ exchange: 'mx.example.com', priority: 10, ttl: 60 }],
    });
    expect(await r.txt(ODD)).toEqual({ status: 'found', records: [{ strings: ['v=spf1 -all'], ttl: 60 }] });
    expect(await r.ptr(ODD)).toEqual({ status: 'found', records: [{ name: 'ptr.example.com', ttl: 60 }] });
    expect(dns.queries.some((q) => q.name === ODD && q.type === 'TXT' && q.transport === 'udp')).toBe(true);
  });

  it('NXDOMAIN, NODATA, and a CNAME followed (RFC 1034 §3.6.2)', async () => {
    const r = resolverFor([dns.address]);
    expect(await r.a('no such.example')).toEqual({ status: 'nxdomain' });
    expect(await r.aaaa('a b.example')).toEqual({ status: 'nodata' });
    expect(await r.a('a b.example')).toMatchObject({ status: 'found', records: [{ address: '192.0.2.7' }] });
    expect(await r.cname?.('a b.example')).toMatchObject({
      status: 'found',
      records: [{ name: 'target.example' }],
    });
  });

  it('RFC 7766 §5: a truncated UDP answer is asked again over TCP', async () => {
    const r = resolverFor([dns.address]);
    const outcome = await r.txt('big%20.example');
    expect(outcome.status).toBe('found');
    if (outcome.status === 'found') expect(outcome.records[0]?.strings.join('')).toBe('x'.repeat(2000));
    const asked = dns.queries.filter((q) => q.name === 'big%20.example').map((q) => q.transport);
    expect(asked).toEqual(['udp', 'tcp']);
  });

  it('SERVFAIL, REFUSED and silence are temporary failures with their reason', async () => {
    const r = resolverFor([dns.address], 500, 1);
    expect(await r.a('sf%.example')).toMatchObject({ status: 'tempfail', reason: 'servfail' });
    expect(await r.a('rf%.example')).toMatchObject({ status: 'tempfail', reason: 'refused' });
    expect(await r.a('slow%.example')).toMatchObject({ status: 'tempfail', reason: 'timeout' });
  });

  it('tries: a dead first server is skipped for the next one', async () => {
    const dead = createSocket('udp4');
    await new Promise<void>((resolve) => dead.bind(0, '127.0.0.1', resolve));
    const deadAddress = `127.0.0.1:${dead.address().port}`;
    try {
      const r = resolverFor([deadAddress, dns.address], 500, 1);
      expect(await r.a(ODD)).toMatchObject({ status: 'found' });
    } finally {
      dead.close();
    }
  });

  it('an aborted lookup rejects with the reason', async () => {
    const r = resolverFor([dns.address], 2000, 1);
    const controller = new AbortController();
    const pending = r.a('slow%.example', { signal: controller.signal });
    controller.abort(new Error('stop'));
    await expect(pending).rejects.toThrow('stop');
  });
});

describe('RFC 5452 §9.1: answers that do not match the query are ignored', () => {
  let spoofer: Socket;
  let address: string;
  beforeAll(async () => {
    spoofer = createSocket('udp4');
    // Replies first with a wrong ID, then a wrong question, then the real answer.
    spoofer.on('message', (message, from) => {
      const query = packet.decode(message);
      const q = query.questions?.[0];
      if (!q || query.id === undefined) return;
      const send = (id: number, name: string, data: string) =>
        spoofer.send(
          packet.encode({
            type: 'response',
            id,
            flags: packet.RECURSION_AVAILABLE,
            questions: [{ ...q, name }],
            answers: [{ type: 'A', name, ttl: 5, data }],
          }),
          from.port,
          from.address,
        );
      send((query.id + 1) & 0xffff, q.name, '198.51.100.1');
      send(query.id, 'other.example', '198.51.100.2');
      send(query.id, q.name, '192.0.2.55');
    });
    await new Promise<void>((resolve) => spoofer.bind(0, '127.0.0.1', resolve));
    address = `127.0.0.1:${spoofer.address().port}`;
  });
  afterAll(() => {
    spoofer.close();
  });

  it('takes only the reply with the query ID and question', async () => {
    const r = resolverFor([address], 1000, 1);
    expect(await r.a(ODD)).toEqual({ status: 'found', records: [{ address: '192.0.2.55', ttl: 5 }] });
  });
});

describe('property: a server answering random bytes (with the query ID)', () => {
  let fuzzer: Socket;
  let address: string;
  let next: Uint8Array = new Uint8Array(0);
  beforeAll(async () => {
    fuzzer = createSocket('udp4');
    fuzzer.on('message', (message, from) => {
      const reply = Buffer.concat([message.subarray(0, 2), Buffer.from(next)]);
      // QR set so it is taken for a response; the rest is whatever fast-check drew.
      if (reply.length > 2) reply[2] = (reply[2] ?? 0) | 0x80;
      fuzzer.send(reply, from.port, from.address);
    });
    await new Promise<void>((resolve) => fuzzer.bind(0, '127.0.0.1', resolve));
    address = `127.0.0.1:${fuzzer.address().port}`;
  });
  afterAll(() => {
    fuzzer.close();
  });

  it('every lookup settles with a DnsOutcome', async () => {
    const r = resolverFor([address], 100, 1);
    await fc.assert(
      fc.asyncProperty(
        fc.uint8Array({ maxLength: 300 }),
        fc.constantFrom('a', 'aaaa', 'mx', 'txt', 'ptr') as fc.Arbitrary<'a' | 'aaaa' | 'mx' | 'txt' | 'ptr'>,
        async (bytes, type) => {
          next = bytes;
          const outcome = await r[type](ODD);
          return ['found', 'nxdomain', 'nodata', 'tempfail'].includes(outcome.status);
        },
      ),
      { numRuns: 60 },
    );
  });
});
