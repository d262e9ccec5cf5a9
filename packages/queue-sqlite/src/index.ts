/** @packageDocumentation Embedded durable mail queue on SQLite (better-sqlite3, WAL, synchronous=FULL). */
export {};
