/** The rows pg hands back for the driver's tables (`bigint` and timestamps as strings). */
import type { RecipientStatus } from '@smtpkit/queue';

export interface RecipientRow {
  message_id: string;
  idx: number;
  address: string;
  domain: string;
  status: RecipientStatus;
  attempts: number;
  next_attempt_at: string | null;
  lease_worker: string | null;
  lease_until: string | null;
  last_attempt_at: string | null;
  last_reason: string | null;
  last_reply: string | null;
}

export interface MessageRow {
  id: string;
  envelope: string;
  size: string;
  chunk_count: number;
  enqueued_at: string;
  expires_at: string;
  held: boolean;
}
