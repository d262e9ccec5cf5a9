/** Lease tokens, id checks and bigint columns of the PostgreSQL driver. */

// RFC 4122 text form, as `randomId()` produces; anything else cannot name a stored message or lease.
export const uuidPattern = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

/**
 * A lease token is `<message id>.<group token>`: the message id lets `extendLease` find the
 * leased rows by primary key. Returns `null` for anything else (no lease has that token).
 */
export function parseLeaseToken(token: string): { messageId: string; group: string } | null {
  const dot = token.indexOf('.');
  const messageId = token.slice(0, dot).toLowerCase();
  const group = token.slice(dot + 1).toLowerCase();
  return dot > 0 && uuidPattern.test(messageId) && uuidPattern.test(group) ? { messageId, group } : null;
}

/** `bigint` columns arrive as strings (they may exceed 2^53); epoch ms never do. */
export function toNumber(value: string | number): number {
  return typeof value === 'number' ? value : Number(value);
}

/** {@link toNumber}, keeping SQL NULL. */
export function toNumberOrNull(value: string | number | null): number | null {
  return value === null ? null : toNumber(value);
}

/** The stored group token a record's lease token stands for, or `''` (matches none). */
export function leaseGroup(token: string, messageId: string): string {
  const parsed = parseLeaseToken(token);
  return parsed !== null && parsed.messageId === messageId ? parsed.group : '';
}
