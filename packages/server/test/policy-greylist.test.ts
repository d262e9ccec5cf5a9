import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import {
  clientNetwork,
  createGreylist,
  createMemoryGreylistStore,
  createRateLimiter,
  openFileGreylistStore,
} from '@smtpkit/server/policy';
import { describe, expect, it } from 'vitest';

const triplet = { clientAddress: '192.0.2.10', sender: 'a@example.org', recipient: 'b@example.net' };

describe('clientNetwork', () => {
  it('keys IPv4 by /24 and IPv6 by /64', () => {
    expect(clientNetwork('192.0.2.77')).toBe('192.0.2.0/24');
    expect(clientNetwork('::ffff:192.0.2.77')).toBe('192.0.2.0/24');
    expect(clientNetwork('2001:db8:1:2:3:4:5:6')).toBe('2001:db8:1:2:0:0:0:0/64');
    expect(clientNetwork('2001:db8::1')).toBe('2001:db8:0:0:0:0:0:0/64');
    expect(clientNetwork('10.1.2.3', 32)).toBe('10.1.2.3/32');
    expect(() => clientNetwork('example.org')).toThrow(TypeError);
  });
});

describe('greylisting (postgrey semantics)', () => {
  it('defers a new triplet, passes a retry after the delay, then whitelists it', async () => {
    let now = 1_000_000;
    const greylist = createGreylist({
      store: createMemoryGreylistStore(() => now),
      delay: 300_000,
      now: () => now,
    });
    expect(await greylist.check(triplet)).toEqual({ action: 'defer', retryAfter: 300_000 });
    now += 60_000;
    expect(await greylist.check(triplet)).toEqual({ action: 'defer', retryAfter: 240_000 });
    now += 240_000;
    expect(await greylist.check(triplet)).toEqual({ action: 'pass', reason: 'retried' });
    now += 86_400_000;
    expect(await greylist.check(triplet)).toEqual({ action: 'pass', reason: 'known' });
  });

  it('treats a neighbour in the same /24 as the same client, another /24 as new', async () => {
    let now = 0;
    const greylist = createGreylist({ store: createMemoryGreylistStore(() => now), now: () => now });
    await greylist.check(triplet);
    now += 301_000;
    expect((await greylist.check({ ...triplet, clientAddress: '192.0.2.200' })).action).toBe('pass');
    expect((await greylist.check({ ...triplet, clientAddress: '192.0.3.10' })).action).toBe('defer');
  });

  it('starts over when the retry comes after the retry window', async () => {
    let now = 0;
    const greylist = createGreylist({
      store: createMemoryGreylistStore(() => now),
      delay: 1000,
      retryWindow: 10_000,
      now: () => now,
    });
    await greylist.check(triplet);
    now += 20_000;
    expect((await greylist.check(triplet)).action).toBe('defer');
    now += 1500;
    expect((await greylist.check(triplet)).action).toBe('pass');
  });

  it('rejects inconsistent options', () => {
    expect(() => createGreylist({ store: createMemoryGreylistStore(), delay: 10, retryWindow: 5 })).toThrow(
      RangeError,
    );
  });

  it('persists triplets in the JSON-lines file store across reopen, and compacts', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'smtpkit-greylist-'));
    try {
      const path = join(dir, 'sub', 'greylist.jsonl');
      let now = 0;
      const store = await openFileGreylistStore(path, { now: () => now });
      const greylist = createGreylist({ store, now: () => now });
      await greylist.check(triplet);
      await store.close?.();
      now += 301_000;
      const reopened = await openFileGreylistStore(path, { now: () => now });
      const again = createGreylist({ store: reopened, now: () => now });
      expect(await again.check(triplet)).toEqual({ action: 'pass', reason: 'retried' });
      for (let i = 0; i < 200; i++) await again.check(triplet);
      await reopened.close?.();
      const lines = (await readFile(path, 'utf8')).trim().split('\n');
      expect(lines.length).toBeLessThan(100);
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });
});

describe('rate limiting (anvil-like)', () => {
  it('limits concurrent connections and frees them on disconnect', () => {
    const limiter = createRateLimiter({ maxConcurrentConnections: 2 });
    expect(limiter.connect('192.0.2.1').allowed).toBe(true);
    expect(limiter.connect('192.0.2.1').allowed).toBe(true);
    expect(limiter.connect('192.0.2.1')).toEqual({ allowed: false, limit: 'concurrent', retryAfter: 0 });
    expect(limiter.connect('192.0.2.2').allowed).toBe(true);
    limiter.disconnect('192.0.2.1');
    expect(limiter.connect('192.0.2.1').allowed).toBe(true);
  });

  it('limits connection, message and recipient rates per window', () => {
    let now = 0;
    const limiter = createRateLimiter({
      window: 60_000,
      maxConnectionRate: 2,
      maxMessageRate: 1,
      maxRecipientRate: 3,
      now: () => now,
    });
    const ip = '2001:db8::5';
    expect(limiter.connect(ip).allowed).toBe(true);
    limiter.disconnect(ip);
    expect(limiter.connect(ip).allowed).toBe(true);
    limiter.disconnect(ip);
    now += 10_000;
    expect(limiter.connect(ip)).toEqual({ allowed: false, limit: 'connection-rate', retryAfter: 50_000 });
    expect(limiter.message(ip).allowed).toBe(true);
    expect(limiter.message(ip)).toMatchObject({ allowed: false, limit: 'message-rate' });
    for (let i = 0; i < 3; i++) expect(limiter.recipient(ip).allowed).toBe(true);
    expect(limiter.recipient(ip).allowed).toBe(false);
    now += 60_000;
    expect(limiter.connect(ip).allowed).toBe(true);
    expect(limiter.message(ip).allowed).toBe(true);
  });

  it('forgets idle clients so memory stays bounded', () => {
    let now = 0;
    const limiter = createRateLimiter({ window: 1000, now: () => now });
    for (let i = 0; i < 100; i++) limiter.message(`10.0.${i}.1`);
    expect(limiter.size).toBe(100);
    now += 5000;
    limiter.message('10.9.9.9');
    expect(limiter.size).toBe(1);
  });
});
