import { describe, expect, it } from 'vitest';
import {
  classifyFailure,
  classifyReply,
  DestinationBackoff,
  DomainLimiter,
  expireVerdict,
} from '../src/index';

describe('per-recipient classification', () => {
  it('RFC 5321 §4.2.1: 2yz delivered, 5yz failed, 4yz deferred, with RFC 3463 status', () => {
    expect(classifyReply({ code: 250, enhanced: '2.1.5', lines: ['OK'] }, 'mx1')).toMatchObject({
      kind: 'delivered',
      status: '2.1.5',
      host: 'mx1',
    });
    expect(classifyReply({ code: 550, enhanced: '5.1.1', lines: ['No such user'] })).toMatchObject({
      kind: 'failed',
      status: '5.1.1',
      reason: '550 5.1.1 No such user',
    });
    expect(classifyReply({ code: 451, lines: ['greylisted'] })).toMatchObject({
      kind: 'deferred',
      status: '4.0.0',
    });
    expect(classifyReply({ code: 354, lines: [] })).toMatchObject({ kind: 'deferred', status: '4.5.0' });
  });

  it('timeouts, refusals, TLS and DNS temporary failures defer', () => {
    for (const f of [
      'timeout',
      'refused',
      'network',
      'tls',
      'dns-tempfail',
      'mta-sts',
      'requiretls',
    ] as const) {
      expect(classifyFailure(f).kind).toBe('deferred');
    }
    expect(classifyFailure('dns-tempfail').status).toBe('4.4.3');
  });

  it('RFC 7505 §4.2 null MX fails with 5.1.10; no reachable host defers with 4.4.1', () => {
    expect(classifyFailure('null-mx')).toMatchObject({ kind: 'failed', status: '5.1.10' });
    expect(classifyFailure('no-reachable-host')).toMatchObject({ kind: 'deferred', status: '4.4.1' });
  });

  it('a connection lost after the final dot defers, flagged as a possible duplicate', () => {
    expect(classifyFailure('lost-after-dot', undefined, 'mx1')).toMatchObject({
      kind: 'deferred',
      possibleDuplicate: true,
      host: 'mx1',
    });
    expect(classifyFailure('network')).not.toHaveProperty('possibleDuplicate');
  });

  it('RFC 3463 X.4.7: expiry fails with 4.4.7 and keeps the last error', () => {
    const last = classifyReply({ code: 451, enhanced: '4.7.1', lines: ['try later'] }, 'mx1');
    const v = expireVerdict(last);
    expect(v).toMatchObject({ kind: 'failed', status: '4.4.7', host: 'mx1' });
    expect(v.reason).toContain('451 4.7.1 try later');
  });
});

describe('DestinationBackoff (421 storm)', () => {
  it('RFC 5321 §3.8: pauses the destination, doubling per 421, reset by success', () => {
    const b = new DestinationBackoff({ initialMs: 1000, maximumMs: 5000 });
    expect(b.pausedUntil('mx.example', 0)).toBeUndefined();
    expect(b.recordUnavailable('MX.example', 0)).toBe(1000);
    expect(b.pausedUntil('mx.example', 500)).toBe(1000);
    expect(b.pausedUntil('mx.example', 1000)).toBeUndefined();
    // A second 421 while paused (a connection opened before the pause) does not compound it.
    expect(b.recordUnavailable('mx.example', 10)).toBe(1000);
    expect(b.recordUnavailable('mx.example', 1000)).toBe(3000);
    expect(b.recordUnavailable('mx.example', 3000)).toBe(7000);
    expect(b.recordUnavailable('mx.example', 7000)).toBe(12000);
    b.recordSuccess('mx.example');
    expect(b.pausedUntil('mx.example', 7001)).toBeUndefined();
    expect(b.recordUnavailable('mx.example', 20000)).toBe(21000);
  });
});

describe('DomainLimiter', () => {
  it('caps concurrent connections per domain', () => {
    const l = new DomainLimiter({ perDomainConcurrency: 2 });
    const a = l.tryAcquire('example.com', 0);
    const b = l.tryAcquire('EXAMPLE.com', 0);
    expect(a.ok && b.ok).toBe(true);
    expect(l.tryAcquire('example.com', 0)).toEqual({ ok: false });
    expect(l.tryAcquire('other.example', 0).ok).toBe(true);
    if (a.ok) a.release();
    if (a.ok) a.release();
    expect(l.active('example.com')).toBe(1);
    expect(l.tryAcquire('example.com', 0).ok).toBe(true);
  });

  it('limits the start rate in a sliding window and says when to retry', () => {
    const l = new DomainLimiter({ perDomainConcurrency: 10, perDomainRate: 2, rateIntervalMs: 1000 });
    const r1 = l.tryAcquire('d', 0);
    const r2 = l.tryAcquire('d', 100);
    if (r1.ok) r1.release();
    if (r2.ok) r2.release();
    expect(l.tryAcquire('d', 200)).toEqual({ ok: false, retryAt: 1000 });
    expect(l.tryAcquire('d', 1000).ok).toBe(true);
  });
});

describe('DestinationBackoff probes', () => {
  it('after a pause only one probe connection is admitted until it reports back', () => {
    const b = new DestinationBackoff({ initialMs: 1000 });
    expect(b.admit('mx', 0)).toEqual({ ok: true });
    b.recordUnavailable('mx', 0);
    expect(b.admit('mx', 500)).toEqual({ ok: false, until: 1000 });
    expect(b.admit('mx', 1000)).toEqual({ ok: true });
    expect(b.admit('mx', 1001)).toEqual({ ok: false, until: 2001 });
    b.endProbe('mx');
    expect(b.admit('mx', 1002)).toEqual({ ok: true });
    b.recordSuccess('mx');
    expect(b.admit('mx', 1003)).toEqual({ ok: true });
    expect(b.admit('mx', 1003)).toEqual({ ok: true });
  });
});
