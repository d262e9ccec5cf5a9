/**
 * @packageDocumentation
 * A durable mail queue interface with per-recipient state and leases, an in-memory driver,
 * a retry schedule helper, and the building blocks drivers share. The contract suite every
 * driver passes is in `@smtpkit/queue/testing`.
 */

export {
  randomId,
  validateClaimRequest,
  validateEnqueueInput,
  validateExtendLeaseRequest,
  validateListFilter,
  validateOutcomeRecords,
} from './core/checks.js';
export { chunkContent, throwIfAborted } from './core/content.js';
// Driver toolkit: what the SQLite and PostgreSQL drivers share with the memory driver.
export {
  type ContentStorageOptions,
  decodeReply,
  describeRecipient,
  encodeReply,
  enqueueEvent,
  queueStats,
  type ResolvedContentStorageOptions,
  resolveContentStorageOptions,
  type StoredRecipientView,
} from './core/driver.js';
export {
  decodeEnvelope,
  encodeEnvelope,
  normalizeEnvelope,
  recipientDomain,
  validateEnvelope,
} from './core/envelope.js';
export { QueueEventHub } from './core/event-hub.js';
export {
  decideOutcome,
  deriveMessageState,
  type OutcomeDecision,
  type OutcomeInput,
  type RecipientOutcomeState,
  type RecipientStateView,
  type RecipientUpdate,
  validateOutcome,
} from './core/outcome.js';
export {
  type BackoffScheduleOptions,
  createBackoffSchedule,
  createListSchedule,
  DEFAULT_MAX_QUEUE_LIFETIME_MS,
  type RetrySchedule,
} from './core/retry-schedule.js';
export {
  isQueueError,
  QueueClosedError,
  QueueCorruptRecordError,
  QueueError,
  type QueueErrorCode,
  QueueNotFoundError,
  QueueStorageError,
} from './errors.js';
export { createMemoryQueue, type MemoryQueueOptions } from './memory/memory-queue.js';
export type {
  ClaimedGroup,
  ClaimedRecipient,
  ClaimRequest,
  DeliveryOutcome,
  DsnNotifyCondition,
  EnqueueInput,
  Envelope,
  EnvelopeRecipient,
  ExtendLeaseRequest,
  JsonValue,
  ListFilter,
  MessageContent,
  MessageInfo,
  MessageState,
  MessageSummary,
  OriginalRecipient,
  OutcomeRecord,
  Queue,
  QueueCallOptions,
  QueueDriverOptions,
  QueueEvent,
  QueueListener,
  QueueStats,
  RecipientInfo,
  RecipientStatus,
  RecordResult,
  RemoteReply,
} from './types.js';
