/** The SPF record grammar (RFC 7208 §4.5, §4.6, §5, §6, §7.1) as the pure parser sees it. */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { isSpfRecord, parseSpfRecord } from '../src/index';

function parsed(text: string) {
  const r = parseSpfRecord(text);
  if (!r.ok) throw new Error(r.error);
  return r.record;
}

describe('§4.5 record selection', () => {
  it('§4.5 "v=spf1" then a space or the end, case-insensitively', () => {
    expect(isSpfRecord('v=spf1')).toBe(true);
    expect(isSpfRecord('V=SpF1 -all')).toBe(true);
    expect(isSpfRecord('v=spf10')).toBe(false);
    expect(isSpfRecord('v=spf1-all')).toBe(false);
    expect(isSpfRecord('spf2.0/pra -all')).toBe(false);
  });
});

describe('§4.6 terms', () => {
  it('§4.6.1 terms are separated by one or more spaces; trailing spaces are fine', () => {
    expect(parsed('v=spf1  a   -all ').directives.map((d) => d.text)).toEqual(['a', '-all']);
  });
  it('§4.6.1 a control character is not a separator', () => {
    expect(parseSpfRecord('v=spf1 a\tmx').ok).toBe(false);
  });
  it('§4.6.2 qualifiers', () => {
    expect(parsed('v=spf1 +a -mx ~ptr ?all').directives.map((d) => d.qualifier)).toEqual([
      '+',
      '-',
      '~',
      '?',
    ]);
  });
  it('§4.6 a syntax error anywhere is an error', () => {
    expect(parseSpfRecord('v=spf1 ip4:192.0.2.1 -all moo').ok).toBe(false);
  });
  it('§4.6.1 unknown mechanisms are errors; "redirect:" is not a modifier', () => {
    expect(parseSpfRecord('v=spf1 foo:bar').ok).toBe(false);
    expect(parseSpfRecord('v=spf1 redirect:example.com').ok).toBe(false);
  });
  it('§6 unknown modifiers are ignored but must be valid macro-strings', () => {
    expect(parseSpfRecord('v=spf1 moo.cow-far_out=man:dog/cat -all').ok).toBe(true);
    expect(parseSpfRecord('v=spf1 foo=%abc').ok).toBe(false);
    expect(parseSpfRecord('v=spf1 1up=foo').ok).toBe(false);
  });
  it('§6 redirect and exp at most once each', () => {
    expect(parseSpfRecord('v=spf1 redirect=a.example redirect=b.example').ok).toBe(false);
    expect(parseSpfRecord('v=spf1 exp=a.example exp=b.example').ok).toBe(false);
    expect(parseSpfRecord('v=spf1 redirect=').ok).toBe(false);
  });
  it('§5.1 "all" anywhere is recorded (redirect then ignored)', () => {
    expect(parsed('v=spf1 redirect=x.example ~all').hasAll).toBe(true);
  });
});

describe('§5 mechanisms', () => {
  it('§5.3/§5.4 a and mx with dual CIDR lengths', () => {
    const [a, mx] = parsed('v=spf1 a:mail.example.com/24//64 mx//48').directives;
    expect(a!.mechanism).toMatchObject({ kind: 'a', cidr4: 24, cidr6: 64 });
    expect(mx!.mechanism).toMatchObject({ kind: 'mx', cidr4: 32, cidr6: 48 });
  });
  it('§5.6 CIDR lengths: no leading zeros, ≤ 32 / ≤ 128', () => {
    for (const bad of [
      'a/33',
      'a//129',
      'ip4:192.0.2.1/032',
      'ip4:192.0.2.1/33',
      'ip6:::1/129',
      'ip4:192.0.2.1//32',
    ]) {
      expect(parseSpfRecord(`v=spf1 ${bad}`).ok, bad).toBe(false);
    }
  });
  it('§5.6 ip4/ip6 networks must be addresses', () => {
    expect(parseSpfRecord('v=spf1 ip4:1.2.3').ok).toBe(false);
    expect(parseSpfRecord('v=spf1 ip4:1.2.3.4:8080').ok).toBe(false);
    expect(parseSpfRecord('v=spf1 ip6::CAFE::BABE').ok).toBe(false);
    expect(parseSpfRecord('v=spf1 ip6:::ffff:1.2.3.4 ip6:2001:db8::/32').ok).toBe(true);
  });
  it('§5.2 include needs a domain; all takes no argument', () => {
    expect(parseSpfRecord('v=spf1 include').ok).toBe(false);
    expect(parseSpfRecord('v=spf1 include:').ok).toBe(false);
    expect(parseSpfRecord('v=spf1 all:foo').ok).toBe(false);
    expect(parseSpfRecord('v=spf1 -all/8').ok).toBe(false);
  });
  it('§5.5 ptr takes an optional domain and no CIDR', () => {
    expect(parseSpfRecord('v=spf1 ptr ptr:example.com').ok).toBe(true);
    expect(parseSpfRecord('v=spf1 ptr/0').ok).toBe(false);
  });
});

describe('§7.1 domain-spec must end in a macro or "." toplabel', () => {
  for (const good of [
    'a:example.com',
    'a:example.com.',
    'a:%{d}',
    'a:foo.example.xn--zckzah',
    'a:foo:bar/baz.example.com',
  ]) {
    it(`accepts ${good}`, () => expect(parseSpfRecord(`v=spf1 ${good}`).ok).toBe(true));
  }
  for (const bad of [
    'a:museum',
    'a:museum.',
    'a:111.222.33.44',
    'a:abc.123',
    'a:example.-com',
    'a:example.com:8080',
  ]) {
    it(`rejects ${bad}`, () => expect(parseSpfRecord(`v=spf1 ${bad}`).ok).toBe(false));
  }
});

describe('fast-check: the parser is total', () => {
  const termChar = fc.constantFrom(...'aAmxMXpt:ri4p6ncludeexists/0123.%{}-+~?=_ \t\u00e9'.split(''));
  it('§4.6 any text after "v=spf1 " parses or is an error, never a throw', () => {
    fc.assert(
      fc.property(fc.array(termChar, { maxLength: 80 }), (chars) => {
        const r = parseSpfRecord(`v=spf1 ${chars.join('')}`);
        expect(typeof r.ok).toBe('boolean');
      }),
      { numRuns: 2000 },
    );
  });
  it('§4.6 arbitrary strings never throw', () => {
    fc.assert(fc.property(fc.string({ maxLength: 120 }), (text) => void parseSpfRecord(text)));
  });
});
