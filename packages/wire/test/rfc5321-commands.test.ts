import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { type Command, formatCommand, isSmtpSyntaxError, parseCommand, parsePath } from '../src/index';
import { commandArb } from './arbitraries';
import { dec } from './helpers';

function replyFor(line: string): string {
  try {
    parseCommand(line);
  } catch (error) {
    if (isSmtpSyntaxError(error)) return `${error.reply.code} ${error.reply.enhanced}`;
    throw error;
  }
  return 'ok';
}

describe('commands (RFC 5321 §4.1.1)', () => {
  it('§4.1.1.1 EHLO/HELO and RFC 2033 LHLO; verbs are case-insensitive', () => {
    expect(parseCommand('ehlo bar.com\r\n')).toEqual({ verb: 'EHLO', domain: 'bar.com' });
    expect(parseCommand('HELO [192.0.2.1]')).toEqual({ verb: 'HELO', domain: '[192.0.2.1]' });
    expect(parseCommand('LHLO client.example')).toEqual({ verb: 'LHLO', domain: 'client.example' });
    expect(replyFor('EHLO')).toBe('501 5.5.4');
  });

  it('verbs and the FROM:/TO: keywords are ASCII: no Unicode case mapping makes one (RFC 5321 §2.4)', () => {
    expect(parseCommand('sTaRtTlS')).toEqual({ verb: 'STARTTLS' });
    expect(parseCommand('mail from:<a@example.org>')).toMatchObject({ verb: 'MAIL' });
    // U+0131 dotless i and U+017F long s upper-case to I and S in JavaScript.
    expect(replyFor('ma\u0131l FROM:<a@example.org>')).toBe('500 5.5.1');
    expect(replyFor('\u017ftarttls')).toBe('500 5.5.1');
  });

  it('§4.1.1.2 MAIL with typed parameters (RFC 1870, 6152, 3030, 6531, 3461, 4954, 8689)', () => {
    const cmd = parseCommand(
      'MAIL FROM:<a@example.org> size=1000 BODY=8bitmime SMTPUTF8 RET=HDRS ENVID=QQ+2B1 AUTH=<> REQUIRETLS X-Foo=bar Y',
    );
    expect(cmd).toEqual({
      verb: 'MAIL',
      reversePath: parsePath('<a@example.org>'),
      params: {
        size: 1000,
        body: '8BITMIME',
        smtpUtf8: true,
        ret: 'HDRS',
        envid: 'QQ+1',
        auth: '<>',
        requireTls: true,
        extensions: [{ keyword: 'X-FOO', value: 'bar' }, { keyword: 'Y' }],
      },
    });
    expect(parseCommand('MAIL FROM:<>')).toEqual({ verb: 'MAIL', reversePath: { kind: 'null' }, params: {} });
    // A space after the colon is not RFC 5321 but common; tolerated like most servers do.
    expect(parseCommand('MAIL FROM: <a@example.org>')).toMatchObject({ verb: 'MAIL' });
  });

  it('§4.1.1.3 RCPT with NOTIFY and ORCPT (RFC 3461 §4.1, §4.2); <Postmaster>', () => {
    expect(parseCommand('RCPT TO:<b@example.org> NOTIFY=success,Delay ORCPT=rfc822;b+40example.org')).toEqual(
      {
        verb: 'RCPT',
        forwardPath: parsePath('<b@example.org>'),
        params: { notify: ['SUCCESS', 'DELAY'], orcpt: { addrType: 'rfc822', address: 'b@example.org' } },
      },
    );
    expect(parseCommand('RCPT TO:<Postmaster>')).toEqual({
      verb: 'RCPT',
      forwardPath: { kind: 'postmaster' },
      params: {},
    });
  });

  it('syntax errors carry the reply a server should send', () => {
    expect(replyFor('FOO bar')).toBe('500 5.5.1');
    expect(replyFor('MAIL TO:<a@b.org>')).toBe('501 5.5.4');
    expect(replyFor('MAIL FROM:<a b@c.org>')).toBe('501 5.1.7');
    expect(replyFor('MAIL FROM:<Postmaster>')).toBe('501 5.1.7');
    expect(replyFor('RCPT TO:<>')).toBe('501 5.1.3');
    expect(replyFor('RCPT TO:<a@b..org>')).toBe('501 5.1.3');
    expect(replyFor('MAIL FROM:<a@b.org> SIZE=abc')).toBe('501 5.5.4');
    expect(replyFor('MAIL FROM:<a@b.org> SIZE=1 SIZE=2')).toBe('501 5.5.4');
    expect(replyFor('MAIL FROM:<a@b.org> BODY=9BIT')).toBe('501 5.5.4');
    expect(replyFor('MAIL FROM:<a@b.org> ENVID=a+zz')).toBe('501 5.5.4');
    expect(replyFor('MAIL FROM:<a@b.org> =x')).toBe('555 5.5.4');
    expect(replyFor('RCPT TO:<a@b.org> NOTIFY=NEVER,SUCCESS')).toBe('501 5.5.4');
    expect(replyFor('RCPT TO:<a@b.org> ORCPT=nosemicolon')).toBe('501 5.5.4');
    expect(replyFor('DATA now')).toBe('501 5.5.4');
    expect(replyFor('STARTTLS x')).toBe('501 5.5.4');
    expect(replyFor('BDAT x')).toBe('501 5.5.4');
    expect(replyFor('AUTH PLAIN !!!')).toBe('501 5.5.2');
    expect(replyFor('AUTH')).toBe('501 5.5.4');
    expect(replyFor('VRFY')).toBe('501 5.5.4');
    expect(replyFor('NOOP\0')).toBe('500 5.5.2');
    expect(replyFor('RSET\rQUIT')).toBe('500 5.5.2');
  });

  it('RFC 3030 BDAT and RFC 4954 AUTH', () => {
    expect(parseCommand('BDAT 1000 last')).toEqual({ verb: 'BDAT', size: 1000, last: true });
    expect(parseCommand('BDAT 0')).toEqual({ verb: 'BDAT', size: 0, last: false });
    expect(parseCommand('AUTH plain AGFsaWNlAHNlY3JldA==')).toEqual({
      verb: 'AUTH',
      mechanism: 'PLAIN',
      initialResponse: 'AGFsaWNlAHNlY3JldA==',
    });
    expect(parseCommand('AUTH PLAIN =')).toEqual({ verb: 'AUTH', mechanism: 'PLAIN', initialResponse: '=' });
    expect(parseCommand('AUTH LOGIN')).toEqual({ verb: 'AUTH', mechanism: 'LOGIN' });
  });

  it('a Uint8Array line that is not UTF-8 is a 500 5.5.2', () => {
    expect(() => parseCommand(Uint8Array.of(0x4e, 0x4f, 0x4f, 0x50, 0x20, 0xff))).toThrow(
      expect.objectContaining({ reply: expect.objectContaining({ code: 500, enhanced: '5.5.2' }) }),
    );
  });

  it('formatCommand writes one CRLF-terminated line', () => {
    expect(dec(formatCommand({ verb: 'EHLO', domain: 'bar.com' }))).toBe('EHLO bar.com\r\n');
    expect(
      dec(
        formatCommand({
          verb: 'MAIL',
          reversePath: parsePath('<a@example.org>'),
          params: { size: 12, body: '8BITMIME', envid: 'x y', extensions: [{ keyword: 'X-A' }] },
        }),
      ),
    ).toBe('MAIL FROM:<a@example.org> SIZE=12 BODY=8BITMIME ENVID=x+20y X-A\r\n');
    expect(dec(formatCommand({ verb: 'BDAT', size: 5, last: true }))).toBe('BDAT 5 LAST\r\n');
    expect(dec(formatCommand({ verb: 'STARTTLS' }))).toBe('STARTTLS\r\n');
  });

  it('formatCommand refuses CR, LF or NUL anywhere (no command injection)', () => {
    const rcpt = parsePath('<b@example.org>');
    const attempts: Command[] = [
      { verb: 'EHLO', domain: 'x\r\nMAIL FROM:<evil@x.org>' },
      { verb: 'VRFY', argument: 'a\nb' },
      { verb: 'NOOP', argument: 'a\0' },
      { verb: 'HELP', argument: '\r' },
      { verb: 'RCPT', forwardPath: rcpt, params: { extensions: [{ keyword: 'X', value: 'a\r\nDATA' }] } },
      { verb: 'RCPT', forwardPath: rcpt, params: { extensions: [{ keyword: 'X\r\n' }] } },
      { verb: 'RCPT', forwardPath: rcpt, params: { orcpt: { addrType: 'rfc822\r\n', address: 'x' } } },
      { verb: 'AUTH', mechanism: 'PLAIN', initialResponse: 'AAAA\r\nQUIT' },
      { verb: 'AUTH', mechanism: 'PLAIN\r\n' },
    ];
    for (const cmd of attempts) expect(() => formatCommand(cmd), JSON.stringify(cmd)).toThrow(TypeError);
    // xtext-encoded values cannot inject either: CR LF become +0D+0A.
    const safe = formatCommand({
      verb: 'MAIL',
      reversePath: { kind: 'null' },
      params: { envid: 'a\r\nDATA' },
    });
    expect(dec(safe)).toBe('MAIL FROM:<> ENVID=a+0D+0ADATA\r\n');
  });
});

describe('command properties (fast-check)', () => {
  it('parseCommand(formatCommand(c)) == c', () => {
    fc.assert(
      fc.property(commandArb, (command) => {
        expect(parseCommand(formatCommand(command))).toEqual(command);
      }),
      { numRuns: 500 },
    );
  });

  it('arbitrary lines give a command or an SmtpSyntaxError, never another exception', () => {
    const unit = fc.constantFrom(...'MAILFROM:RCPTTO<>@ "\\=.,;[]abc09\r\n\0é+-BDATLASTAUTH'.split(''));
    fc.assert(
      fc.property(fc.string({ unit, maxLength: 60 }), fc.uint8Array({ maxLength: 40 }), (text, bytes) => {
        for (const line of [text, bytes, `MAIL FROM:${text}`, `RCPT TO:<a@b.org> ${text}`]) {
          try {
            const command = parseCommand(line);
            expect(parseCommand(formatCommand(command))).toEqual(command);
          } catch (error) {
            expect(isSmtpSyntaxError(error)).toBe(true);
          }
        }
      }),
      { numRuns: 500 },
    );
  });
});
