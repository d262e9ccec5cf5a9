import { describe, expect, it } from 'vitest';
import {
  isSmtpError,
  isSmtpReplyError,
  isSmtpSyntaxError,
  SmtpError,
  SmtpReplyError,
  SmtpSyntaxError,
} from '../src/index';

describe('error family', () => {
  it('SmtpError has a literal name, a string code and a cause', () => {
    const cause = new Error('socket');
    const error = new SmtpError('boom', 'ERR_SMTP_TIMEOUT', { cause });
    expect(error.name).toBe('SmtpError');
    expect(error.code).toBe('ERR_SMTP_TIMEOUT');
    expect(error.cause).toBe(cause);
    expect(new SmtpError('x').code).toBe('ERR_SMTP_PROTOCOL');
    expect(isSmtpError(error)).toBe(true);
    expect(isSmtpReplyError(error)).toBe(false);
  });

  it('SmtpReplyError: RFC 5321 §4.2.1 transient 4yz, permanent 5yz; the verb, never arguments', () => {
    const error = new SmtpReplyError(
      { code: 451, enhanced: '4.7.1', lines: ['Try later'] },
      { verb: 'RCPT' },
    );
    expect(error).toBeInstanceOf(SmtpError);
    expect(error.name).toBe('SmtpReplyError');
    expect(error.code).toBe('ERR_SMTP_REPLY');
    expect(error.replyCode).toBe(451);
    expect(error.enhanced).toBe('4.7.1');
    expect(error.lines).toEqual(['Try later']);
    expect(error.verb).toBe('RCPT');
    expect(error.transient).toBe(true);
    expect(error.permanent).toBe(false);
    expect(error.message).toBe('RCPT: 451 4.7.1 Try later');
    const permanent = new SmtpReplyError({ code: 550, lines: ['No'] });
    expect(permanent.permanent).toBe(true);
    expect(permanent.transient).toBe(false);
    expect(permanent.verb).toBeUndefined();
    expect(isSmtpReplyError(permanent)).toBe(true);
    expect(isSmtpError(permanent)).toBe(true);
  });

  it('SmtpReplyError refuses a code that is not a reply code (caller bug)', () => {
    expect(() => new SmtpReplyError({ code: 42, lines: [] })).toThrow(RangeError);
  });

  it('SmtpSyntaxError carries the reply a server should send', () => {
    const error = new SmtpSyntaxError({ code: 501, enhanced: '5.5.4', lines: ['Bad'] });
    expect(error.name).toBe('SmtpSyntaxError');
    expect(error.code).toBe('ERR_SMTP_SYNTAX');
    expect(error.reply.code).toBe(501);
    expect(isSmtpSyntaxError(error)).toBe(true);
    expect(isSmtpError(error)).toBe(true);
    expect(isSmtpReplyError(error)).toBe(false);
  });

  it('guards work across duplicate installs (brand via Symbol.for, not instanceof)', () => {
    // What a second copy of the package produces: a foreign class with the same registered brand.
    class ForeignError extends Error {
      readonly code = 'ERR_SMTP_REPLY';
    }
    const foreign = new ForeignError('x');
    Object.defineProperty(foreign, Symbol.for('@smtpkit/wire.SmtpError'), { value: true });
    Object.defineProperty(foreign, Symbol.for('@smtpkit/wire.SmtpReplyError'), { value: true });
    expect(foreign instanceof SmtpError).toBe(false);
    expect(isSmtpError(foreign)).toBe(true);
    expect(isSmtpReplyError(foreign)).toBe(true);
    for (const value of [
      null,
      undefined,
      1,
      'ERR_SMTP_PROTOCOL',
      new Error('x'),
      { code: 'ERR_SMTP_PROTOCOL' },
    ]) {
      expect(isSmtpError(value)).toBe(false);
    }
  });
});
