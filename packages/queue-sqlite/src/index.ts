/**
 * @packageDocumentation
 * The embedded durable mail queue: `@smtpkit/queue`'s `Queue` on SQLite (better-sqlite3, WAL,
 * `synchronous=FULL`, group commit, content in chunk rows).
 */
export { createSqliteQueue, type SqliteQueueOptions } from './sqlite-queue.js';
