import { randomUUID } from 'node:crypto';
import { setMaxListeners } from 'node:events';
import type { AddressOrder, Resolver } from '@smtpkit/dns';
import {
  type ClaimedGroup,
  createBackoffSchedule,
  type DeliveryOutcome,
  type OutcomeRecord,
  type Queue,
  type RemoteReply,
  type RetrySchedule,
} from '@smtpkit/queue';
import { expireVerdict, type ReplyLike, type Verdict } from '../core/classify';
import { DestinationBackoff, type DestinationBackoffOptions } from '../core/destination-backoff';
import { DomainLimiter } from '../core/domain-limiter';
import type { DsnAction } from '../core/dsn/types';
import type { DeliveryEvent, DeliveryEventListener } from '../core/events';
import type { TlsPolicy } from '../core/tls-policy';
import { type BounceReport, buildBounce } from './bounce';
import {
  type ClientTransportOptions,
  type ClosableHostTransport,
  createClientTransport,
} from './client-transport';
import { deliverToDomain } from './deliver-domain';
import { createMtaStsResolver, type MtaStsResolver } from './mta-sts';
import type { HostTransport } from './transport';

/** DSN settings of the worker. */
export interface WorkerDsnOptions {
  /** Reporting-MTA name; default the worker's `heloName`. */
  readonly reportingMta?: string;
  /**
   * Send a `delayed` DSN (RFC 3464 §2.3.3) once a recipient has been deferred this long, to
   * senders whose NOTIFY includes DELAY (or who gave none). Default: no delay notices.
   */
  readonly delayWarningAfterMs?: number;
  /** Originals larger than this are returned as headers only even with RET=FULL. Default 10 MiB. */
  readonly maxReturnedSize?: number;
}

/** Options of {@link createDeliveryWorker}. */
export interface DeliveryWorkerOptions {
  /** Where the work comes from; DSNs are enqueued here too. */
  readonly queue: Queue;
  /** DNS for MX resolution and MTA-STS discovery. */
  readonly resolver: Resolver;
  /** This host's name: the EHLO argument and the DSN Reporting-MTA. */
  readonly heloName: string;
  /** Options for the `@smtpkit/client` connections (timeouts, CA, ...). */
  readonly client?: ClientTransportOptions['client'];
  /** Local address to send from (a multi-homed host). */
  readonly localAddress?: string;
  /** Replaces the `@smtpkit/client` transport (tests, custom stacks). */
  readonly transport?: HostTransport;
  /** Reuse connections to the same MX address across messages. Default `true`. */
  readonly reuseConnections?: boolean;
  /** The SMTP port of MX hosts. Default 25 (RFC 5321 §4.5.4.2 would say nothing else; tests change it). */
  readonly port?: number;
  /** Deliveries (connections) at once. Default 20. */
  readonly concurrency?: number;
  /** Connections at once per destination domain. Default 5. */
  readonly perDomainConcurrency?: number;
  /** Transactions started per destination domain per `perDomainRateIntervalMs`. Default unlimited. */
  readonly perDomainRate?: number;
  /** Default 60 000 ms. */
  readonly perDomainRateIntervalMs?: number;
  /** When to retry deferred recipients. Default `createBackoffSchedule()` (Postfix: 5 min doubling to ~67 min). */
  readonly retrySchedule?: RetrySchedule;
  /**
   * Give up on a message this long after it was enqueued (failed, 4.4.7) even if its queue
   * entry allows longer. Default: the queue's `expiresAt` alone (5 days by default).
   */
  readonly maxLifetime?: number;
  /** TLS policy for every domain, or per domain. Default `'opportunistic'`. */
  readonly tlsPolicy?: TlsPolicy | ((domain: string) => TlsPolicy);
  /** MTA-STS resolver for `mta-sts` policies. Default: one over `resolver` and the global fetch. */
  readonly mtaSts?: MtaStsResolver;
  /** Pause for hosts that answer 421. */
  readonly destinationBackoff?: DestinationBackoffOptions;
  /** DSN settings, or `false` to never generate DSNs (e.g. a relay that leaves that to others). */
  readonly dsn?: WorkerDsnOptions | false;
  /** Connect to loopback/private MX addresses (tests, internal networks). Default false. */
  readonly allowPrivateAddresses?: boolean;
  /** Address family order. Default `'ipv4-first'`. */
  readonly addressOrder?: AddressOrder;
  /** Lease per claim. Default 300 000 ms; extended while a delivery runs. */
  readonly leaseMs?: number;
  /** How often to look for due work when idle. Default 1000 ms (an enqueue in this process wakes it at once). */
  readonly pollIntervalMs?: number;
  /** Name shown on leases. Default `delivery-<pid>-<random>`. */
  readonly workerId?: string;
  /** Clock (epoch ms). Default `Date.now`. */
  readonly now?: () => number;
  /** Uniform [0,1) source (MX shuffling). Default `Math.random`. */
  readonly random?: () => number;
  /** Aborting stops the worker at once (in-flight deliveries are abandoned; their leases expire). */
  readonly signal?: AbortSignal;
  /** Called for every {@link DeliveryEvent}. */
  readonly onEvent?: DeliveryEventListener;
}

/** A running or stopped delivery worker. */
export interface DeliveryWorker {
  /** Starts claiming and delivering in the background. Idempotent. */
  start(): void;
  /**
   * Stops claiming, waits for in-flight deliveries up to `deadlineMs` (default 30 000), then
   * aborts what is left (its leases run out and another worker takes it over). Closes the
   * connections kept for reuse (also when only `processDue` was used).
   */
  stop(options?: { readonly deadlineMs?: number }): Promise<void>;
  /**
   * Claims and delivers everything due now, then resolves with the number of groups handled.
   * For tests with an injected clock and for cron-style use; don't mix with `start()`.
   */
  processDue(): Promise<number>;
  /** Whether `start()` was called and `stop()` not yet. */
  readonly running: boolean;
}

/** Never called: one of `options.transport` and the client transport always exists. */
const unreachableTransport: HostTransport = () => Promise.reject(new TypeError('no transport'));

const toRemoteReply = (reply: ReplyLike | undefined, host: string | undefined): RemoteReply | undefined =>
  reply && {
    code: reply.code,
    lines: [...reply.lines],
    ...(reply.enhanced && { enhanced: reply.enhanced }),
    ...(host !== undefined && { host }),
  };

/**
 * Creates the outbound delivery worker: it claims due recipients from the queue, groups them per
 * destination domain, resolves MX, applies the TLS policy (opportunistic, required, MTA-STS,
 * REQUIRETLS), delivers with `@smtpkit/client`, records each recipient's outcome, schedules
 * retries and enqueues DSNs (RFC 3464) to the reverse-path on failure, expiry and, if asked,
 * delay. Several workers (processes, machines) can share one queue: leases keep them apart.
 *
 * @example
 * ```ts
 * const worker = createDeliveryWorker({ queue, resolver: createNodeResolver(), heloName: 'mx.example.net' });
 * worker.start();
 * process.on('SIGTERM', () => worker.stop({ deadlineMs: 10_000 }));
 * ```
 */
export function createDeliveryWorker(options: DeliveryWorkerOptions): DeliveryWorker {
  if (typeof options.heloName !== 'string' || !/^[A-Za-z0-9.-]+$|^\[.+\]$/.test(options.heloName)) {
    throw new TypeError('createDeliveryWorker: heloName must be a host name or address literal');
  }
  const concurrency = options.concurrency ?? 20;
  if (!(Number.isInteger(concurrency) && concurrency >= 1))
    throw new RangeError('concurrency must be an integer >= 1');
  const { queue } = options;
  const now = options.now ?? Date.now;
  const schedule = options.retrySchedule ?? createBackoffSchedule();
  const leaseMs = options.leaseMs ?? 300_000;
  const pollMs = options.pollIntervalMs ?? 1000;
  const workerId = options.workerId ?? `delivery-${process.pid}-${randomUUID().slice(0, 8)}`;
  const backoff = new DestinationBackoff(options.destinationBackoff);
  const limiter = new DomainLimiter({
    perDomainConcurrency: options.perDomainConcurrency ?? 5,
    ...(options.perDomainRate !== undefined && { perDomainRate: options.perDomainRate }),
    ...(options.perDomainRateIntervalMs !== undefined && { rateIntervalMs: options.perDomainRateIntervalMs }),
  });
  const policyUsesSts =
    typeof options.tlsPolicy === 'function' ||
    options.tlsPolicy === 'mta-sts' ||
    (typeof options.tlsPolicy === 'object' && options.tlsPolicy.mode === 'mta-sts');
  const mtaSts =
    options.mtaSts ?? (policyUsesSts ? createMtaStsResolver({ resolver: options.resolver, now }) : undefined);
  const ownTransport: ClosableHostTransport | undefined = options.transport
    ? undefined
    : createClientTransport({
        heloName: options.heloName,
        ...(options.localAddress !== undefined && { localAddress: options.localAddress }),
        ...(options.client !== undefined && { client: options.client }),
        ...(options.reuseConnections !== undefined && { reuseConnections: options.reuseConnections }),
        maxConnectionsPerHost: options.perDomainConcurrency ?? 5,
      });
  const transport: HostTransport = options.transport ?? ownTransport ?? unreachableTransport;
  const dsn = options.dsn === false ? undefined : (options.dsn ?? {});
  const reportingMta = dsn?.reportingMta ?? options.heloName;
  const emit = (event: DeliveryEvent) => {
    try {
      options.onEvent?.(event);
    } catch {
      // A listener cannot break delivery.
    }
  };

  const controller = new AbortController();
  // Every in-flight delivery (p-retry, the client, the lease keeper) listens on this one signal.
  setMaxListeners(Math.max(100, concurrency * 10), controller.signal);
  options.signal?.addEventListener('abort', () => controller.abort(options.signal?.reason), { once: true });
  let running = false;
  let loop: Promise<void> | undefined;
  const active = new Set<Promise<void>>();
  let wake: (() => void) | undefined;
  const slotWaiters: (() => void)[] = [];
  let unsubscribe: (() => void) | undefined;

  const notifySlot = () => {
    for (const w of slotWaiters.splice(0)) w();
  };

  /** Waits for a per-domain slot; the lease keeper keeps the claim alive meanwhile. */
  async function acquireDomain(domain: string): Promise<() => void> {
    for (;;) {
      controller.signal.throwIfAborted();
      const r = limiter.tryAcquire(domain, now());
      if (r.ok) return r.release;
      const wait = r.retryAt === undefined ? pollMs : Math.max(1, r.retryAt - now());
      await new Promise<void>((resolve) => {
        const t = setTimeout(resolve, Math.min(wait, pollMs));
        slotWaiters.push(() => {
          clearTimeout(t);
          resolve();
        });
      });
    }
  }

  function delayWarningDue(group: ClaimedGroup, attempts: number, at: number): boolean {
    const after = dsn?.delayWarningAfterMs;
    if (after === undefined) return false;
    const threshold = group.enqueuedAt + after;
    // Stateless "exactly once": warn on the attempt whose interval crossed the threshold.
    const previous = attempts === 0 ? group.enqueuedAt : at - schedule.delayMs(attempts);
    return threshold <= at && threshold > previous;
  }

  async function enqueueBounce(group: ClaimedGroup, reports: BounceReport[], contentAvailable: boolean) {
    if (!dsn || reports.length === 0) return;
    const uniqueId = randomUUID();
    const input = buildBounce(
      {
        envelope: group.envelope,
        enqueuedAt: group.enqueuedAt,
        size: group.size,
        reports,
        ...(contentAvailable && { content: () => queue.readContent(group.messageId) }),
      },
      {
        reportingMta,
        now: now(),
        uniqueId,
        ...(dsn.maxReturnedSize !== undefined && { maxReturnedSize: dsn.maxReturnedSize }),
      },
    );
    if (!input) return;
    const dsnId = await queue.enqueue(input);
    emit({
      type: 'dsn',
      messageId: group.messageId,
      to: group.envelope.reversePath,
      dsnId,
      actions: [...new Set(reports.map((r) => r.action))],
    });
  }

  async function processGroup(group: ClaimedGroup): Promise<void> {
    const signal = controller.signal;
    const keeper = setInterval(
      () => {
        queue
          .extendLease({ leaseToken: group.leaseToken, leaseMs })
          .catch((error) => emit({ type: 'error', error }));
      },
      Math.max(1000, Math.floor(leaseMs / 3)),
    );
    keeper.unref?.();
    let release: (() => void) | undefined;
    try {
      release = await acquireDomain(group.domain);
      const { envelope } = group;
      const expiresAt = Math.min(
        group.expiresAt,
        options.maxLifetime === undefined ? Number.POSITIVE_INFINITY : group.enqueuedAt + options.maxLifetime,
      );
      let verdicts: readonly Verdict[];
      let dsnRelayed = false;
      if (group.domain === '') {
        verdicts = group.recipients.map(() => ({
          kind: 'failed',
          status: '5.1.2',
          reason: 'recipient has no domain to route to',
        }));
      } else {
        const result = await deliverToDomain(
          {
            domain: group.domain,
            from: envelope.reversePath,
            recipients: group.recipients.map((r) => r.recipient),
            ...(envelope.ret && { ret: envelope.ret }),
            ...(envelope.envid !== undefined && { envid: envelope.envid }),
            ...(envelope.body && { bodyType: envelope.body }),
            requireTls: envelope.requireTls === true,
            content: () => queue.readContent(group.messageId),
            size: group.size,
          },
          {
            resolver: options.resolver,
            transport,
            port: options.port ?? 25,
            tlsPolicy: options.tlsPolicy ?? 'opportunistic',
            ...(mtaSts && { mtaSts }),
            backoff,
            now,
            ...(options.random && { random: options.random }),
            allowPrivate: options.allowPrivateAddresses === true,
            ...(options.addressOrder && { addressOrder: options.addressOrder }),
            emit: (e) => emit(e.type === 'possible-duplicate' ? { ...e, messageId: group.messageId } : e),
            signal,
          },
        );
        verdicts = result.verdicts;
        dsnRelayed = result.dsnRelayed;
      }
      const at = now();
      const records: OutcomeRecord[] = [];
      const reports: BounceReport[] = [];
      group.recipients.forEach((claimed, i) => {
        let verdict = verdicts[i]!;
        if (verdict.kind === 'deferred' && at >= expiresAt) verdict = expireVerdict(verdict);
        emit({
          type: 'recipient',
          messageId: group.messageId,
          domain: group.domain,
          recipient: claimed.recipient.address,
          verdict,
        });
        const reply = toRemoteReply(verdict.reply, verdict.host);
        let outcome: DeliveryOutcome;
        let action: DsnAction | undefined;
        let willRetryUntil: Date | undefined;
        if (verdict.kind === 'delivered') {
          outcome = { kind: 'delivered', ...(reply && { reply }) };
          // RFC 3461 §6.2.2: a next hop without DSN support ends our duty to report: "relayed".
          if (!dsnRelayed) action = 'relayed';
        } else if (verdict.kind === 'failed') {
          outcome = {
            kind: 'failed',
            reason: `${verdict.status} ${verdict.reason}`,
            ...(reply && { reply }),
          };
          action = 'failed';
        } else {
          const scheduled = at + schedule.delayMs(claimed.attempts + 1);
          const nextAttemptAt = Math.min(
            Math.max(scheduled, verdict.notBefore ?? 0),
            Math.max(expiresAt, at + 1),
          );
          outcome = {
            kind: 'deferred',
            reason: `${verdict.status} ${verdict.reason}`,
            nextAttemptAt,
            ...(reply && { reply }),
          };
          if (delayWarningDue(group, claimed.attempts, at)) {
            action = 'delayed';
            willRetryUntil = new Date(expiresAt);
          }
        }
        records.push({
          messageId: group.messageId,
          index: claimed.index,
          leaseToken: group.leaseToken,
          outcome,
        });
        if (action) {
          reports.push({
            recipient: claimed.recipient,
            action,
            verdict,
            ...(willRetryUntil && { willRetryUntil }),
          });
        }
      });
      // The DSN goes into the queue before the outcomes: recording the last final outcome
      // removes the message and its content, and a crash in between must not lose the bounce.
      await enqueueBounce(group, reports, true);
      const results = await queue.record(records);
      // The queue itself expires a deferral recorded at or after expiry (a race with our clock).
      const late: BounceReport[] = [];
      results.forEach((r, i) => {
        if (
          r.status === 'applied' &&
          r.recipientStatus === 'expired' &&
          records[i]!.outcome.kind === 'deferred'
        ) {
          const claimed = group.recipients[i]!;
          late.push({ recipient: claimed.recipient, action: 'failed', verdict: expireVerdict(verdicts[i]) });
        }
      });
      await enqueueBounce(group, late, false);
    } finally {
      clearInterval(keeper);
      release?.();
      notifySlot();
    }
  }

  async function claimBatch(limit: number): Promise<ClaimedGroup[]> {
    return queue.claim({ limit, leaseMs, workerId }, { signal: controller.signal });
  }

  function track(group: ClaimedGroup): Promise<void> {
    const p = processGroup(group).catch((error) => {
      if (!controller.signal.aborted) emit({ type: 'error', error });
    });
    const tracked = p.finally(() => active.delete(tracked));
    active.add(tracked);
    return tracked;
  }

  async function runLoop(): Promise<void> {
    while (running && !controller.signal.aborted) {
      try {
        const free = concurrency - active.size;
        if (free <= 0) {
          await Promise.race(active);
          continue;
        }
        const groups = await claimBatch(free);
        for (const g of groups) track(g);
        if (groups.length > 0) continue;
        await new Promise<void>((resolve) => {
          const t = setTimeout(resolve, pollMs);
          wake = () => {
            clearTimeout(t);
            resolve();
          };
        });
        wake = undefined;
      } catch (error) {
        if (controller.signal.aborted) break;
        emit({ type: 'error', error });
        await new Promise((r) => setTimeout(r, pollMs));
      }
    }
  }

  return {
    get running() {
      return running;
    },
    start() {
      if (running) return;
      controller.signal.throwIfAborted();
      running = true;
      unsubscribe = queue.subscribe((e) => {
        if (e.type === 'enqueue' || e.type === 'release') wake?.();
      });
      loop = runLoop();
    },
    async stop(stopOptions = {}) {
      if (!running) {
        await ownTransport?.close();
        return;
      }
      running = false;
      unsubscribe?.();
      wake?.();
      await loop;
      const deadline = stopOptions.deadlineMs ?? 30_000;
      let timer: NodeJS.Timeout | undefined;
      const timedOut = new Promise<'timeout'>((r) => {
        timer = setTimeout(() => r('timeout'), deadline);
      });
      const outcome = await Promise.race([Promise.all(active).then(() => 'done' as const), timedOut]);
      clearTimeout(timer);
      if (outcome === 'timeout') {
        controller.abort(new Error('delivery worker stopped'));
        await Promise.all(active);
      }
      await ownTransport?.close();
    },
    async processDue() {
      let handled = 0;
      for (;;) {
        const groups = await claimBatch(Math.max(concurrency, 1) * 10);
        if (groups.length === 0) return handled;
        handled += groups.length;
        // At most `concurrency` deliveries at once, as in the background loop.
        let next = 0;
        await Promise.all(
          Array.from({ length: Math.min(concurrency, groups.length) }, async () => {
            while (next < groups.length) await track(groups[next++]!);
          }),
        );
      }
    },
  };
}
