// The RFC 1035 codec createNodeResolver falls back to for names c-ares refuses (EBADNAME):
// byte-exact queries, response decoding, RCODE mapping, and that no response — however
// malformed — throws or yields anything outside the DnsOutcome type.
import * as packet from 'dns-packet';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import {
  decodeResponse,
  encodeName,
  encodeQuery,
  matchesQuery,
  responseOutcome,
  type WireQueryType,
} from '../src/core/wire-message';

const TYPES: readonly WireQueryType[] = ['a', 'aaaa', 'mx', 'txt', 'ptr', 'cname'];

function response(p: Omit<packet.Packet, 'type'>): Uint8Array {
  return packet.encode({
    type: 'response',
    flags: packet.RECURSION_DESIRED | packet.RECURSION_AVAILABLE,
    ...p,
  });
}

describe('encodeQuery', () => {
  it('§4.1.1 header, §4.1.2 question, RFC 6891 OPT — byte for byte', () => {
    const bytes = encodeQuery('a:b.EX', 'txt', { id: 0x1234 });
    expect([...bytes]).toEqual([
      0x12,
      0x34,
      0x01,
      0x00,
      0,
      1,
      0,
      0,
      0,
      0,
      0,
      1, // ID, RD, QD=1, AN=0, NS=0, AR=1
      3,
      0x61,
      0x3a,
      0x62,
      2,
      0x45,
      0x58,
      0, // 3"a:b" 2"EX" root — case kept as given
      0,
      16,
      0,
      1, // QTYPE TXT, QCLASS IN
      0,
      0,
      41,
      0x04,
      0xd0,
      0,
      0,
      0,
      0,
      0,
      0, // OPT: root, TYPE 41, 1232 octets, no flags
    ]);
    expect(packet.decode(Buffer.from(bytes)).questions).toEqual([
      { name: 'a:b.EX', type: 'TXT', class: 'IN' },
    ]);
  });

  it('§2.3.4 / RFC 2181 §11: any octet in a label; only 63-octet labels and 255-octet names are limits', () => {
    expect([...encodeName('macro%percent  space%20url-space.x')].slice(0, 1)).toEqual([32]);
    expect(encodeName(`${'a'.repeat(63)}.x`).length).toBe(1 + 63 + 2 + 1);
    expect(() => encodeName(`${'a'.repeat(64)}.x`)).toThrow(TypeError);
    expect(() => encodeName('a..b')).toThrow(TypeError);
    const label = 'b'.repeat(63);
    const longest = `${label}.${label}.${label}.${'c'.repeat(61)}`; // 4 + 63*3 + 61 + 1 = 255
    expect(encodeName(longest).length).toBe(255);
    expect(() => encodeName(`${longest}c`)).toThrow(TypeError);
    // Non-ASCII text is sent as its UTF-8 octets.
    expect([...encodeName('é')]).toEqual([2, 0xc3, 0xa9, 0]);
  });

  it('rejects an ID outside 16 bits (a caller bug)', () => {
    expect(() => encodeQuery('x', 'a', { id: 0x10000 })).toThrow(RangeError);
  });
});

describe('decodeResponse / responseOutcome', () => {
  const question = (name: string, type: packet.RecordType): packet.Question[] => [
    { name, type, class: 'IN' },
  ];

  it('§3.4.1 A, RFC 3596 AAAA, §3.3.9 MX (null MX as ""), §3.3.14 TXT, §3.3.12 PTR, with TTLs', () => {
    const bytes = response({
      id: 7,
      questions: question('foo:bar/baz.example.com', 'A'),
      answers: [
        { type: 'A', name: 'foo:bar/baz.example.com', ttl: 60, data: '192.0.2.1' },
        { type: 'AAAA', name: 'foo:bar/baz.example.com', ttl: 61, data: '2001:db8:0:0:0:0:0:1' },
        { type: 'MX', name: 'foo:bar/baz.example.com', ttl: 62, data: { preference: 0, exchange: '.' } },
        {
          type: 'TXT',
          name: 'foo:bar/baz.example.com',
          ttl: 63,
          data: ['v=spf1 ', Buffer.from('ü', 'utf8')],
        },
        { type: 'PTR', name: 'foo:bar/baz.example.com', ttl: 64, data: 'Mail.Example.com' },
      ],
    });
    const r = decodeResponse(bytes);
    if (!r) throw new Error('no header');
    expect(matchesQuery(r, 7, 'FOO:bar/baz.example.com.', 'a')).toBe(true);
    expect(matchesQuery(r, 8, 'foo:bar/baz.example.com', 'a')).toBe(false);
    expect(matchesQuery(r, 7, 'foo:bar/baz.example.org', 'a')).toBe(false);
    expect(matchesQuery(r, 7, 'foo:bar/baz.example.com', 'txt')).toBe(false);
    const name = 'foo:bar/baz.example.com';
    expect(responseOutcome(r, name, 'a')).toEqual({
      status: 'found',
      records: [{ address: '192.0.2.1', ttl: 60 }],
    });
    expect(responseOutcome(r, name, 'aaaa')).toEqual({
      status: 'found',
      records: [{ address: '2001:db8::1', ttl: 61 }],
    });
    expect(responseOutcome(r, name, 'mx')).toEqual({
      status: 'found',
      records: [{ exchange: '', priority: 0, ttl: 62 }],
    });
    expect(responseOutcome(r, name, 'txt')).toEqual({
      status: 'found',
      records: [{ strings: ['v=spf1 ', 'ü'], ttl: 63 }],
    });
    expect(responseOutcome(r, name, 'ptr')).toEqual({
      status: 'found',
      records: [{ name: 'mail.example.com', ttl: 64 }],
    });
    expect(responseOutcome(r, name, 'cname')).toEqual({ status: 'nodata' });
  });

  it('RFC 1034 §3.6.2: follows the CNAME chain inside the answer', () => {
    const r = decodeResponse(
      response({
        id: 1,
        questions: question('a b.example', 'A'),
        answers: [
          { type: 'CNAME', name: 'a b.example', data: 'c.example' },
          { type: 'CNAME', name: 'c.example', data: 'd.example' },
          { type: 'A', name: 'd.example', data: '192.0.2.9' },
          { type: 'A', name: 'unrelated.example', data: '192.0.2.10' },
        ],
      }),
    );
    if (!r) throw new Error('no header');
    expect(responseOutcome(r, 'a b.example', 'a')).toEqual({
      status: 'found',
      records: [{ address: '192.0.2.9', ttl: 0 }],
    });
    expect(responseOutcome(r, 'a b.example', 'cname')).toEqual({
      status: 'found',
      records: [{ name: 'c.example', ttl: 0 }],
    });
  });

  it('§4.1.1 RCODE: 3 → nxdomain, 2 → servfail, 5 → refused, 1/4 → other', () => {
    const withRcode = (rcode: number) => {
      const bytes = encodeQuery('x.example', 'a', { id: 9, edns: false });
      bytes[2] = 0x81;
      bytes[3] = 0x80 | rcode;
      const r = decodeResponse(bytes);
      if (!r) throw new Error('no header');
      return responseOutcome(r, 'x.example', 'a');
    };
    expect(withRcode(0)).toEqual({ status: 'nodata' });
    expect(withRcode(3)).toEqual({ status: 'nxdomain' });
    expect(withRcode(2)).toMatchObject({ status: 'tempfail', reason: 'servfail' });
    expect(withRcode(5)).toMatchObject({ status: 'tempfail', reason: 'refused' });
    expect(withRcode(1)).toMatchObject({ status: 'tempfail', reason: 'other' });
    expect(withRcode(4)).toMatchObject({ status: 'tempfail', reason: 'other' });
  });

  it('§4.1.4: a compression pointer that does not point back is malformed, not a loop', () => {
    const bytes = new Uint8Array([
      0,
      1,
      0x81,
      0x80,
      0,
      1,
      0,
      1,
      0,
      0,
      0,
      0,
      1,
      0x78,
      0,
      0,
      1,
      0,
      1, // question x. A IN
      0xc0,
      19,
      0,
      1,
      0,
      1,
      0,
      0,
      0,
      0,
      0,
      4,
      192,
      0,
      2,
      1, // owner points at itself
    ]);
    const r = decodeResponse(bytes);
    if (!r) throw new Error('no header');
    expect(r.answers).toBeUndefined();
    expect(responseOutcome(r, 'x', 'a')).toMatchObject({ status: 'tempfail', reason: 'other' });
  });

  it('a short or truncated message never throws', () => {
    expect(decodeResponse(new Uint8Array(11))).toBeUndefined();
    const full = response({
      id: 2,
      questions: question('x', 'A'),
      answers: [{ type: 'A', name: 'x', data: '192.0.2.1' }],
    });
    for (let n = 12; n < full.length; n++) {
      const r = decodeResponse(full.subarray(0, n));
      if (r) responseOutcome(r, 'x', 'a');
    }
  });
});

const outcomeShape = (outcome: { status: string }) =>
  ['found', 'nxdomain', 'nodata', 'tempfail'].includes(outcome.status);

describe('property: random responses', () => {
  const valid = response({
    id: 3,
    questions: [{ name: 'q.example', type: 'A', class: 'IN' }],
    answers: [
      { type: 'CNAME', name: 'q.example', data: 'r.example' },
      { type: 'A', name: 'r.example', ttl: 5, data: '192.0.2.1' },
      { type: 'TXT', name: 'q.example', data: ['a', 'b'] },
      { type: 'MX', name: 'q.example', data: { preference: 5, exchange: 'r.example' } },
    ],
  });
  const bytes = fc.oneof(
    fc.uint8Array({ maxLength: 600 }),
    fc
      .array(fc.tuple(fc.nat(valid.length - 1), fc.integer({ min: 0, max: 255 })), { maxLength: 8 })
      .map((edits) => {
        const copy = Uint8Array.from(valid);
        for (const [at, value] of edits) copy[at] = value;
        return copy;
      }),
  );

  it('decodeResponse + responseOutcome never throw and always yield a DnsOutcome', () => {
    fc.assert(
      fc.property(bytes, fc.constantFrom(...TYPES), (message, type) => {
        const r = decodeResponse(message);
        if (!r) return message.length < 12;
        matchesQuery(r, 3, 'q.example', type);
        const outcome = responseOutcome(r, 'q.example', type);
        if (!outcomeShape(outcome)) return false;
        if (outcome.status === 'found') return outcome.records.length > 0;
        if (outcome.status === 'tempfail') return typeof outcome.message === 'string';
        return true;
      }),
      { numRuns: 3000 },
    );
  });

  it('round trip: A/TXT records encoded by dns-packet come back as written', () => {
    const label = fc.stringMatching(/^[a-z0-9 :/%_-]{1,20}$/);
    fc.assert(
      fc.property(
        fc.array(label, { minLength: 1, maxLength: 4 }),
        fc.array(fc.ipV4(), { minLength: 1, maxLength: 5 }),
        fc.array(fc.string({ maxLength: 40 }), { minLength: 1, maxLength: 3 }),
        fc.integer({ min: 0, max: 0xffff }),
        (labels, addresses, strings, id) => {
          const name = labels.join('.');
          const bytes = response({
            id,
            questions: [{ name, type: 'A', class: 'IN' }],
            answers: [
              ...addresses.map((data) => ({ type: 'A' as const, name, ttl: 10, data })),
              { type: 'TXT' as const, name, ttl: 10, data: [...strings] },
            ],
          });
          const r = decodeResponse(bytes);
          if (!r || !matchesQuery(r, id, name, 'a')) return false;
          expect(responseOutcome(r, name, 'a')).toEqual({
            status: 'found',
            records: addresses.map((address) => ({ address, ttl: 10 })),
          });
          expect(responseOutcome(r, name, 'txt')).toEqual({
            status: 'found',
            records: [{ strings, ttl: 10 }],
          });
          return true;
        },
      ),
      { numRuns: 300 },
    );
  });
});
