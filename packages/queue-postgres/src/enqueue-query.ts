/** The group-committed enqueue statement: messages, recipients and inline content of a batch. */
import { recipientDomain } from '@smtpkit/queue';
import type pg from 'pg';
import type { Statements } from './statements.js';

/** One enqueue waiting in the batch. */
export interface EnqueueRow {
  readonly id: string;
  readonly record: string;
  readonly senderLc: string;
  readonly size: number;
  readonly chunks: readonly Uint8Array[];
  /** Chunks written before (staged); the inline ones follow them. */
  readonly firstSeq: number;
  readonly enqueuedAt: number;
  readonly expiresAt: number;
  readonly firstAttempt: number;
  readonly addresses: readonly string[];
}

/** The statement inserting `rows` (messages, recipients, inline content) in one go. */
export function enqueueQuery(sql: Statements, rows: readonly EnqueueRow[]): pg.QueryConfig {
  const ids: string[] = [];
  const records: string[] = [];
  const senders: string[] = [];
  const sizes: number[] = [];
  const chunkCounts: number[] = [];
  const enqueuedAts: number[] = [];
  const expiresAts: number[] = [];
  const rIds: string[] = [];
  const rIdx: number[] = [];
  const rAddresses: string[] = [];
  const rDomains: string[] = [];
  const rNext: number[] = [];
  const rEnqueued: number[] = [];
  const cIds: string[] = [];
  const cSeqs: number[] = [];
  const chunks: Uint8Array[] = [];
  for (const row of rows) {
    ids.push(row.id);
    records.push(row.record);
    senders.push(row.senderLc);
    sizes.push(row.size);
    chunkCounts.push(row.firstSeq + row.chunks.length);
    enqueuedAts.push(row.enqueuedAt);
    expiresAts.push(row.expiresAt);
    row.addresses.forEach((address, index) => {
      rIds.push(row.id);
      rIdx.push(index);
      rAddresses.push(address);
      rDomains.push(recipientDomain(address));
      rNext.push(row.firstAttempt);
      rEnqueued.push(row.enqueuedAt);
    });
    row.chunks.forEach((chunk, i) => {
      cIds.push(row.id);
      cSeqs.push(row.firstSeq + i);
      chunks.push(chunk);
    });
  }
  const base = 15;
  // Each chunk is its own parameter: pg sends a Buffer parameter in binary, not hex-escaped.
  const params = chunks.map((_, i) => `$${base + i + 1}::bytea`);
  return {
    text: sql.enqueue(params),
    values: [
      ids,
      records,
      senders,
      sizes,
      chunkCounts,
      enqueuedAts,
      expiresAts,
      rIds,
      rIdx,
      rAddresses,
      rDomains,
      rNext,
      rEnqueued,
      cIds,
      cSeqs,
      ...chunks.map((c) => Buffer.from(c.buffer, c.byteOffset, c.byteLength)),
    ],
  };
}
