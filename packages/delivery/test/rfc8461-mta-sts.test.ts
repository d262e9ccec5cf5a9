import { describe, expect, it } from 'vitest';
import {
  createMtaStsResolver,
  type MtaStsFetch,
  matchMxPattern,
  parseMtaStsPolicy,
  parseMtaStsRecord,
} from '../src/index';
import { fakeResolver } from './support/fake-resolver';

const POLICY =
  'version: STSv1\r\nmode: enforce\r\nmx: mail.example.com\r\nmx: *.example.net\r\nmax_age: 86400\r\n';

function fakeFetch(routes: Record<string, { status?: number; type?: string; body: string }>) {
  const calls: string[] = [];
  const f: MtaStsFetch = async (url, init) => {
    calls.push(url);
    expect(init.redirect).toBe('error');
    const r = routes[url];
    if (!r) throw new TypeError('fetch failed');
    return {
      status: r.status ?? 200,
      headers: {
        get: (n: string) =>
          n.toLowerCase() === 'content-type' ? (r.type ?? 'text/plain; charset=utf-8') : null,
      },
      text: async () => r.body,
    };
  };
  return { f, calls };
}

describe('RFC 8461 MTA-STS', () => {
  it('§3.1 TXT record: exactly one v=STSv1 record with an id', () => {
    expect(parseMtaStsRecord(['v=STSv1; id=20160831085700Z;'])).toEqual({
      ok: true,
      value: { id: '20160831085700Z' },
    });
    expect(parseMtaStsRecord(['v=spf1 -all'])).toMatchObject({ ok: false });
    expect(parseMtaStsRecord(['v=STSv1; id=a', 'v=STSv1; id=b'])).toMatchObject({ ok: false });
    expect(parseMtaStsRecord(['v=STSv1; id=has-dash'])).toMatchObject({ ok: false });
    expect(parseMtaStsRecord(['v=STSv1; id=abc; ext=1'])).toMatchObject({ ok: true });
  });

  it('§3.2 policy file: version, mode, mx, max_age (LF or CRLF, extensions ignored)', () => {
    const p = parseMtaStsPolicy(POLICY);
    expect(p).toEqual({
      ok: true,
      value: { version: 'STSv1', mode: 'enforce', mx: ['mail.example.com', '*.example.net'], maxAge: 86400 },
    });
    expect(
      parseMtaStsPolicy('version: STSv1\nmode: testing\nmx: a.example\nmax_age: 9999999999\nfoo: bar\n'),
    ).toMatchObject({
      ok: true,
      value: { mode: 'testing', maxAge: 31_557_600 },
    });
    expect(parseMtaStsPolicy('version: STSv1\nmode: none\nmax_age: 1\n')).toMatchObject({ ok: true });
    expect(parseMtaStsPolicy('version: STSv2\nmode: enforce\nmx: a\nmax_age: 1\n')).toMatchObject({
      ok: false,
    });
    expect(parseMtaStsPolicy('version: STSv1\nmode: enforce\nmax_age: 1\n')).toMatchObject({ ok: false });
    expect(parseMtaStsPolicy('version: STSv1\nmode: strict\nmx: a\nmax_age: 1\n')).toMatchObject({
      ok: false,
    });
  });

  it('§4.1 MX patterns: exact, case-insensitive, wildcard covers one leftmost label', () => {
    expect(matchMxPattern('mail.example.com', 'MAIL.example.com.')).toBe(true);
    expect(matchMxPattern('*.example.net', 'mx1.example.net')).toBe(true);
    expect(matchMxPattern('*.example.net', 'example.net')).toBe(false);
    expect(matchMxPattern('*.example.net', 'a.b.example.net')).toBe(false);
    expect(matchMxPattern('mail.example.com', 'evil-mail.example.com')).toBe(false);
  });

  it('§3.3 fetches https://mta-sts.<domain>/.well-known/mta-sts.txt and §5.1 caches per max_age and id', async () => {
    let t = 1_000_000;
    const resolver = fakeResolver({ txt: { '_mta-sts.example.com': ['v=STSv1; id=one'] } });
    const { f, calls } = fakeFetch({
      'https://mta-sts.example.com/.well-known/mta-sts.txt': { body: POLICY },
    });
    const sts = createMtaStsResolver({ resolver, fetch: f, now: () => t });
    const first = await sts.lookup('Example.com');
    expect(first).toMatchObject({
      status: 'policy',
      source: 'fetched',
      id: 'one',
      expiresAt: t + 86_400_000,
    });
    expect(
      (await sts.lookup('example.com')).status === 'policy' && (await sts.lookup('example.com')),
    ).toMatchObject({
      source: 'cache',
    });
    expect(calls).toHaveLength(1);
    // A new id triggers a refetch.
    resolver.zone.txt = { '_mta-sts.example.com': ['v=STSv1; id=two'] };
    expect(await sts.lookup('example.com')).toMatchObject({ source: 'fetched', id: 'two' });
    expect(calls).toHaveLength(2);
    // The TXT record vanishing or failing does not drop a valid cached policy (downgrade resistance).
    resolver.zone.txt = { '_mta-sts.example.com': 'tempfail' };
    expect(await sts.lookup('example.com')).toMatchObject({ status: 'policy', source: 'cache' });
    // ... until max_age runs out.
    t += 86_400_001;
    expect(await sts.lookup('example.com')).toMatchObject({ status: 'none' });
  });

  it('§3.3 refuses non-200, non-text/plain and failed fetches; a failed refetch keeps the cache', async () => {
    const resolver = fakeResolver({
      txt: {
        '_mta-sts.a.example': ['v=STSv1; id=1'],
        '_mta-sts.b.example': ['v=STSv1; id=1'],
        '_mta-sts.c.example': ['v=STSv1; id=1'],
      },
    });
    const { f } = fakeFetch({
      'https://mta-sts.a.example/.well-known/mta-sts.txt': { status: 404, body: POLICY },
      'https://mta-sts.b.example/.well-known/mta-sts.txt': { type: 'text/html', body: POLICY },
    });
    const sts = createMtaStsResolver({ resolver, fetch: f });
    expect(await sts.lookup('a.example')).toMatchObject({
      status: 'none',
      reason: expect.stringContaining('404'),
    });
    expect(await sts.lookup('b.example')).toMatchObject({
      status: 'none',
      reason: expect.stringContaining('text/html'),
    });
    expect(await sts.lookup('c.example')).toMatchObject({
      status: 'none',
      reason: expect.stringContaining('fetch failed'),
    });
    expect(await sts.lookup('nosts.example')).toMatchObject({ status: 'none' });
  });

  it('honours an aborted signal', async () => {
    const sts = createMtaStsResolver({ resolver: fakeResolver({}) });
    await expect(sts.lookup('example.com', { signal: AbortSignal.abort() })).rejects.toThrow();
  });
});
