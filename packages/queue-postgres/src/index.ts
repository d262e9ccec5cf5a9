/**
 * @packageDocumentation
 * A mail queue on PostgreSQL for many workers in many processes on many machines:
 * `@smtpkit/queue`'s `Queue` with `FOR UPDATE SKIP LOCKED` claims, timestamp leases, group
 * commit of concurrent enqueues and content streamed in `bytea` chunk rows.
 */
export { createPostgresQueue, type PostgresQueueOptions } from './postgres-queue.js';
