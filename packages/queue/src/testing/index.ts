/**
 * @packageDocumentation
 * The contract suite every `@smtpkit/queue` driver runs (vitest), and a manual clock.
 *
 * @example
 * ```ts
 * import { createMemoryQueue } from '@smtpkit/queue';
 * import { runQueueContract } from '@smtpkit/queue/testing';
 *
 * runQueueContract('memory', ({ now }) => createMemoryQueue({ now }));
 * ```
 */
export { createManualClock, type ManualClock } from './clock.js';
export { type QueueContractContext, type QueueContractOptions, runQueueContract } from './contract.js';
