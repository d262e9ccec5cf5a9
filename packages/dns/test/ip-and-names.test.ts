// Address parsing/classification (RFC 6890, RFC 4291, RFC 5952), reverse names (RFC 1035
// §3.5, RFC 3596 §2.5) and IDNA A-labels (RFC 5890).
import { isIP } from 'node:net';
import {
  canonicalAddress,
  classifyAddress,
  ipFamily,
  normalizeName,
  reverseName,
  toALabel,
} from '@smtpkit/dns';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';

describe('reverseName', () => {
  it('RFC 1035 §3.5 IPv4 → in-addr.arpa', () => {
    expect(reverseName('192.0.2.1')).toBe('1.2.0.192.in-addr.arpa');
  });

  it('RFC 3596 §2.5 IPv6 → nibble-reversed ip6.arpa (the RFC 7208 suite example)', () => {
    expect(reverseName('2001:db8::1')).toBe(
      '1.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.8.b.d.0.1.0.0.2.ip6.arpa',
    );
    expect(reverseName('CAFE:BABE::1')).toBe(reverseName('cafe:babe:0:0:0:0:0:1'));
    expect(reverseName('::ffff:192.0.2.1')).toBe(
      '1.0.2.0.0.0.0.c.f.f.f.f.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.ip6.arpa',
    );
  });

  it('throws TypeError for non-addresses', () => {
    for (const bad of [
      '',
      'example.com',
      '1.2.3',
      '1.2.3.256',
      '01.2.3.4',
      '1::2::3',
      'fe80::1%eth0',
      '[::1]',
    ]) {
      expect(() => reverseName(bad)).toThrow(TypeError);
    }
  });
});

describe('address parsing agrees with node:net on random input', () => {
  it('ipFamily matches isIP for generated addresses', () => {
    fc.assert(
      fc.property(fc.oneof(fc.ipV4(), fc.ipV6(), fc.string({ maxLength: 20 })), (text) => {
        const node = isIP(text);
        // node accepts IPv4 with leading zeros nowhere and zone ids in IPv6; we refuse zone ids.
        if (text.includes('%')) return;
        expect(ipFamily(text)).toBe(node);
      }),
    );
  });

  it('RFC 5952 canonical text round-trips and matches the compression rules', () => {
    expect(canonicalAddress('2001:0DB8:0000:0000:0000:0000:0000:0001')).toBe('2001:db8::1');
    expect(canonicalAddress('2001:db8:0:0:1:0:0:1')).toBe('2001:db8::1:0:0:1');
    expect(canonicalAddress('2001:db8:0:1:1:1:1:1')).toBe('2001:db8:0:1:1:1:1:1');
    expect(canonicalAddress('::')).toBe('::');
    expect(canonicalAddress('::ffff:c000:0201')).toBe('::ffff:192.0.2.1');
    fc.assert(
      fc.property(fc.ipV6(), (text) => {
        const canonical = canonicalAddress(text);
        expect(canonicalAddress(canonical)).toBe(canonical);
        expect(reverseName(canonical)).toBe(reverseName(text));
      }),
    );
  });
});

describe('classifyAddress (RFC 6890 special-purpose registries)', () => {
  it.each([
    ['8.8.8.8', 'public'],
    ['192.0.2.1', 'documentation'],
    ['10.1.2.3', 'private'],
    ['172.16.0.1', 'private'],
    ['172.32.0.1', 'public'],
    ['192.168.1.1', 'private'],
    ['100.64.0.1', 'shared'],
    ['127.0.0.1', 'loopback'],
    ['169.254.0.1', 'link-local'],
    ['0.0.0.0', 'unspecified'],
    ['224.0.0.1', 'multicast'],
    ['255.255.255.255', 'reserved'],
    ['2a00:1450::1', 'public'],
    ['2001:db8::1', 'documentation'],
    ['::1', 'loopback'],
    ['::', 'unspecified'],
    ['fe80::1', 'link-local'],
    ['fd00::1', 'private'],
    ['ff02::1', 'multicast'],
    ['::ffff:127.0.0.1', 'loopback'],
    ['::ffff:8.8.8.8', 'public'],
  ])('%s is %s', (address, scope) => {
    expect(classifyAddress(address)).toBe(scope);
  });
});

describe('names', () => {
  it('normalizeName lower-cases and drops one trailing dot', () => {
    expect(normalizeName('Mail.Example.COM.')).toBe('mail.example.com');
    expect(normalizeName('.')).toBe('.');
  });

  it('RFC 5890 toALabel converts U-labels, keeps A-labels, refuses junk', () => {
    expect(toALabel('Bücher.example')).toBe('xn--bcher-kva.example');
    expect(toALabel('XN--BCHER-KVA.example.')).toBe('xn--bcher-kva.example');
    expect(toALabel('münchen.de')).toBe('xn--mnchen-3ya.de');
    for (const bad of [
      '',
      'a..b',
      'user@example.com',
      'ex ample.com',
      `${'x'.repeat(64)}.com`,
      'a/b.example',
    ]) {
      expect(toALabel(bad)).toBeUndefined();
    }
  });
});
