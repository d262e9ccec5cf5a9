/** RFC 7208 §2.3/§2.4 identities (checkSpf) and the checkHost entry's contract. */
import { describe, expect, it } from 'vitest';
import { checkHost, checkSpf } from '../src/index';
import { createZoneResolver } from './support/zone-resolver';

const zone = {
  'mail.example.org': [{ TXT: 'v=spf1 a -all' }, { A: '192.0.2.1' }],
  'bad-helo.example.org': [{ TXT: 'v=spf1 -all' }],
  'example.com': [{ TXT: 'v=spf1 ip4:192.0.2.0/24 -all exp=why.example.com' }],
  'why.example.com': [{ TXT: '%{s} may not send from %{c} (%{r}, %{t})' }],
};

describe('§2.3/§2.4 checkSpf', () => {
  it('§2.3 checks HELO, then MAIL FROM decides', async () => {
    const resolver = createZoneResolver(zone);
    const r = await checkSpf(
      { ip: '192.0.2.1', helo: 'mail.example.org', sender: 'alice@example.com' },
      { resolver },
    );
    expect(r).toMatchObject({
      result: 'pass',
      identity: 'mailfrom',
      domain: 'example.com',
      sender: 'alice@example.com',
    });
    expect(r.heloResult?.result).toBe('pass');
  });
  it('§2.3 a HELO fail is conclusive: MAIL FROM is not checked', async () => {
    const resolver = createZoneResolver(zone);
    const r = await checkSpf(
      { ip: '192.0.2.1', helo: 'bad-helo.example.org', sender: 'alice@example.com' },
      { resolver },
    );
    expect(r).toMatchObject({ result: 'fail', identity: 'helo', domain: 'bad-helo.example.org' });
    expect(r.mailFromResult).toBeUndefined();
  });
  it('§2.3 checkHelo: false skips the HELO check', async () => {
    const resolver = createZoneResolver(zone);
    const r = await checkSpf(
      { ip: '192.0.2.1', helo: 'bad-helo.example.org', sender: 'alice@example.com' },
      { resolver, checkHelo: false },
    );
    expect(r).toMatchObject({ result: 'pass', identity: 'mailfrom' });
    expect(r.heloResult).toBeUndefined();
  });
  it('§2.4 a null reverse-path is checked as postmaster@<helo>, once', async () => {
    const resolver = createZoneResolver(zone);
    const r = await checkSpf({ ip: '198.51.100.7', helo: 'mail.example.org', sender: '' }, { resolver });
    expect(r).toMatchObject({ result: 'fail', identity: 'helo', sender: 'postmaster@mail.example.org' });
    expect(resolver.calls).toBe(2);
  });
  it('§2.3 an address-literal HELO has no SPF identity', async () => {
    const resolver = createZoneResolver(zone);
    const r = await checkSpf({ ip: '192.0.2.1', helo: '[192.0.2.1]', sender: '' }, { resolver });
    expect(r.result).toBe('none');
  });
});

describe('§4 checkHost contract', () => {
  it('§6.2 fail carries the exp= text with c, r, t expanded', async () => {
    const r = await checkHost(
      { ip: '198.51.100.7', domain: 'example.com', sender: 'alice@example.com' },
      { resolver: createZoneResolver(zone), receiver: 'mx.example.net', now: () => 1_700_000_000_500 },
    );
    expect(r).toMatchObject({
      result: 'fail',
      mechanism: '-all',
      record: 'v=spf1 ip4:192.0.2.0/24 -all exp=why.example.com',
      explanation: 'alice@example.com may not send from 198.51.100.7 (mx.example.net, 1700000000)',
    });
  });
  it('§4.3 a malformed domain is none without a lookup', async () => {
    const resolver = createZoneResolver(zone);
    for (const domain of [
      'com',
      'a..example.com',
      `${'x'.repeat(64)}.example.com`,
      '[192.0.2.1]',
      '192.0.2.1',
    ]) {
      expect((await checkHost({ ip: '192.0.2.1', domain, sender: `u@${domain}` }, { resolver })).result).toBe(
        'none',
      );
    }
    expect(resolver.calls).toBe(0);
  });
  it('§5 an IPv4-mapped IPv6 client is matched as IPv4', async () => {
    const r = await checkHost(
      { ip: '::ffff:192.0.2.9', domain: 'example.com', sender: 'u@example.com' },
      { resolver: createZoneResolver(zone) },
    );
    expect(r.result).toBe('pass');
  });
  it('an unparsable ip is a caller bug (TypeError)', async () => {
    await expect(
      checkHost(
        { ip: 'nope', domain: 'example.com', sender: 'u@example.com' },
        { resolver: createZoneResolver(zone) },
      ),
    ).rejects.toThrow(TypeError);
  });
  it('out-of-range limits are a caller bug (RangeError)', async () => {
    await expect(
      checkHost(
        { ip: '192.0.2.1', domain: 'example.com', sender: 'u@example.com' },
        { resolver: createZoneResolver(zone), limits: { voidLookups: -1 } },
      ),
    ).rejects.toThrow(RangeError);
  });
  it('an abort rejects with the signal reason', async () => {
    const controller = new AbortController();
    controller.abort(new Error('stop'));
    await expect(
      checkHost(
        { ip: '192.0.2.1', domain: 'example.com', sender: 'u@example.com' },
        { resolver: createZoneResolver(zone), signal: controller.signal },
      ),
    ).rejects.toThrow('stop');
  });
  it('§2.6.7 a resolver that throws is a temperror, not a crash', async () => {
    const resolver = createZoneResolver(zone);
    resolver.txt = async () => {
      throw new Error('boom');
    };
    const r = await checkHost(
      { ip: '192.0.2.1', domain: 'example.com', sender: 'u@example.com' },
      { resolver },
    );
    expect(r.result).toBe('temperror');
  });
});
