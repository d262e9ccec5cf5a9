/**
 * What a greylisting store remembers about one triplet (client network, sender, recipient).
 * Times are milliseconds since the epoch, as given by the greylist's injected `now`.
 */
export interface GreylistRecord {
  /** When the triplet was first seen (the start of the delay). */
  readonly firstSeen: number;
  /** When the triplet was last seen. */
  readonly lastSeen: number;
  /** Whether a retry after the delay has been seen: from then on the triplet passes at once. */
  readonly passed: boolean;
}

/**
 * Where a greylist keeps its triplets. Implement it over any key-value store; entries may be
 * dropped by the store once `expiresAt` has passed.
 */
export interface GreylistStore {
  /** The record for `key`, or `undefined` when unknown or expired. */
  get(key: string, signal?: AbortSignal): Promise<GreylistRecord | undefined>;
  /** Stores `record` under `key` until `expiresAt` (ms since the epoch). */
  set(key: string, record: GreylistRecord, expiresAt: number, signal?: AbortSignal): Promise<void>;
  /** Releases what the store holds open (files, connections). Optional. */
  close?(): Promise<void>;
}

/**
 * A greylist store in process memory: for tests and single-process servers that accept losing
 * the list on restart (senders are then greylisted once more, nothing worse).
 *
 * @param now - Clock used to drop expired entries (defaults to `Date.now`).
 */
export function createMemoryGreylistStore(now: () => number = Date.now): GreylistStore {
  const entries = new Map<string, { record: GreylistRecord; expiresAt: number }>();
  let writes = 0;
  return {
    async get(key) {
      const entry = entries.get(key);
      if (!entry) return undefined;
      if (entry.expiresAt <= now()) {
        entries.delete(key);
        return undefined;
      }
      return entry.record;
    },
    async set(key, record, expiresAt) {
      entries.delete(key);
      entries.set(key, { record, expiresAt });
      // Sweep expired entries now and then so the map is bounded by the live triplets.
      if (++writes % 1024 === 0) {
        const t = now();
        for (const [k, e] of entries) if (e.expiresAt <= t) entries.delete(k);
      }
    },
  };
}
