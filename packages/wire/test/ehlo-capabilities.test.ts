import { describe, expect, it } from 'vitest';
import { isSmtpError, parseEhlo, parseReply } from '../src/index';

describe('EHLO capabilities (RFC 5321 §4.1.1.1)', () => {
  it('reads every known extension into a typed field', () => {
    const caps = parseEhlo(
      parseReply(
        [
          '250-mx.example.org Hello client.example [192.0.2.1]',
          '250-SIZE 35882577',
          '250-8BITMIME',
          '250-PIPELINING',
          '250-AUTH PLAIN LOGIN',
          '250-AUTH=LOGIN CRAM-MD5',
          '250-SMTPUTF8',
          '250-CHUNKING',
          '250-BINARYMIME',
          '250-DSN',
          '250-ENHANCEDSTATUSCODES',
          '250-STARTTLS',
          '250-REQUIRETLS',
          '250-XCLIENT NAME ADDR',
          '250 help',
          '',
        ].join('\r\n'),
      ),
    );
    expect(caps).toMatchObject({
      domain: 'mx.example.org',
      greeting: 'Hello client.example [192.0.2.1]',
      size: 35882577,
      auth: ['PLAIN', 'LOGIN', 'CRAM-MD5'],
      pipelining: true,
      eightBitMime: true,
      smtpUtf8: true,
      chunking: true,
      binaryMime: true,
      dsn: true,
      enhancedStatusCodes: true,
      startTls: true,
      requireTls: true,
    });
    expect(caps.extensions.get('XCLIENT')).toEqual(['NAME', 'ADDR']);
    expect(caps.extensions.get('HELP')).toEqual([]);
  });

  it('RFC 1870 §4: SIZE without a value (or 0) means no fixed limit', () => {
    expect(parseEhlo(parseReply('250-x\r\n250 SIZE\r\n')).size).toBe(0);
    expect(parseEhlo(parseReply('250-x\r\n250 size 0\r\n')).size).toBe(0);
    expect(parseEhlo(parseReply('250 x\r\n')).size).toBeUndefined();
  });

  it('keywords are case-insensitive; a one-line reply has no extensions', () => {
    const caps = parseEhlo(
      parseReply('250-xyz.com is on the air\r\n250-starttls\r\n250-auth plain\r\n250 \r\n'),
    );
    expect(caps.startTls).toBe(true);
    expect(caps.auth).toEqual(['PLAIN']);
    expect(caps.pipelining).toBe(false);
    expect(parseEhlo(parseReply('250 xyz.com is on the air')).extensions.size).toBe(0);
  });

  it('an enhanced code on the EHLO reply does not disturb the keywords', () => {
    const caps = parseEhlo(parseReply('250-2.0.0 mx.example.org\r\n250 2.0.0 PIPELINING\r\n'));
    expect(caps.domain).toBe('mx.example.org');
    expect(caps.pipelining).toBe(true);
  });

  it('a non-250 reply is a protocol error', () => {
    let caught: unknown;
    try {
      parseEhlo(parseReply('502 5.5.1 EHLO not supported'));
    } catch (error) {
      caught = error;
    }
    expect(isSmtpError(caught)).toBe(true);
  });
});
