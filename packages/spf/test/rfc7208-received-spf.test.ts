/** RFC 7208 §9.1 Received-SPF and RFC 8601 §2.7.2 `spf=` formatting. */
import { describe, expect, it } from 'vitest';
import { type CheckHostResult, formatReceivedSpf, formatSpfAuthenticationResult } from '../src/index';

const pass: CheckHostResult = {
  result: 'pass',
  domain: 'example.com',
  mechanism: 'ip4:192.0.2.0/24',
  lookups: { dns: 0, void: 0 },
};

describe('§9.1 Received-SPF', () => {
  it('§9.1 result, comment and key-value pairs', () => {
    expect(
      formatReceivedSpf(pass, {
        ip: '192.0.2.1',
        envelopeFrom: 'myname@example.com',
        helo: 'foo.example.com',
        receiver: 'mybox.example.org',
      }),
    ).toBe(
      'Received-SPF: pass (mybox.example.org: domain of myname@example.com designates 192.0.2.1 as permitted sender) ' +
        'client-ip=192.0.2.1; envelope-from="myname@example.com"; helo=foo.example.com; receiver=mybox.example.org; ' +
        'mechanism="ip4:192.0.2.0/24"; identity=mailfrom',
    );
  });
  it('§9.1 errors carry problem=, and no CR/LF or unescaped parenthesis gets through', () => {
    const header = formatReceivedSpf(
      {
        result: 'permerror',
        domain: 'example.com',
        lookups: { dns: 0, void: 0 },
        problems: ['bad "x"\r\nInjected: 1'],
      },
      { ip: '192.0.2.1', envelopeFrom: 'a)b@example.com', receiver: 'mx' },
    );
    expect(header).not.toMatch(/[\r\n]/);
    expect(header).toContain('problem="bad \\"x\\"Injected: 1"');
    expect(header).toContain('domain of a\\)b@example.com');
  });
  it('§9.1 identity=helo; an IPv6 client-ip is not a dot-atom, so it is quoted', () => {
    expect(
      formatReceivedSpf({ ...pass, result: 'none' }, { ip: '::1', identity: 'helo', helo: 'h.example' }),
    ).toBe(
      'Received-SPF: none (domain of h.example does not designate permitted sender hosts) client-ip="::1"; helo=h.example; mechanism="ip4:192.0.2.0/24"; identity=helo',
    );
  });
});

describe('RFC 8601 §2.7.2 spf= resinfo', () => {
  it('smtp.mailfrom for the MAIL FROM identity', () => {
    expect(formatSpfAuthenticationResult(pass, { ip: '192.0.2.1', envelopeFrom: 'alice@example.com' })).toBe(
      'spf=pass smtp.mailfrom=alice@example.com',
    );
  });
  it('smtp.helo for the HELO identity; odd local-parts are quoted', () => {
    expect(
      formatSpfAuthenticationResult(
        { ...pass, result: 'fail' },
        { ip: '1', identity: 'helo', helo: 'h.example' },
      ),
    ).toBe('spf=fail smtp.helo=h.example');
    expect(formatSpfAuthenticationResult(pass, { ip: '1', envelopeFrom: 'a b@example.com' })).toBe(
      'spf=pass smtp.mailfrom="a b"@example.com',
    );
  });
});
