import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import {
  formatPath,
  isSmtpSyntaxError,
  type Mailbox,
  type Path,
  parseMailbox,
  parsePath,
} from '../src/index';
import { pathArb } from './arbitraries';

function mailbox(path: Path): Mailbox {
  if (path.kind !== 'mailbox') throw new Error(`expected a mailbox, got ${path.kind}`);
  return path.mailbox;
}

function rejects(text: string): boolean {
  try {
    parsePath(text);
    return false;
  } catch (error) {
    return isSmtpSyntaxError(error) && error.reply.code === 501;
  }
}

describe('paths (RFC 5321 §4.1.2)', () => {
  it('§4.1.2 dot-string mailbox; case kept in the local part, lowered for routing', () => {
    const m = mailbox(parsePath('<Smith@Bar.COM>'));
    expect(m).toEqual({
      localPart: 'Smith',
      domain: 'Bar.COM',
      asciiDomain: 'bar.com',
      address: 'Smith@Bar.COM',
      utf8: false,
    });
  });

  it('§4.1.2 quoted local part "a@b.com x"@c.org routes to c.org, never b.com', () => {
    const m = mailbox(parsePath('<"a@b.com x"@c.org>'));
    expect(m.localPart).toBe('a@b.com x');
    expect(m.asciiDomain).toBe('c.org');
    expect(m.address).toBe('"a@b.com x"@c.org');
    expect(formatPath({ kind: 'mailbox', mailbox: m })).toBe('<"a@b.com x"@c.org>');
  });

  it('§4.1.2 quoted-pairSMTP is unescaped; a quoted dot-string is written bare', () => {
    expect(mailbox(parsePath('<"a\\"b\\\\c"@x.org>')).localPart).toBe('a"b\\c');
    expect(mailbox(parsePath('<"john"@x.org>')).address).toBe('john@x.org');
    expect(mailbox(parsePath('<""@x.org>')).address).toBe('""@x.org');
    expect(mailbox(parsePath('<"a>b"@x.org>')).localPart).toBe('a>b');
  });

  it('§4.1.1.3 the null path and <Postmaster>', () => {
    expect(parsePath('<>')).toEqual({ kind: 'null' });
    expect(parsePath('<postMaster>')).toEqual({ kind: 'postmaster' });
    expect(formatPath({ kind: 'null' })).toBe('<>');
    expect(formatPath({ kind: 'postmaster' })).toBe('<Postmaster>');
    expect(mailbox(parsePath('<Postmaster@x.org>')).localPart).toBe('Postmaster');
  });

  it('§4.1.1.3 / Appendix C: a source route is accepted and ignored', () => {
    expect(parsePath('<@hosta.int,@jkl.org:userc@d.bar.org>')).toEqual(parsePath('<userc@d.bar.org>'));
    expect(rejects('<@hosta.int,jkl.org:userc@d.bar.org>')).toBe(true);
  });

  it('§4.1.3 address literals: IPv4, IPv6, general', () => {
    expect(mailbox(parsePath('<a@[192.0.2.1]>')).addressLiteral).toEqual({
      kind: 'ipv4',
      address: '192.0.2.1',
    });
    expect(mailbox(parsePath('<a@[IPv6:2001:db8::1]>')).addressLiteral).toEqual({
      kind: 'ipv6',
      address: '2001:db8::1',
    });
    expect(mailbox(parsePath('<a@[IPv6:::ffff:192.0.2.1]>')).addressLiteral?.kind).toBe('ipv6');
    expect(mailbox(parsePath('<a@[IPv6:1:2:3:4:5:6:7:8]>')).asciiDomain).toBe('[IPv6:1:2:3:4:5:6:7:8]');
    expect(mailbox(parsePath('<a@[x-tag:stuff]>')).addressLiteral).toEqual({
      kind: 'general',
      tag: 'x-tag',
      content: 'stuff',
    });
    for (const bad of [
      '<a@[256.0.0.1]>',
      '<a@[1.2.3]>',
      '<a@[IPv6:1:2:3:4:5:6:7]>',
      '<a@[IPv6:1::2::3]>',
      '<a@[IPv6:1:2:3:4:5:6:7::8]>',
      '<a@[nocolon]>',
    ]) {
      expect(rejects(bad), bad).toBe(true);
    }
  });

  it('§4.5.3.1 length limits: local part 64, domain 255, path 256 octets', () => {
    expect(() => parsePath(`<${'a'.repeat(64)}@x.org>`)).not.toThrow();
    expect(rejects(`<${'a'.repeat(65)}@x.org>`)).toBe(true);
    const label = 'b'.repeat(63);
    const domain252 = [label, label, label, 'c'.repeat(60)].join('.');
    expect(() => parsePath(`<a@${domain252}>`)).not.toThrow(); // exactly 256 octets
    expect(rejects(`<ab@${domain252}>`)).toBe(true); // 257 octets
    expect(rejects(`<a@${domain252}cc.org>`)).toBe(true); // domain over 255
    expect(rejects(`<a@${'b'.repeat(64)}.org>`)).toBe(true); // a DNS label is at most 63
  });

  it('refuses what the grammar does not allow', () => {
    for (const bad of [
      'a@b.org',
      '<a@b.org',
      '<a b@c.org>',
      '<a@-b.org>',
      '<a@b-.org>',
      '<a@b..org>',
      '<a@b.org.>',
      '<a..b@c.org>',
      '<.a@c.org>',
      '<a@>',
      '<@b.org>',
      '<a@b.org>x',
      '<a\r\n@b.org>',
      '<"a\0"@b.org>',
      '<a@b_c.org>',
    ]) {
      expect(rejects(bad), JSON.stringify(bad)).toBe(true);
    }
  });

  it('RFC 6531: UTF-8 mailboxes are flagged; U-labels become A-labels for DNS', () => {
    const m = mailbox(parsePath('<Jöran@Bücher.example>'));
    expect(m.utf8).toBe(true);
    expect(m.domain).toBe('Bücher.example');
    expect(m.asciiDomain).toBe('xn--bcher-kva.example');
    expect(formatPath({ kind: 'mailbox', mailbox: m })).toBe('<Jöran@Bücher.example>');
    expect(formatPath({ kind: 'mailbox', mailbox: m }, { asciiDomain: true })).toBe(
      '<Jöran@xn--bcher-kva.example>',
    );
    expect(parseMailbox('user@例え.テスト').asciiDomain).toBe('xn--r8jz45g.xn--zckzah');
    expect(parseMailbox('user@example.org').utf8).toBe(false);
  });

  it('formatPath refuses a hand-built mailbox that would inject CR/LF/NUL (TypeError)', () => {
    const base = parseMailbox('a@b.org');
    const evil = (patch: Partial<Mailbox>): Path => ({ kind: 'mailbox', mailbox: { ...base, ...patch } });
    expect(() => formatPath(evil({ localPart: 'a\r\nRCPT TO:<x@y.org>' }))).toThrow(TypeError);
    expect(() => formatPath(evil({ localPart: 'a\0' }))).toThrow(TypeError);
    expect(() => formatPath(evil({ domain: 'b.org>\r\nDATA' }))).toThrow(TypeError);
    expect(() => formatPath(evil({ asciiDomain: 'x\ny' }), { asciiDomain: true })).toThrow(TypeError);
  });
});

describe('path properties (fast-check)', () => {
  it('parsePath(formatPath(p)) == p', () => {
    fc.assert(
      fc.property(pathArb, (path) => {
        expect(parsePath(formatPath(path))).toEqual(path);
      }),
    );
  });

  it('arbitrary text gives a path or a 501 SmtpSyntaxError, never another exception', () => {
    fc.assert(
      fc.property(
        fc.string({ unit: fc.constantFrom(...'<>@"\\ .:,[]aZ9\r\n\0é-'.split('')), maxLength: 40 }),
        (text) => {
          try {
            const path = parsePath(text);
            expect(parsePath(formatPath(path))).toEqual(path);
          } catch (error) {
            expect(isSmtpSyntaxError(error)).toBe(true);
          }
        },
      ),
    );
  });
});
