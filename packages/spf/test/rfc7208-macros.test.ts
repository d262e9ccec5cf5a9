/** RFC 7208 §7 macros: the §7.4 examples verbatim, transformers, escapes and syntax errors. */
import { describe, expect, it } from 'vitest';
import { ipMacroForm, parseIp } from '../src/core/ip';
import {
  expandMacroString,
  isMacroSyntaxError,
  MAX_MACRO_EXPANSION,
  type MacroLetter,
  parseMacroString,
  urlEscape,
} from '../src/core/macro';

function expand(text: string, ip = '192.0.2.3', explanation = false): string {
  const parsed = parseMacroString(text, explanation);
  if (isMacroSyntaxError(parsed)) throw new Error(parsed.error);
  const address = parseIp(ip)!;
  const values: Record<MacroLetter, string> = {
    s: 'strong-bad@email.example.com',
    l: 'strong-bad',
    o: 'email.example.com',
    d: 'email.example.com',
    i: ipMacroForm(address),
    p: 'unknown',
    v: address.family === 4 ? 'in-addr' : 'ip6',
    h: 'mx.example.org',
    c: ip,
    r: 'receiver.example.net',
    t: '1700000000',
  };
  return expandMacroString(parsed, (letter) => values[letter]);
}

describe('§7.4 examples (sender strong-bad@email.example.com, IPv4 192.0.2.3)', () => {
  const table: [string, string][] = [
    ['%{s}', 'strong-bad@email.example.com'],
    ['%{o}', 'email.example.com'],
    ['%{d}', 'email.example.com'],
    ['%{d4}', 'email.example.com'],
    ['%{d3}', 'email.example.com'],
    ['%{d2}', 'example.com'],
    ['%{d1}', 'com'],
    ['%{dr}', 'com.example.email'],
    ['%{d2r}', 'example.email'],
    ['%{l}', 'strong-bad'],
    ['%{l-}', 'strong.bad'],
    ['%{lr}', 'strong-bad'],
    ['%{lr-}', 'bad.strong'],
    ['%{l1r-}', 'strong'],
    ['%{ir}.%{v}._spf.%{d2}', '3.2.0.192.in-addr._spf.example.com'],
    ['%{lr-}.lp._spf.%{d2}', 'bad.strong.lp._spf.example.com'],
    ['%{lr-}.lp.%{ir}.%{v}._spf.%{d2}', 'bad.strong.lp.3.2.0.192.in-addr._spf.example.com'],
    ['%{ir}.%{v}.%{l1r-}.lp._spf.%{d2}', '3.2.0.192.in-addr.strong.lp._spf.example.com'],
    ['%{d2}.trusted-domains.example.net', 'example.com.trusted-domains.example.net'],
  ];
  for (const [macro, expected] of table) {
    it(`§7.4 ${macro} → ${expected}`, () => expect(expand(macro)).toBe(expected));
  }

  it('§7.4 IPv6 2001:db8::cb01: %{ir}.%{v}._spf.%{d2}', () => {
    expect(expand('%{ir}.%{v}._spf.%{d2}', '2001:db8::cb01')).toBe(
      '1.0.b.c.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.8.b.d.0.1.0.0.2.ip6._spf.example.com',
    );
  });
});

describe('§7.1/§7.3 transformers and escapes', () => {
  it('§7.1 "%%", "%_", "%-" expand to "%", space, "%20"', () => {
    expect(expand('a%%b%_c%-d')).toBe('a%b c%20d');
  });
  it('§7.3 several delimiters split on any of them', () => {
    expect(expand('%{l-+}')).toBe('strong.bad');
    expect(expand('%{s@}'.replace('@', '.'))).toBe('strong-bad@email.example.com');
  });
  it('§7.3 a digit count larger than the parts keeps them all', () => {
    expect(expand('%{d99}')).toBe('email.example.com');
    expect(expand('%{d9999999999999999999}')).toBe('email.example.com');
  });
  it('§7.3 upper-case letters are URL-escaped (all but unreserved)', () => {
    expect(expand('%{S}')).toBe('strong-bad%40email.example.com');
    expect(urlEscape('~jack&jill=up-a_b3.c')).toBe('~jack%26jill%3Dup-a_b3.c');
    expect(urlEscape('é ')).toBe('%C3%A9%20');
  });
  it('§7.3 c, r, t only in explanations', () => {
    expect(expand('%{c} %{r} %{t}', '192.0.2.3', true)).toBe('192.0.2.3 receiver.example.net 1700000000');
    expect(isMacroSyntaxError(parseMacroString('%{c}'))).toBe(true);
    expect(isMacroSyntaxError(parseMacroString('%{t}.example.com'))).toBe(true);
  });
  it('§7.3 %{i} of IPv4-mapped IPv6 is the IPv4 dotted quad', () => {
    expect(ipMacroForm(parseIp('::ffff:192.0.2.3')!)).toBe('192.0.2.3');
  });
  it('expansion is bounded', () => {
    const long = '%{s}'.repeat(1000);
    expect(expand(long).length).toBeLessThanOrEqual(MAX_MACRO_EXPANSION);
  });
});

describe('§7.1 macro syntax errors', () => {
  for (const bad of ['%{d0}', '%{x}', '%{', '%(ir)', 'foo%.bar', '%{d2z}', '%{}', '100%', 'a b', 'é']) {
    it(`"${bad}" is a syntax error`, () => expect(isMacroSyntaxError(parseMacroString(bad))).toBe(true));
  }
  it('spaces are allowed only in explanation strings (§6.2 explain-string)', () => {
    expect(isMacroSyntaxError(parseMacroString('see you', true))).toBe(false);
  });
});
