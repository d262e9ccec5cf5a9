/**
 * The rules for recording an outcome, as a pure function every driver applies the same way
 * (the SQL drivers after reading the recipient row under lock). Idempotence: a final recipient
 * never changes again. Leases: a deferral only counts from the lease that currently holds the
 * recipient, while a final outcome is a fact and counts from any lease (at-least-once delivery:
 * a worker whose lease ran out may still have delivered).
 */
import type { DeliveryOutcome, QueueEvent, RecipientStatus, RemoteReply } from '../types.js';

/** The stored fields of a recipient that an outcome reads. */
export interface RecipientOutcomeState {
  /** The stored status. */
  readonly status: RecipientStatus;
  /** Outcomes recorded so far. */
  readonly attempts: number;
  /** The token of the last claim, kept until an outcome clears it (even after the lease ran out). */
  readonly leaseToken: string | null;
}

/** Everything `decideOutcome` needs. */
export interface OutcomeInput {
  /** The message (for the event). */
  readonly messageId: string;
  /** The recipient's index (for the event). */
  readonly index: number;
  /** The recipient's address (for the event). */
  readonly address: string;
  /** The recipient as stored, read under the driver's lock. */
  readonly current: RecipientOutcomeState;
  /** The token the caller claimed under. */
  readonly leaseToken: string;
  /** What the caller reports. */
  readonly outcome: DeliveryOutcome;
  /** The message's expiry (epoch ms). */
  readonly expiresAt: number;
  /** The driver's clock. */
  readonly now: number;
}

/** The fields a driver writes when an outcome is applied; the lease is always cleared. */
export interface RecipientUpdate {
  /** The new status. */
  readonly status: RecipientStatus;
  /** The new attempt count. */
  readonly attempts: number;
  /** `null` once final. */
  readonly nextAttemptAt: number | null;
  /** `now`. */
  readonly lastAttemptAt: number;
  /** The outcome's reason (`null` for a delivery). */
  readonly lastReason: string | null;
  /** The outcome's reply, if any. */
  readonly lastReply: RemoteReply | null;
}

/** What to do with one outcome. */
export type OutcomeDecision =
  | { readonly status: 'duplicate' | 'stale'; readonly recipientStatus: RecipientStatus }
  | {
      readonly status: 'applied';
      readonly recipientStatus: RecipientStatus;
      readonly update: RecipientUpdate;
      readonly event: QueueEvent;
    };

/**
 * Decides how an outcome changes a recipient. A deferral at or after the message's expiry makes
 * the recipient `expired` (final), like Postfix bouncing a message older than
 * `maximal_queue_lifetime` after its next failed attempt.
 * @example
 * ```ts
 * const decision = decideOutcome({
 *   messageId,
 *   index: 0,
 *   address: 'bob@example.org',
 *   current: { status: 'pending', attempts: 0, leaseToken: 'lease-1' },
 *   leaseToken: 'lease-1',
 *   outcome: { kind: 'deferred', reason: '451 4.7.1 try later', nextAttemptAt: now + 300_000 },
 *   expiresAt: now + 5 * 86_400_000,
 *   now,
 * });
 * if (decision.status === 'applied') writeRecipient(decision.update); // status 'pending', attempts 1
 * ```
 */
export function decideOutcome(input: OutcomeInput): OutcomeDecision {
  const { current, outcome, now, messageId, index, address } = input;
  if (current.status !== 'pending') return { status: 'duplicate', recipientStatus: current.status };
  const attempts = current.attempts + 1;
  const reply = outcome.reply ?? null;
  switch (outcome.kind) {
    case 'delivered':
      return {
        status: 'applied',
        recipientStatus: 'delivered',
        update: {
          status: 'delivered',
          attempts,
          nextAttemptAt: null,
          lastAttemptAt: now,
          lastReason: null,
          lastReply: reply,
        },
        event: {
          type: 'deliver',
          at: now,
          messageId,
          index,
          address,
          ...(outcome.reply ? { reply: outcome.reply } : {}),
        },
      };
    case 'failed':
      return {
        status: 'applied',
        recipientStatus: 'failed',
        update: {
          status: 'failed',
          attempts,
          nextAttemptAt: null,
          lastAttemptAt: now,
          lastReason: outcome.reason,
          lastReply: reply,
        },
        event: {
          type: 'fail',
          at: now,
          messageId,
          index,
          address,
          reason: outcome.reason,
          ...(outcome.reply ? { reply: outcome.reply } : {}),
        },
      };
    case 'deferred': {
      if (current.leaseToken !== input.leaseToken)
        return { status: 'stale', recipientStatus: current.status };
      if (now >= input.expiresAt) {
        const reason = `message expired in the queue; last error: ${outcome.reason}`;
        return {
          status: 'applied',
          recipientStatus: 'expired',
          update: {
            status: 'expired',
            attempts,
            nextAttemptAt: null,
            lastAttemptAt: now,
            lastReason: reason,
            lastReply: reply,
          },
          event: { type: 'expire', at: now, messageId, index, address, reason },
        };
      }
      return {
        status: 'applied',
        recipientStatus: 'pending',
        update: {
          status: 'pending',
          attempts,
          nextAttemptAt: outcome.nextAttemptAt,
          lastAttemptAt: now,
          lastReason: outcome.reason,
          lastReply: reply,
        },
        event: {
          type: 'defer',
          at: now,
          messageId,
          index,
          address,
          reason: outcome.reason,
          nextAttemptAt: outcome.nextAttemptAt,
          attempts,
        },
      };
    }
  }
}

/**
 * Checks an outcome record's shape; throws `TypeError`/`RangeError` on a caller bug.
 * @example
 * ```ts
 * validateOutcome({ kind: 'failed', reason: '550 5.1.1 no such user' });
 * validateOutcome({ kind: 'deferred', reason: 'timeout', nextAttemptAt: Number.NaN }); // RangeError
 * ```
 */
export function validateOutcome(outcome: DeliveryOutcome): void {
  if (typeof outcome !== 'object' || outcome === null) throw new TypeError('outcome must be an object');
  if (outcome.kind === 'delivered') return;
  if (outcome.kind !== 'deferred' && outcome.kind !== 'failed') {
    throw new TypeError("outcome.kind must be 'delivered', 'deferred' or 'failed'");
  }
  if (typeof outcome.reason !== 'string') throw new TypeError('outcome.reason must be a string');
  if (outcome.kind === 'deferred' && !Number.isFinite(outcome.nextAttemptAt)) {
    throw new RangeError('outcome.nextAttemptAt must be a finite time (epoch ms)');
  }
}

/** The fields of a recipient `deriveMessageState` reads. */
export interface RecipientStateView {
  /** The stored status. */
  readonly status: RecipientStatus;
  /** Outcomes recorded so far. */
  readonly attempts: number;
  /** Lease expiry (epoch ms), or `null`. */
  readonly leaseUntil: number | null;
}

/**
 * A message's operator-facing state at `now` (see `MessageState`).
 * @example
 * ```ts
 * deriveMessageState(false, [{ status: 'pending', attempts: 1, leaseUntil: null }], now); // 'deferred'
 * deriveMessageState(false, [{ status: 'pending', attempts: 0, leaseUntil: now + 60_000 }], now); // 'active'
 * deriveMessageState(true, [], now); // 'held'
 * ```
 */
export function deriveMessageState(
  held: boolean,
  recipients: readonly RecipientStateView[],
  now: number,
): 'held' | 'active' | 'deferred' | 'queued' {
  if (held) return 'held';
  const pending = recipients.filter((r) => r.status === 'pending');
  if (pending.some((r) => r.leaseUntil !== null && r.leaseUntil > now)) return 'active';
  if (pending.some((r) => r.attempts > 0)) return 'deferred';
  return 'queued';
}
