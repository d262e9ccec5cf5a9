/**
 * Argument checks shared by drivers, so every driver rejects the same caller bugs the same way.
 */
import type { ClaimRequest, EnqueueInput, ExtendLeaseRequest, ListFilter, OutcomeRecord } from '../types.js';
import { validateEnvelope } from './envelope.js';
import { validateOutcome } from './outcome.js';

function checkTime(value: unknown, what: string): void {
  if (value !== undefined && !Number.isFinite(value))
    throw new RangeError(`${what} must be a finite time (epoch ms)`);
}

function checkPositiveInteger(value: unknown, what: string): void {
  if (!Number.isInteger(value) || (value as number) < 1)
    throw new RangeError(`${what} must be a positive integer`);
}

/**
 * Checks `enqueue` input (envelope and times); throws `TypeError`/`RangeError`.
 * @example
 * ```ts
 * // First thing in a driver's enqueue(): a caller bug throws before any storage is touched.
 * validateEnqueueInput({
 *   envelope: { reversePath: 'alice@example.com', recipients: [{ address: 'bob@example.org' }] },
 *   content: new TextEncoder().encode('Subject: hi\r\n\r\nhello\r\n'),
 * });
 * validateEnqueueInput({ envelope: { reversePath: '', recipients: [] }, content }); // TypeError
 * ```
 */
export function validateEnqueueInput(input: EnqueueInput): void {
  if (typeof input !== 'object' || input === null) throw new TypeError('enqueue input must be an object');
  validateEnvelope(input.envelope);
  checkTime(input.notBefore, 'notBefore');
  checkTime(input.expiresAt, 'expiresAt');
  if (input.content === undefined || input.content === null) throw new TypeError('content is required');
}

/**
 * Checks a `claim` request.
 * @example
 * ```ts
 * validateClaimRequest({ limit: 10, leaseMs: 60_000, workerId: 'worker-1' });
 * validateClaimRequest({ limit: 0, leaseMs: 60_000, workerId: 'worker-1' }); // RangeError
 * ```
 */
export function validateClaimRequest(request: ClaimRequest): void {
  if (typeof request !== 'object' || request === null) throw new TypeError('claim request must be an object');
  checkPositiveInteger(request.limit, 'limit');
  checkPositiveInteger(request.leaseMs, 'leaseMs');
  if (typeof request.workerId !== 'string' || request.workerId === '') {
    throw new TypeError('workerId must be a non-empty string');
  }
  if (request.domains !== undefined && !Array.isArray(request.domains)) {
    throw new TypeError('domains must be an array of strings');
  }
}

/**
 * Checks an `extendLease` request.
 * @example
 * ```ts
 * validateExtendLeaseRequest({ leaseToken, leaseMs: 60_000 });
 * ```
 */
export function validateExtendLeaseRequest(request: ExtendLeaseRequest): void {
  if (typeof request !== 'object' || request === null || typeof request.leaseToken !== 'string') {
    throw new TypeError('leaseToken must be a string');
  }
  checkPositiveInteger(request.leaseMs, 'leaseMs');
}

/**
 * Checks outcome records.
 * @example
 * ```ts
 * validateOutcomeRecords([
 *   { messageId, index: 0, leaseToken, outcome: { kind: 'delivered' } },
 *   { messageId, index: 1, leaseToken, outcome: { kind: 'deferred', reason: '451 try later', nextAttemptAt: now + 300_000 } },
 * ]);
 * ```
 */
export function validateOutcomeRecords(records: readonly OutcomeRecord[]): void {
  if (!Array.isArray(records)) throw new TypeError('outcomes must be an array');
  for (const record of records) {
    if (typeof record !== 'object' || record === null)
      throw new TypeError('each outcome record must be an object');
    if (typeof record.messageId !== 'string') throw new TypeError('messageId must be a string');
    if (!Number.isInteger(record.index) || record.index < 0)
      throw new RangeError('index must be an integer ≥ 0');
    if (typeof record.leaseToken !== 'string') throw new TypeError('leaseToken must be a string');
    validateOutcome(record.outcome);
  }
}

/**
 * Checks a `list` filter.
 * @example
 * ```ts
 * validateListFilter({ state: 'deferred', domain: 'example.org', limit: 50 });
 * validateListFilter({ minAgeMs: Number.POSITIVE_INFINITY }); // RangeError: minAgeMs must be finite
 * ```
 */
export function validateListFilter(filter: ListFilter): void {
  if (typeof filter !== 'object' || filter === null) throw new TypeError('filter must be an object');
  const states = ['held', 'active', 'deferred', 'queued'];
  if (filter.state !== undefined && !states.includes(filter.state))
    throw new TypeError('unknown state filter');
  if (filter.limit !== undefined) checkPositiveInteger(filter.limit, 'limit');
  if (filter.offset !== undefined && (!Number.isInteger(filter.offset) || filter.offset < 0)) {
    throw new RangeError('offset must be an integer ≥ 0');
  }
  for (const key of ['minAgeMs', 'maxAgeMs'] as const) {
    if (filter[key] !== undefined && !Number.isFinite(filter[key]))
      throw new RangeError(`${key} must be finite`);
  }
}

/**
 * A random lease token or message id (Web Crypto, present in Node ≥ 19 and browsers).
 * @example
 * ```ts
 * const leaseToken = randomId(); // e.g. '3b241101-e2bb-4255-8caf-4136c566a962'
 * ```
 */
export function randomId(): string {
  return globalThis.crypto.randomUUID();
}
