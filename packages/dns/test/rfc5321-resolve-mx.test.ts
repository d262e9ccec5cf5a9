// resolveMx decisions against the in-memory resolver (the over-the-wire runs live in
// packages/testing/test/rfc5321-mx-over-udp.test.ts).
import { createStaticResolver, orderMxRecords, resolveMx, type Zone } from '@smtpkit/dns';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';

const zone: Zone = {
  'mixed-null.example': {
    mx: [
      { priority: 0, exchange: '.' },
      { priority: 10, exchange: 'mx.example' },
    ],
  },
  'dup.example': {
    mx: [
      { priority: 20, exchange: 'MX.example.' },
      { priority: 10, exchange: 'mx.example' },
    ],
  },
  'mx.example': { a: ['192.0.2.1'] },
  'tempmx.example': { faults: { mx: 'timeout' }, a: ['192.0.2.5'] },
  'implicit-temp.example': { faults: { a: 'servfail' }, aaaa: [] },
  'implicit-private.example': { a: ['192.168.0.1'] },
  'mixed-private.example': { a: ['10.0.0.1', '192.0.2.44'] },
};
const resolver = createStaticResolver(zone);

describe('resolveMx (RFC 5321 §5.1, RFC 7505)', () => {
  it('RFC 7505 §3 a "." among real MX records is skipped, not a null MX', async () => {
    const result = await resolveMx('mixed-null.example', { resolver });
    expect(result).toMatchObject({ status: 'ok', hosts: [{ exchange: 'mx.example' }] });
    expect(result.skipped).toEqual([{ exchange: '.', priority: 0, reason: 'null-mx-entry' }]);
  });

  it('a host listed twice is tried once, at its best preference', async () => {
    const result = await resolveMx('dup.example', { resolver });
    expect(result).toMatchObject({ status: 'ok', hosts: [{ exchange: 'mx.example', priority: 10 }] });
  });

  it('a temporary MX failure is transient even when an A record exists (no implicit MX)', async () => {
    expect(await resolveMx('tempmx.example', { resolver })).toMatchObject({
      status: 'transient',
      enhancedCode: '4.4.3',
    });
  });

  it('implicit MX whose address lookup fails temporarily is transient', async () => {
    expect(await resolveMx('implicit-temp.example', { resolver })).toMatchObject({ status: 'transient' });
  });

  it('private addresses are dropped per address, and a private-only implicit MX is permanent', async () => {
    const mixed = await resolveMx('mixed-private.example', { resolver });
    expect(mixed).toMatchObject({
      status: 'ok',
      hosts: [{ addresses: [{ address: '192.0.2.44', family: 4 }] }],
    });
    const only = await resolveMx('implicit-private.example', { resolver });
    expect(only).toMatchObject({ status: 'permanent', reason: 'no-usable-host', enhancedCode: '5.4.4' });
    if (only.status === 'permanent') expect(only.message).toMatch(/private/);
  });

  it('RFC 5321 §4.1.3 address literals need no DNS; private ones are refused', async () => {
    expect(await resolveMx('[192.0.2.7]', { resolver })).toEqual({
      status: 'ok',
      domain: '[192.0.2.7]',
      hosts: [{ exchange: '[192.0.2.7]', priority: 0, addresses: [{ address: '192.0.2.7', family: 4 }] }],
      implicit: true,
      skipped: [],
    });
    expect(await resolveMx('[IPv6:2001:db8::7]', { resolver })).toMatchObject({
      status: 'ok',
      hosts: [{ addresses: [{ address: '2001:db8::7', family: 6 }] }],
    });
    expect(await resolveMx('[127.0.0.1]', { resolver })).toMatchObject({
      status: 'permanent',
      reason: 'no-usable-host',
    });
    expect(await resolveMx('[127.0.0.1]', { resolver, allowPrivate: true })).toMatchObject({ status: 'ok' });
    expect(await resolveMx('[not-an-ip]', { resolver })).toMatchObject({
      status: 'permanent',
      reason: 'invalid-domain',
    });
  });

  it('an invalid domain is a permanent 5.1.2 result, not an exception', async () => {
    for (const bad of ['', 'a..example', 'user@example.com', `${'x'.repeat(64)}.example`]) {
      expect(await resolveMx(bad, { resolver })).toMatchObject({
        status: 'permanent',
        reason: 'invalid-domain',
        enhancedCode: '5.1.2',
      });
    }
  });

  it('caller bugs throw; an aborted signal rejects', async () => {
    await expect(resolveMx('mx.example', { resolver, maxHosts: 0 })).rejects.toBeInstanceOf(RangeError);
    await expect(
      resolveMx('mx.example', { resolver, addressOrder: 'both' as unknown as 'ipv4-first' }),
    ).rejects.toBeInstanceOf(RangeError);
    await expect(resolveMx('mx.example', {} as never)).rejects.toBeInstanceOf(TypeError);
    await expect(
      resolveMx('mx.example', { resolver, signal: AbortSignal.abort(new Error('stop')) }),
    ).rejects.toThrow('stop');
  });
});

describe('orderMxRecords (RFC 5321 §5.1)', () => {
  it('is a preference-sorted permutation for any records and any random source', () => {
    fc.assert(
      fc.property(
        fc.array(
          fc.record({
            priority: fc.integer({ min: 0, max: 5 }),
            exchange: fc.string({ minLength: 1, maxLength: 4 }),
          }),
        ),
        fc.array(fc.double({ min: 0, max: 1, maxExcluded: true, noNaN: true }), { minLength: 1 }),
        (records, draws) => {
          let i = 0;
          const ordered = orderMxRecords(records, () => draws[i++ % draws.length] ?? 0);
          expect(ordered).toHaveLength(records.length);
          expect(
            [...ordered].sort((a, b) => a.priority - b.priority || a.exchange.localeCompare(b.exchange)),
          ).toEqual(
            [...records].sort((a, b) => a.priority - b.priority || a.exchange.localeCompare(b.exchange)),
          );
          for (let k = 1; k < ordered.length; k++) {
            expect((ordered[k - 1]?.priority ?? 0) <= (ordered[k]?.priority ?? 0)).toBe(true);
          }
        },
      ),
    );
  });
});
