/**
 * The queue contract as a vitest suite. A driver passes it by being created against the suite's
 * clock: `runQueueContract('sqlite', ({ now }) => createSqliteQueue({ path, now }))`. Every test
 * gets a fresh, empty queue.
 */
import { createHash } from 'node:crypto';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { isQueueError } from '../errors.js';
import type { ClaimedGroup, EnqueueInput, Envelope, Queue, QueueEvent } from '../types.js';
import { createManualClock, type ManualClock } from './clock.js';

/** What the suite hands a driver factory. */
export interface QueueContractContext {
  /** The suite's clock; the driver must read time only from it. */
  readonly now: () => number;
  /** Registers a cleanup (delete a temp dir, drop a schema) run after the test, after `close()`. */
  readonly onCleanup: (cleanup: () => void | Promise<void>) => void;
  /**
   * Names this test's storage (unique per test, `[a-z0-9_]`). With `sharedStorage`, the suite calls
   * `create` again with the same key and expects a second handle on the same storage (same file,
   * same schema): map the key to the path or schema name.
   */
  readonly storageKey: string;
}

/** Suite options. */
export interface QueueContractOptions {
  /** Size of the streamed big-content test. Default 64 MiB. */
  readonly bigContentBytes?: number;
  /** Timeout for the big-content test. Default 120 000 ms. */
  readonly bigContentTimeoutMs?: number;
  /**
   * Set for durable drivers whose handles created with the same `storageKey` share storage: adds
   * the tests that a reopened handle sees everything committed, and that claims from two handles
   * (two connections, two pools) never overlap.
   */
  readonly sharedStorage?: boolean;
}

const encoder = new TextEncoder();
const decoder = new TextDecoder();
const minute = 60_000;
const day = 86_400_000;

function envelope(recipients: readonly string[], extra: Partial<Envelope> = {}): Envelope {
  return {
    reversePath: 'sender@example.org',
    recipients: recipients.map((address) => ({ address })),
    ...extra,
  };
}

function input(recipients: readonly string[], extra: Partial<EnqueueInput> = {}): EnqueueInput {
  return {
    envelope: envelope(recipients),
    content: encoder.encode('Subject: test\r\n\r\nhello\r\n'),
    ...extra,
  };
}

async function readAll(iterable: AsyncIterable<Uint8Array>): Promise<Uint8Array> {
  const parts: Uint8Array[] = [];
  for await (const part of iterable) parts.push(part);
  const out = new Uint8Array(parts.reduce((n, p) => n + p.length, 0));
  let offset = 0;
  for (const part of parts) {
    out.set(part, offset);
    offset += part.length;
  }
  return out;
}

async function rejection(promise: Promise<unknown>): Promise<unknown> {
  try {
    await promise;
  } catch (error) {
    return error;
  }
  throw new Error('expected a rejection');
}

/** Generates `total` deterministic bytes in 64 KiB pieces, hashing them as they go out. */
function generated(total: number, hash: ReturnType<typeof createHash>): AsyncIterable<Uint8Array> {
  return {
    async *[Symbol.asyncIterator]() {
      const piece = 64 * 1024;
      for (let offset = 0, n = 0; offset < total; offset += piece, n++) {
        const chunk = new Uint8Array(Math.min(piece, total - offset));
        for (let i = 0; i < chunk.length; i += 4096) chunk[i] = (n + i) & 0xff;
        chunk.fill(n & 0xff, 1, 64);
        hash.update(chunk);
        yield chunk;
      }
    },
  };
}

function recipientKeys(groups: readonly ClaimedGroup[]): string[] {
  return groups.flatMap((g) => g.recipients.map((r) => `${g.messageId}#${r.index}`));
}

/**
 * Defines the contract tests for a driver (call at the top level of a vitest test file).
 * `create` gets the suite's clock; the suite calls `close()` after each test.
 * @example
 * ```ts
 * runQueueContract('sqlite', ({ now, storageKey, onCleanup }) => {
 *   const dir = mkdtempSync(join(tmpdir(), `queue-${storageKey}-`));
 *   onCleanup(() => rmSync(dir, { recursive: true, force: true }));
 *   return createSqliteQueue({ path: join(dir, 'queue.db'), now });
 * });
 * ```
 */
export function runQueueContract(
  name: string,
  create: (context: QueueContractContext) => Queue | Promise<Queue>,
  options: QueueContractOptions = {},
): void {
  const bigContentBytes = options.bigContentBytes ?? 64 * 1024 * 1024;
  let storageCounter = 0;

  describe(`queue contract: ${name}`, () => {
    let clock: ManualClock;
    let queue: Queue;
    let cleanups: (() => void | Promise<void>)[];
    let events: QueueEvent[];
    let storageKey: string;
    let handles: Queue[];
    /** Another handle on this test's storage (only with `sharedStorage`). */
    const open = async (): Promise<Queue> => {
      const handle = await create({
        now: clock.now,
        onCleanup: (cleanup) => cleanups.push(cleanup),
        storageKey,
      });
      handles.push(handle);
      return handle;
    };

    beforeEach(async () => {
      clock = createManualClock();
      cleanups = [];
      handles = [];
      storageKey = `qc_${process.pid}_${++storageCounter}_${Math.floor(Math.random() * 1e9).toString(36)}`;
      queue = await open();
      events = [];
      queue.subscribe((event) => events.push(event));
    });

    afterEach(async () => {
      for (const handle of handles) await handle.close();
      for (const cleanup of cleanups.reverse()) await cleanup();
    });

    describe('enqueue', () => {
      it('stores the envelope, content and pending recipients; resolves with an id', async () => {
        const full: Envelope = {
          reversePath: 'sender@example.org',
          recipients: [
            {
              address: 'a@example.com',
              notify: ['SUCCESS', 'FAILURE'],
              orcpt: { type: 'rfc822', address: 'A@example.com' },
            },
            { address: 'b@Example.NET', notify: 'NEVER' },
          ],
          envid: 'QQ314159',
          ret: 'HDRS',
          requireTls: true,
          smtpUtf8: false,
          body: '8BITMIME',
          metadata: { authUser: 'alice', clientIp: '192.0.2.1', receivedAt: 1, tags: ['x', { y: null }] },
        };
        const content = encoder.encode('Subject: hi\r\n\r\nbody\r\n');
        const id = await queue.enqueue({ envelope: full, content });
        expect(typeof id).toBe('string');
        const info = await queue.inspect(id);
        expect(info.envelope).toEqual(full);
        expect(info.state).toBe('queued');
        expect(info.size).toBe(content.length);
        expect(info.held).toBe(false);
        expect(info.enqueuedAt).toBe(clock.now());
        expect(
          info.recipients.map((r) => [r.index, r.domain, r.status, r.attempts, r.nextAttemptAt]),
        ).toEqual([
          [0, 'example.com', 'pending', 0, clock.now()],
          [1, 'example.net', 'pending', 0, clock.now()],
        ]);
        expect(await readAll(queue.readContent(id))).toEqual(content);
        expect(events).toEqual([
          {
            type: 'enqueue',
            at: clock.now(),
            messageId: id,
            reversePath: full.reversePath,
            recipientCount: 2,
            size: content.length,
          },
        ]);
      });

      it('accepts content as a stream of arbitrary chunks, and empty content', async () => {
        const text = `Subject: streamed\r\n\r\n${'line of text\r\n'.repeat(10_000)}`;
        const bytes = encoder.encode(text);
        async function* pieces() {
          for (let i = 0; i < bytes.length; i += 777) yield bytes.subarray(i, i + 777);
        }
        const id = await queue.enqueue({ envelope: envelope(['a@example.com']), content: pieces() });
        expect(decoder.decode(await readAll(queue.readContent(id)))).toBe(text);
        const empty = await queue.enqueue({
          envelope: envelope(['a@example.com']),
          content: new Uint8Array(0),
        });
        expect((await readAll(queue.readContent(empty))).length).toBe(0);
        expect((await queue.inspect(empty)).size).toBe(0);
      });

      it('accepts the null reverse-path and a domainless postmaster (RFC 5321 §4.5.1)', async () => {
        const id = await queue.enqueue({
          envelope: { reversePath: '', recipients: [{ address: 'postmaster' }] },
          content: new Uint8Array(1),
        });
        const info = await queue.inspect(id);
        expect(info.envelope.reversePath).toBe('');
        expect(info.recipients[0]?.domain).toBe('');
      });

      it('rejects invalid envelopes as caller bugs (TypeError) and stores nothing', async () => {
        const bad: unknown[] = [
          { reversePath: 'a@example.org', recipients: [] },
          envelope(['victim@example.com\r\nRCPT TO:<evil@example.net>']),
          envelope(['a@example.com\n']),
          envelope(['a\u0000@example.com']),
          envelope(['<a@example.com>']),
          { reversePath: 'x@example.org\r\nX-Injected: 1', recipients: [{ address: 'a@example.com' }] },
          { reversePath: 'a@example.org', recipients: [{ address: 'a@example.com', notify: [] }] },
          { reversePath: 'a@example.org', recipients: [{ address: 'a@example.com', notify: ['SOMETIMES'] }] },
          { ...envelope(['a@example.com']), ret: 'ALL' },
          { ...envelope(['a@example.com']), metadata: { n: Number.NaN } },
          envelope([`${'x'.repeat(250)}@example.com`]),
        ];
        for (const env of bad) {
          const error = await rejection(
            queue.enqueue({ envelope: env as Envelope, content: new Uint8Array(1) }),
          );
          expect(error).toBeInstanceOf(TypeError);
        }
        expect((await queue.stats()).messages).toBe(0);
        expect(events).toEqual([]);
      });

      it('stores CR/LF in ORCPT, ENVID and metadata as data: nothing is rewritten (CVE-2020-28021 class)', async () => {
        const hostile = 'x\r\nR:evil@example.net\r\n.\r\nMAIL FROM:<>\n\u0000';
        const env: Envelope = {
          reversePath: 'sender@example.org',
          recipients: [{ address: 'a@example.com', orcpt: { type: 'rfc822', address: hostile } }],
          envid: hostile,
          metadata: { helo: hostile, [hostile]: hostile },
        };
        const id = await queue.enqueue({ envelope: env, content: encoder.encode(hostile) });
        const info = await queue.inspect(id);
        expect(info.envelope).toEqual(env);
        expect(info.recipients).toHaveLength(1);
        expect(info.envelope.reversePath).toBe('sender@example.org');
        const [group] = await queue.claim({ limit: 10, leaseMs: minute, workerId: 'w' });
        expect(group?.envelope).toEqual(env);
        expect(group?.recipients.map((r) => r.recipient.address)).toEqual(['a@example.com']);
        expect(decoder.decode(await readAll(queue.readContent(id)))).toBe(hostile);
      });

      it('an aborted enqueue rejects with the reason and leaves nothing visible', async () => {
        const controller = new AbortController();
        const reason = new Error('client went away');
        async function* pieces() {
          yield encoder.encode('Subject: x\r\n\r\n');
          controller.abort(reason);
          yield encoder.encode('more\r\n');
        }
        const error = await rejection(
          queue.enqueue(
            { envelope: envelope(['a@example.com']), content: pieces() },
            { signal: controller.signal },
          ),
        );
        expect(error).toBe(reason);
        expect(await queue.list()).toEqual([]);
        expect(await queue.claim({ limit: 10, leaseMs: minute, workerId: 'w' })).toEqual([]);
        expect(events).toEqual([]);
      });

      it('a failing content stream rejects the enqueue and leaves nothing visible', async () => {
        const failure = new Error('socket reset');
        async function* pieces(): AsyncGenerator<Uint8Array> {
          yield new Uint8Array(100_000);
          throw failure;
        }
        expect(
          await rejection(queue.enqueue({ envelope: envelope(['a@example.com']), content: pieces() })),
        ).toBe(failure);
        expect((await queue.stats()).messages).toBe(0);
      });

      it('many concurrent enqueues all resolve with distinct ids, all stored', async () => {
        const ids = await Promise.all(
          Array.from({ length: 200 }, (_, i) => queue.enqueue(input([`r${i}@example.com`]))),
        );
        expect(new Set(ids).size).toBe(200);
        expect((await queue.stats()).messages).toBe(200);
        for (const id of ids.slice(0, 5)) expect((await queue.inspect(id)).recipients).toHaveLength(1);
      });

      it(
        `streams big content (${bigContentBytes} octets) in and out intact`,
        async () => {
          const inHash = createHash('sha256');
          const id = await queue.enqueue({
            envelope: envelope(['a@example.com']),
            content: generated(bigContentBytes, inHash),
          });
          expect((await queue.inspect(id)).size).toBe(bigContentBytes);
          const outHash = createHash('sha256');
          let total = 0;
          let largest = 0;
          for await (const chunk of queue.readContent(id)) {
            outHash.update(chunk);
            total += chunk.length;
            largest = Math.max(largest, chunk.length);
          }
          expect(total).toBe(bigContentBytes);
          expect(outHash.digest('hex')).toBe(inHash.digest('hex'));
          // Read back in pieces, never as one buffer.
          expect(largest).toBeLessThanOrEqual(Math.max(1024 * 1024, bigContentBytes / 16));
        },
        options.bigContentTimeoutMs ?? 120_000,
      );
    });

    describe('claim and leases', () => {
      it('groups due recipients by message and domain under one token per group', async () => {
        const id = await queue.enqueue(input(['a@example.com', 'b@example.net', 'c@EXAMPLE.com']));
        const groups = await queue.claim({ limit: 10, leaseMs: minute, workerId: 'w1' });
        expect(groups).toHaveLength(2);
        const byDomain = new Map(groups.map((g) => [g.domain, g]));
        expect(byDomain.get('example.com')?.recipients.map((r) => r.index)).toEqual([0, 2]);
        expect(byDomain.get('example.net')?.recipients.map((r) => r.recipient.address)).toEqual([
          'b@example.net',
        ]);
        for (const group of groups) {
          expect(group.messageId).toBe(id);
          expect(group.leaseExpiresAt).toBe(clock.now() + minute);
          expect(group.envelope.recipients).toHaveLength(3);
          expect(group.recipients.every((r) => r.attempts === 0)).toBe(true);
        }
        expect(groups[0]?.leaseToken).not.toBe(groups[1]?.leaseToken);
        const info = await queue.inspect(id);
        expect(info.state).toBe('active');
        expect(info.recipients[0]?.lease).toEqual({ workerId: 'w1', expiresAt: clock.now() + minute });
      });

      it('respects limit, hands out earliest next attempt first, and never hands out leased recipients', async () => {
        const first = await queue.enqueue(input(['a@one.example', 'b@one.example', 'c@two.example']));
        clock.advance(1000);
        const second = await queue.enqueue(input(['d@one.example']));
        const claimed = await queue.claim({ limit: 2, leaseMs: minute, workerId: 'w' });
        expect(recipientKeys(claimed)).toEqual([`${first}#0`, `${first}#1`]);
        const rest = await queue.claim({ limit: 10, leaseMs: minute, workerId: 'w' });
        expect(recipientKeys(rest).sort()).toEqual([`${first}#2`, `${second}#0`].sort());
        expect(await queue.claim({ limit: 10, leaseMs: minute, workerId: 'w' })).toEqual([]);
      });

      it('filters by domain when asked', async () => {
        await queue.enqueue(input(['a@one.example', 'b@two.example']));
        const groups = await queue.claim({
          limit: 10,
          leaseMs: minute,
          workerId: 'w',
          domains: ['TWO.example'],
        });
        expect(groups.map((g) => g.domain)).toEqual(['two.example']);
      });

      it('does not hand out a message before notBefore (delayed delivery)', async () => {
        const id = await queue.enqueue(input(['a@example.com'], { notBefore: clock.now() + 10 * minute }));
        expect((await queue.inspect(id)).recipients[0]?.nextAttemptAt).toBe(clock.now() + 10 * minute);
        expect(await queue.claim({ limit: 10, leaseMs: minute, workerId: 'w' })).toEqual([]);
        clock.advance(10 * minute - 1);
        expect(await queue.claim({ limit: 10, leaseMs: minute, workerId: 'w' })).toEqual([]);
        clock.advance(1);
        expect(recipientKeys(await queue.claim({ limit: 10, leaseMs: minute, workerId: 'w' }))).toEqual([
          `${id}#0`,
        ]);
      });

      it('reclaims recipients whose lease expired (a crashed worker), under a new token', async () => {
        const id = await queue.enqueue(input(['a@example.com']));
        const [first] = await queue.claim({ limit: 10, leaseMs: minute, workerId: 'crashed' });
        clock.advance(minute - 1);
        expect(await queue.claim({ limit: 10, leaseMs: minute, workerId: 'w2' })).toEqual([]);
        clock.advance(1);
        const [second] = await queue.claim({ limit: 10, leaseMs: minute, workerId: 'w2' });
        expect(second?.messageId).toBe(id);
        expect(second?.leaseToken).not.toBe(first?.leaseToken);
        expect((await queue.inspect(id)).recipients[0]?.lease?.workerId).toBe('w2');
      });

      it('extendLease keeps a lease alive and reports a lost one as null', async () => {
        await queue.enqueue(input(['a@example.com']));
        const [group] = await queue.claim({ limit: 10, leaseMs: minute, workerId: 'w1' });
        const token = group!.leaseToken;
        clock.advance(minute - 1000);
        expect(await queue.extendLease({ leaseToken: token, leaseMs: 5 * minute })).toBe(
          clock.now() + 5 * minute,
        );
        clock.advance(2 * minute);
        expect(await queue.claim({ limit: 10, leaseMs: minute, workerId: 'w2' })).toEqual([]);
        clock.advance(3 * minute);
        expect(await queue.claim({ limit: 10, leaseMs: minute, workerId: 'w2' })).toHaveLength(1);
        expect(await queue.extendLease({ leaseToken: token, leaseMs: minute })).toBeNull();
        expect(await queue.extendLease({ leaseToken: 'no-such-token', leaseMs: minute })).toBeNull();
      });

      it('concurrent claims never hand out the same recipient', async () => {
        const ids = await Promise.all(
          Array.from({ length: 50 }, (_, i) =>
            queue.enqueue(
              input([`a${i}@one.example`, `b${i}@two.example`, `c${i}@one.example`, `d${i}@three.example`]),
            ),
          ),
        );
        const rounds = await Promise.all(
          Array.from({ length: 8 }, (_, w) => queue.claim({ limit: 30, leaseMs: minute, workerId: `w${w}` })),
        );
        const keys = rounds.flatMap(recipientKeys);
        expect(new Set(keys).size).toBe(keys.length);
        expect(keys.length).toBe(200);
        expect(new Set(keys.map((k) => k.split('#')[0]))).toEqual(new Set(ids));
      });

      it('rejects malformed requests as caller bugs', async () => {
        await expect(queue.claim({ limit: 0, leaseMs: minute, workerId: 'w' })).rejects.toBeInstanceOf(
          RangeError,
        );
        await expect(queue.claim({ limit: 1, leaseMs: -1, workerId: 'w' })).rejects.toBeInstanceOf(
          RangeError,
        );
        await expect(queue.claim({ limit: 1, leaseMs: minute, workerId: '' })).rejects.toBeInstanceOf(
          TypeError,
        );
      });
    });

    describe('outcomes', () => {
      async function claimOne(address = 'a@example.com') {
        const id = await queue.enqueue(input([address]));
        const [group] = await queue.claim({ limit: 1, leaseMs: minute, workerId: 'w' });
        return { id, token: group!.leaseToken };
      }

      it('delivered is final; recording it again is a no-op; the message is done and leaves the queue', async () => {
        const { id, token } = await claimOne();
        const reply = { code: 250, enhanced: '2.0.0', lines: ['OK queued as 1'], host: 'mx.example.com' };
        const record = {
          messageId: id,
          index: 0,
          leaseToken: token,
          outcome: { kind: 'delivered', reply },
        } as const;
        expect(await queue.record([record])).toEqual([
          { status: 'applied', recipientStatus: 'delivered', messageDone: true },
        ]);
        expect(await queue.record([record])).toEqual([{ status: 'not-found', messageDone: false }]);
        const error = await rejection(queue.inspect(id));
        expect(isQueueError(error, 'ERR_SMTP_QUEUE_NOT_FOUND')).toBe(true);
        expect(events.map((e) => e.type)).toEqual(['enqueue', 'deliver', 'done']);
        expect(events[1]).toEqual({
          type: 'deliver',
          at: clock.now(),
          messageId: id,
          index: 0,
          address: 'a@example.com',
          reply,
        });
        await expect(readAll(queue.readContent(id))).rejects.toSatisfy((e: unknown) =>
          isQueueError(e, 'ERR_SMTP_QUEUE_NOT_FOUND'),
        );
      });

      it('outcomes are per recipient; a final recipient ignores later outcomes (duplicate)', async () => {
        const id = await queue.enqueue(input(['a@example.com', 'b@example.com']));
        const [group] = await queue.claim({ limit: 10, leaseMs: minute, workerId: 'w' });
        const token = group!.leaseToken;
        const delivered = {
          messageId: id,
          index: 0,
          leaseToken: token,
          outcome: { kind: 'delivered' },
        } as const;
        const [first, again] = await queue.record([delivered, delivered]);
        expect(first).toEqual({ status: 'applied', recipientStatus: 'delivered', messageDone: false });
        expect(again).toEqual({ status: 'duplicate', recipientStatus: 'delivered', messageDone: false });
        const late = await queue.record([{ ...delivered, outcome: { kind: 'failed', reason: 'late' } }]);
        expect(late).toEqual([{ status: 'duplicate', recipientStatus: 'delivered', messageDone: false }]);
        const info = await queue.inspect(id);
        expect(info.recipients.map((r) => r.status)).toEqual(['delivered', 'pending']);
        expect(info.recipients[0]?.attempts).toBe(1);
        expect(
          await queue.record([
            { messageId: id, index: 7, leaseToken: token, outcome: { kind: 'delivered' } },
          ]),
        ).toEqual([{ status: 'not-found', messageDone: false }]);
      });

      it('deferred reschedules: attempts counted, reason kept, not handed out before nextAttemptAt', async () => {
        const { id, token } = await claimOne();
        const next = clock.now() + 5 * minute;
        const reply = { code: 451, enhanced: '4.3.0', lines: ['try later'] };
        expect(
          await queue.record([
            {
              messageId: id,
              index: 0,
              leaseToken: token,
              outcome: { kind: 'deferred', reason: 'greylisted', nextAttemptAt: next, reply },
            },
          ]),
        ).toEqual([{ status: 'applied', recipientStatus: 'pending', messageDone: false }]);
        const info = await queue.inspect(id);
        expect(info.state).toBe('deferred');
        expect(info.recipients[0]).toMatchObject({
          status: 'pending',
          attempts: 1,
          nextAttemptAt: next,
          lastReason: 'greylisted',
          lastReply: reply,
          lease: null,
          lastAttemptAt: clock.now(),
        });
        expect(events.at(-1)).toEqual({
          type: 'defer',
          at: clock.now(),
          messageId: id,
          index: 0,
          address: 'a@example.com',
          reason: 'greylisted',
          nextAttemptAt: next,
          attempts: 1,
        });
        expect(await queue.claim({ limit: 10, leaseMs: minute, workerId: 'w' })).toEqual([]);
        clock.advance(5 * minute);
        const [again] = await queue.claim({ limit: 10, leaseMs: minute, workerId: 'w' });
        expect(again?.recipients[0]?.attempts).toBe(1);
      });

      it('failed is final with its reason; the message is done when every recipient is final', async () => {
        const id = await queue.enqueue(input(['a@example.com', 'b@example.net']));
        const groups = await queue.claim({ limit: 10, leaseMs: minute, workerId: 'w' });
        const token = (domain: string) => groups.find((g) => g.domain === domain)!.leaseToken;
        const [failed] = await queue.record([
          {
            messageId: id,
            index: 1,
            leaseToken: token('example.net'),
            outcome: { kind: 'failed', reason: 'no such user', reply: { code: 550, lines: ['no'] } },
          },
        ]);
        expect(failed).toEqual({ status: 'applied', recipientStatus: 'failed', messageDone: false });
        expect((await queue.inspect(id)).recipients[1]).toMatchObject({
          status: 'failed',
          lastReason: 'no such user',
          nextAttemptAt: null,
        });
        const [last] = await queue.record([
          { messageId: id, index: 0, leaseToken: token('example.com'), outcome: { kind: 'delivered' } },
        ]);
        expect(last?.messageDone).toBe(true);
        expect(events.map((e) => e.type)).toEqual(['enqueue', 'fail', 'deliver', 'done']);
      });

      it('a deferral from a replaced lease is stale and ignored; a final outcome from it still counts', async () => {
        const id = await queue.enqueue(input(['a@example.com', 'b@example.com']));
        const [old] = await queue.claim({ limit: 10, leaseMs: minute, workerId: 'slow' });
        clock.advance(minute);
        const [fresh] = await queue.claim({ limit: 10, leaseMs: minute, workerId: 'fast' });
        const deferred = {
          kind: 'deferred',
          reason: 'timeout',
          nextAttemptAt: clock.now() + minute,
        } as const;
        expect(
          await queue.record([{ messageId: id, index: 0, leaseToken: old!.leaseToken, outcome: deferred }]),
        ).toEqual([{ status: 'stale', recipientStatus: 'pending', messageDone: false }]);
        expect((await queue.inspect(id)).recipients[0]).toMatchObject({
          attempts: 0,
          lease: { workerId: 'fast' },
        });
        expect(
          await queue.record([
            { messageId: id, index: 1, leaseToken: old!.leaseToken, outcome: { kind: 'delivered' } },
          ]),
        ).toEqual([{ status: 'applied', recipientStatus: 'delivered', messageDone: false }]);
        expect(
          await queue.record([
            { messageId: id, index: 1, leaseToken: fresh!.leaseToken, outcome: { kind: 'delivered' } },
          ]),
        ).toEqual([{ status: 'duplicate', recipientStatus: 'delivered', messageDone: false }]);
      });

      it('a deferral from an expired but unreplaced lease still counts', async () => {
        const { id, token } = await claimOne();
        clock.advance(2 * minute);
        const [result] = await queue.record([
          {
            messageId: id,
            index: 0,
            leaseToken: token,
            outcome: { kind: 'deferred', reason: 'slow', nextAttemptAt: clock.now() + minute },
          },
        ]);
        expect(result?.status).toBe('applied');
      });

      it('one record call may span messages and groups; results come back in order', async () => {
        const a = await queue.enqueue(input(['a@one.example', 'b@two.example']));
        const b = await queue.enqueue(input(['c@one.example']));
        const groups = await queue.claim({ limit: 10, leaseMs: minute, workerId: 'w' });
        expect(groups).toHaveLength(3);
        const results = await queue.record(
          groups.flatMap((g) =>
            g.recipients.map((r) => ({
              messageId: g.messageId,
              index: r.index,
              leaseToken: g.leaseToken,
              outcome: { kind: 'delivered' } as const,
            })),
          ),
        );
        expect(results.map((r) => r.status)).toEqual(['applied', 'applied', 'applied']);
        expect(results.filter((r) => r.messageDone)).toHaveLength(2);
        expect((await queue.stats()).messages).toBe(0);
        expect(
          events
            .filter((e) => e.type === 'done')
            .map((e) => e.messageId)
            .sort(),
        ).toEqual([a, b].sort());
      });

      it('a lease on recipients that are all final cannot be extended', async () => {
        const { id, token } = await claimOne();
        await queue.enqueue(input(['keep@example.com'])); // the queue is not empty
        await queue.record([
          { messageId: id, index: 0, leaseToken: token, outcome: { kind: 'failed', reason: 'no' } },
        ]);
        expect(await queue.extendLease({ leaseToken: token, leaseMs: minute })).toBeNull();
      });

      it('outcomes for a message held or deleted while leased: held still records, deleted is not-found', async () => {
        const id = await queue.enqueue(input(['a@example.com', 'b@example.com']));
        const [group] = await queue.claim({ limit: 10, leaseMs: minute, workerId: 'w' });
        await queue.hold(id);
        const [held] = await queue.record([
          { messageId: id, index: 0, leaseToken: group!.leaseToken, outcome: { kind: 'delivered' } },
        ]);
        expect(held?.status).toBe('applied');
        await queue.delete(id);
        expect(
          await queue.record([
            { messageId: id, index: 1, leaseToken: group!.leaseToken, outcome: { kind: 'delivered' } },
          ]),
        ).toEqual([{ status: 'not-found', messageDone: false }]);
      });

      it('rejects malformed outcome records as caller bugs', async () => {
        const { id, token } = await claimOne();
        const bad = {
          messageId: id,
          index: 0,
          leaseToken: token,
          outcome: { kind: 'deferred', reason: 'x' },
        };
        await expect(queue.record([bad as never])).rejects.toBeInstanceOf(RangeError);
        await expect(
          queue.record([{ ...bad, outcome: { kind: 'bounced' } } as never]),
        ).rejects.toBeInstanceOf(TypeError);
      });
    });

    describe('expiry', () => {
      it('defaults to 5 days; a deferral at or after expiry makes the recipient expired (final)', async () => {
        const id = await queue.enqueue(input(['a@example.com', 'b@example.com']));
        expect((await queue.inspect(id)).expiresAt).toBe(clock.now() + 5 * day);
        clock.advance(5 * day);
        const [group] = await queue.claim({ limit: 10, leaseMs: minute, workerId: 'w' });
        const deferral = {
          kind: 'deferred',
          reason: 'connection refused',
          nextAttemptAt: clock.now() + minute,
        } as const;
        const results = await queue.record([
          { messageId: id, index: 0, leaseToken: group!.leaseToken, outcome: deferral },
          { messageId: id, index: 1, leaseToken: group!.leaseToken, outcome: deferral },
        ]);
        expect(results.map((r) => r.recipientStatus)).toEqual(['expired', 'expired']);
        expect(results[1]?.messageDone).toBe(true);
        const expired = events.filter((e) => e.type === 'expire');
        expect(expired).toHaveLength(2);
        expect(expired[0]).toMatchObject({ messageId: id, index: 0, address: 'a@example.com' });
      });

      it('honours an explicit expiresAt', async () => {
        const id = await queue.enqueue(input(['a@example.com'], { expiresAt: clock.now() + minute }));
        expect((await queue.inspect(id)).expiresAt).toBe(clock.now() + minute);
        const [group] = await queue.claim({ limit: 10, leaseMs: minute, workerId: 'w' });
        const deferral = { kind: 'deferred', reason: 'later', nextAttemptAt: clock.now() + minute } as const;
        const [before] = await queue.record([
          { messageId: id, index: 0, leaseToken: group!.leaseToken, outcome: deferral },
        ]);
        expect(before?.recipientStatus).toBe('pending');
        clock.advance(minute);
        const [again] = await queue.claim({ limit: 10, leaseMs: minute, workerId: 'w' });
        const [after] = await queue.record([
          { messageId: id, index: 0, leaseToken: again!.leaseToken, outcome: deferral },
        ]);
        expect(after).toEqual({ status: 'applied', recipientStatus: 'expired', messageDone: true });
      });
    });

    describe('operator API', () => {
      it('hold keeps a message from being claimed until release; both are idempotent', async () => {
        const id = await queue.enqueue(input(['a@example.com']));
        await queue.hold(id);
        await queue.hold(id);
        expect((await queue.inspect(id)).state).toBe('held');
        expect(await queue.claim({ limit: 10, leaseMs: minute, workerId: 'w' })).toEqual([]);
        expect((await queue.list({ state: 'held' })).map((m) => m.id)).toEqual([id]);
        await queue.release(id);
        await queue.release(id);
        expect((await queue.inspect(id)).held).toBe(false);
        expect(recipientKeys(await queue.claim({ limit: 10, leaseMs: minute, workerId: 'w' }))).toEqual([
          `${id}#0`,
        ]);
        expect(events.map((e) => e.type)).toEqual(['enqueue', 'hold', 'release']);
      });

      it('retryNow makes deferred recipients due at once', async () => {
        const id = await queue.enqueue(input(['a@example.com', 'b@example.com']));
        const [group] = await queue.claim({ limit: 10, leaseMs: minute, workerId: 'w' });
        const deferral = {
          kind: 'deferred',
          reason: 'down',
          nextAttemptAt: clock.now() + 60 * minute,
        } as const;
        await queue.record([
          { messageId: id, index: 0, leaseToken: group!.leaseToken, outcome: deferral },
          { messageId: id, index: 1, leaseToken: group!.leaseToken, outcome: { kind: 'delivered' } },
        ]);
        expect(await queue.claim({ limit: 10, leaseMs: minute, workerId: 'w' })).toEqual([]);
        expect(await queue.retryNow(id)).toBe(1);
        expect(recipientKeys(await queue.claim({ limit: 10, leaseMs: minute, workerId: 'w' }))).toEqual([
          `${id}#0`,
        ]);
      });

      it('delete removes the message and its content', async () => {
        const id = await queue.enqueue(input(['a@example.com']));
        expect(await queue.delete(id)).toBe(true);
        expect(await queue.delete(id)).toBe(false);
        expect(await queue.claim({ limit: 10, leaseMs: minute, workerId: 'w' })).toEqual([]);
        await expect(readAll(queue.readContent(id))).rejects.toSatisfy((e: unknown) =>
          isQueueError(e, 'ERR_SMTP_QUEUE_NOT_FOUND'),
        );
        expect((await queue.stats()).messages).toBe(0);
        expect(events.map((e) => e.type)).toEqual(['enqueue', 'delete']);
      });

      it('unknown ids throw QueueNotFoundError', async () => {
        for (const call of [
          () => queue.inspect('nope'),
          () => queue.hold('nope'),
          () => queue.release('nope'),
          () => queue.retryNow('nope'),
        ]) {
          const error = await rejection(call());
          expect(isQueueError(error, 'ERR_SMTP_QUEUE_NOT_FOUND')).toBe(true);
          expect((error as Error).name).toBe('QueueNotFoundError');
        }
      });

      it('list filters by state, domain, sender and age, oldest first, with limit and offset', async () => {
        const a = await queue.enqueue({
          ...input(['x@one.example']),
          envelope: envelope(['x@one.example'], { reversePath: 'Alice@example.org' }),
        });
        clock.advance(10 * minute);
        const b = await queue.enqueue(input(['y@two.example', 'z@one.example']));
        clock.advance(10 * minute);
        const c = await queue.enqueue({
          ...input([]),
          envelope: { reversePath: '', recipients: [{ address: 'w@three.example' }] },
        });
        await queue.hold(c);
        const [group] = await queue.claim({ limit: 1, leaseMs: minute, workerId: 'w' });
        expect(group?.messageId).toBe(a);
        const ids = async (filter: Parameters<Queue['list']>[0]) =>
          (await queue.list(filter)).map((m) => m.id);
        expect(await ids({})).toEqual([a, b, c]);
        expect(await ids({ state: 'active' })).toEqual([a]);
        expect(await ids({ state: 'queued' })).toEqual([b]);
        expect(await ids({ state: 'held' })).toEqual([c]);
        expect(await ids({ domain: 'ONE.example' })).toEqual([a, b]);
        expect(await ids({ sender: 'alice@EXAMPLE.org' })).toEqual([a]);
        expect(await ids({ sender: '' })).toEqual([c]);
        expect(await ids({ minAgeMs: 10 * minute })).toEqual([a, b]);
        expect(await ids({ maxAgeMs: 10 * minute })).toEqual([b, c]);
        expect(await ids({ limit: 1, offset: 1 })).toEqual([b]);
        const [summary] = await queue.list({ state: 'queued' });
        expect(summary).toEqual({
          id: b,
          state: 'queued',
          reversePath: 'sender@example.org',
          recipientCount: 2,
          pendingCount: 2,
          domains: ['one.example', 'two.example'],
          enqueuedAt: clock.now() - 10 * minute,
          expiresAt: clock.now() - 10 * minute + 5 * day,
          size: 24,
          held: false,
          nextAttemptAt: clock.now() - 10 * minute,
        });
      });

      it('list returns at most 100 by default', async () => {
        await Promise.all(Array.from({ length: 120 }, (_, i) => queue.enqueue(input([`r${i}@example.com`]))));
        expect(await queue.list()).toHaveLength(100);
        expect(await queue.list({ offset: 100 })).toHaveLength(20);
      });

      it('stats count messages by state and recipients by status, with the oldest age', async () => {
        expect(await queue.stats()).toEqual({
          messages: 0,
          byState: { held: 0, active: 0, deferred: 0, queued: 0 },
          recipients: { pending: 0, delivered: 0, failed: 0, expired: 0 },
          oldestEnqueuedAt: null,
          oldestAgeMs: null,
        });
        const first = clock.now();
        const a = await queue.enqueue(input(['a@example.com', 'b@example.com']));
        clock.advance(minute);
        const b = await queue.enqueue(input(['c@example.com']));
        await queue.enqueue(input(['d@example.com'], { notBefore: clock.now() + day }));
        await queue.hold(b);
        const [group] = await queue.claim({ limit: 10, leaseMs: minute, workerId: 'w' });
        await queue.record([
          { messageId: a, index: 1, leaseToken: group!.leaseToken, outcome: { kind: 'delivered' } },
        ]);
        clock.advance(minute);
        expect(await queue.stats()).toEqual({
          messages: 3,
          byState: { held: 1, active: 0, deferred: 0, queued: 2 },
          recipients: { pending: 3, delivered: 1, failed: 0, expired: 0 },
          oldestEnqueuedAt: first,
          oldestAgeMs: 2 * minute,
        });
      });

      it('unsubscribed listeners get nothing; a throwing listener does not break the queue', async () => {
        const seen: QueueEvent[] = [];
        const unsubscribe = queue.subscribe((event) => seen.push(event));
        queue.subscribe(() => {
          throw new Error('listener bug');
        });
        await queue.enqueue(input(['a@example.com']));
        unsubscribe();
        await queue.enqueue(input(['b@example.com']));
        expect(seen.map((e) => e.type)).toEqual(['enqueue']);
      });
    });

    describe('random operation sequences against a model', () => {
      it('claims, leases, outcomes, holds, retries and deletes agree with the model at every step', async () => {
        interface ModelRecipient {
          final: 'delivered' | 'failed' | null;
          token: string | null;
          leaseUntil: number;
          nextAttemptAt: number;
        }
        interface ModelMessage {
          readonly id: string;
          readonly recipients: ModelRecipient[];
          held: boolean;
        }
        let seed = 0x5eed;
        const random = (n: number) => {
          seed = (Math.imul(seed, 1_103_515_245) + 12_345) >>> 0;
          return (seed >>> 8) % n;
        };
        const model = new Map<string, ModelMessage>();
        const claimedEver: { messageId: string; index: number; token: string }[] = [];
        const seen = { applied: 0, duplicate: 0, stale: 0, 'not-found': 0 };
        const live = () => [...model.values()];
        const pick = <T>(items: readonly T[]): T | undefined => items[random(Math.max(items.length, 1))];
        for (let step = 0; step < 500; step++) {
          const now = clock.now();
          const op = random(11);
          if (op <= 1) {
            const count = 1 + random(3);
            const id = await queue.enqueue(
              input(Array.from({ length: count }, (_, i) => `r${step}x${i}@d${random(3)}.example`)),
            );
            model.set(id, {
              id,
              held: false,
              recipients: Array.from({ length: count }, () => ({
                final: null,
                token: null,
                leaseUntil: 0,
                nextAttemptAt: now,
              })),
            });
          } else if (op <= 3) {
            const leaseMs = (1 + random(3)) * minute;
            const groups = await queue.claim({ limit: 1 + random(6), leaseMs, workerId: `w${step}` });
            for (const group of groups) {
              const message = model.get(group.messageId);
              expect(message, 'claimed a message that is gone').toBeDefined();
              expect(message!.held, 'claimed a held message').toBe(false);
              for (const { index } of group.recipients) {
                const r = message!.recipients[index]!;
                expect(r.final, 'claimed a final recipient').toBeNull();
                expect(r.leaseUntil <= now, 'claimed a recipient under a live lease').toBe(true);
                expect(r.nextAttemptAt <= now, 'claimed a recipient before its next attempt').toBe(true);
                r.token = group.leaseToken;
                r.leaseUntil = now + leaseMs;
                claimedEver.push({ messageId: group.messageId, index, token: group.leaseToken });
              }
            }
          } else if (op <= 6) {
            // Older claims are picked as often as recent ones: stale and duplicate outcomes happen.
            const claim = pick(claimedEver);
            if (!claim) continue;
            const kind = (['delivered', 'failed', 'deferred', 'deferred'] as const)[random(4)]!;
            const nextAttemptAt = now + random(2 * minute);
            const outcome =
              kind === 'deferred'
                ? { kind, reason: 'r', nextAttemptAt }
                : kind === 'failed'
                  ? { kind, reason: 'r' }
                  : { kind };
            const [result] = await queue.record([
              { messageId: claim.messageId, index: claim.index, leaseToken: claim.token, outcome },
            ]);
            seen[result!.status]++;
            const message = model.get(claim.messageId);
            const r = message?.recipients[claim.index];
            if (!message || !r) {
              expect(result).toEqual({ status: 'not-found', messageDone: false });
            } else if (r.final !== null) {
              expect(result).toEqual({ status: 'duplicate', recipientStatus: r.final, messageDone: false });
            } else if (kind === 'deferred' && r.token !== claim.token) {
              expect(result).toEqual({ status: 'stale', recipientStatus: 'pending', messageDone: false });
            } else {
              r.token = null;
              r.leaseUntil = 0;
              if (kind === 'deferred') r.nextAttemptAt = nextAttemptAt;
              else r.final = kind;
              const done = message.recipients.every((x) => x.final !== null);
              if (done) model.delete(message.id);
              expect(result).toEqual({
                status: 'applied',
                recipientStatus: kind === 'deferred' ? 'pending' : kind,
                messageDone: done,
              });
            }
          } else if (op === 7) {
            clock.advance(random(3 * minute));
          } else if (op === 8) {
            const message = pick(live());
            if (!message) continue;
            message.held = !message.held;
            await (message.held ? queue.hold(message.id) : queue.release(message.id));
          } else if (op === 9) {
            const message = pick(live());
            if (!message) continue;
            const pending = message.recipients.filter((r) => r.final === null);
            for (const r of pending) r.nextAttemptAt = now;
            expect(await queue.retryNow(message.id)).toBe(pending.length);
          } else if (random(4) === 0) {
            const message = pick(live());
            if (!message) continue;
            model.delete(message.id);
            expect(await queue.delete(message.id)).toBe(true);
          }
          const stats = await queue.stats();
          expect(stats.messages).toBe(model.size);
          expect(stats.recipients.pending).toBe(
            live().reduce((n, m) => n + m.recipients.filter((r) => r.final === null).length, 0),
          );
          expect(stats.byState.held).toBe(live().filter((m) => m.held).length);
        }
        // Completeness: once everything is released and every lease and retry time has passed,
        // one claim hands out exactly the pending recipients of the model.
        for (const message of live()) if (message.held) await queue.release(message.id);
        clock.advance(60 * minute);
        const all = await queue.claim({ limit: 100_000, leaseMs: minute, workerId: 'final' });
        const expected = live().flatMap((m) =>
          m.recipients.flatMap((r, i) => (r.final === null ? [`${m.id}#${i}`] : [])),
        );
        expect(recipientKeys(all).sort()).toEqual(expected.sort());
        expect(expected.length).toBeGreaterThan(0);
        // The sequence reached the interesting results, not just the easy one.
        expect(seen.duplicate).toBeGreaterThan(0);
        expect(seen['not-found']).toBeGreaterThan(0);
        expect(seen.stale).toBeGreaterThan(0);
        expect(seen.applied).toBeGreaterThan(20);
      });
    });

    // Only drivers with shared storage get these tests (defined, not skipped, for the others).
    if (options.sharedStorage)
      describe('shared storage', () => {
        it('a handle opened later sees everything committed: envelope, content, outcomes, holds, leases', async () => {
          const id = await queue.enqueue(
            input(['a@example.com', 'b@example.net'], {
              envelope: envelope(['a@example.com', 'b@example.net'], { envid: 'E1' }),
            }),
          );
          const held = await queue.enqueue(input(['c@example.com']));
          await queue.hold(held);
          const groups = await queue.claim({ limit: 10, leaseMs: minute, workerId: 'first' });
          const net = groups.find((g) => g.domain === 'example.net')!;
          await queue.record([
            {
              messageId: id,
              index: 1,
              leaseToken: net.leaseToken,
              outcome: { kind: 'deferred', reason: 'busy', nextAttemptAt: clock.now() + 5 * minute },
            },
          ]);
          await queue.close();
          const later = await open();
          const info = await later.inspect(id);
          expect(info.envelope.envid).toBe('E1');
          expect(info.recipients.map((r) => [r.status, r.attempts, r.lastReason])).toEqual([
            ['pending', 0, null],
            ['pending', 1, 'busy'],
          ]);
          expect(info.recipients[0]?.lease?.workerId).toBe('first');
          expect((await later.inspect(held)).held).toBe(true);
          expect(decoder.decode(await readAll(later.readContent(id)))).toBe('Subject: test\r\n\r\nhello\r\n');
          expect(await later.claim({ limit: 10, leaseMs: minute, workerId: 'second' })).toEqual([]);
          clock.advance(5 * minute);
          expect(
            recipientKeys(await later.claim({ limit: 10, leaseMs: minute, workerId: 'second' })).sort(),
          ).toEqual([`${id}#0`, `${id}#1`]);
        });

        it('claims through two handles never overlap; an outcome recorded through either counts', async () => {
          const other = await open();
          await Promise.all(
            Array.from({ length: 60 }, (_, i) =>
              queue.enqueue(input([`a${i}@one.example`, `b${i}@two.example`])),
            ),
          );
          const rounds = await Promise.all(
            Array.from({ length: 8 }, (_, w) =>
              (w % 2 === 0 ? queue : other).claim({ limit: 20, leaseMs: minute, workerId: `w${w}` }),
            ),
          );
          const keys = rounds.flatMap(recipientKeys);
          expect(new Set(keys).size).toBe(keys.length);
          expect(keys.length).toBe(120);
          const [group] = rounds[0]!;
          const [result] = await other.record([
            {
              messageId: group!.messageId,
              index: group!.recipients[0]!.index,
              leaseToken: group!.leaseToken,
              outcome: { kind: 'delivered' },
            },
          ]);
          expect(result?.status).toBe('applied');
          expect(
            (await queue.inspect(group!.messageId)).recipients[group!.recipients[0]!.index]?.status,
          ).toBe('delivered');
        });
      });

    describe('lifecycle', () => {
      it('calls after close reject with QueueClosedError', async () => {
        await queue.close();
        const error = await rejection(queue.enqueue(input(['a@example.com'])));
        expect(isQueueError(error, 'ERR_SMTP_QUEUE_CLOSED')).toBe(true);
        expect(
          isQueueError(
            await rejection(queue.claim({ limit: 1, leaseMs: minute, workerId: 'w' })),
            'ERR_SMTP_QUEUE_CLOSED',
          ),
        ).toBe(true);
      });

      it('an already aborted signal rejects with its reason', async () => {
        const reason = new Error('stop');
        const signal = AbortSignal.abort(reason);
        expect(await rejection(queue.enqueue(input(['a@example.com']), { signal }))).toBe(reason);
        expect(await rejection(queue.claim({ limit: 1, leaseMs: minute, workerId: 'w' }, { signal }))).toBe(
          reason,
        );
        expect(await rejection(queue.stats({ signal }))).toBe(reason);
      });
    });
  });
}
