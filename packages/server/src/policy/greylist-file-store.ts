import { appendFile, mkdir, readFile, rename, writeFile } from 'node:fs/promises';
import { dirname } from 'node:path';
import type { GreylistRecord, GreylistStore } from './greylist-store';

/** Options of {@link openFileGreylistStore}. */
export interface FileGreylistStoreOptions {
  /** Clock used to drop expired entries (defaults to `Date.now`). */
  readonly now?: () => number;
  /**
   * Rewrite the file without dead lines once it holds this many times more lines than live
   * entries (default 4). The rewrite goes to a temporary file renamed over the old one.
   */
  readonly compactRatio?: number;
}

interface Line {
  readonly k: string;
  readonly r: GreylistRecord;
  readonly x: number;
}

/**
 * A persistent greylist store: an append-only JSON-lines file, read back on open and compacted
 * by atomic rename. One process per file. Suits a single server that should remember its
 * triplets across restarts without a database.
 *
 * @param path - The file (created with its folder when missing).
 * @example
 * ```ts
 * const store = await openFileGreylistStore('/var/lib/smtpkit/greylist.jsonl');
 * const greylist = createGreylist({ store });
 * ```
 */
export async function openFileGreylistStore(
  path: string,
  options: FileGreylistStoreOptions = {},
): Promise<GreylistStore> {
  const now = options.now ?? Date.now;
  const compactRatio = options.compactRatio ?? 4;
  const entries = new Map<string, { record: GreylistRecord; expiresAt: number }>();
  await mkdir(dirname(path), { recursive: true });
  let lines = 0;
  let text = '';
  try {
    text = await readFile(path, 'utf8');
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== 'ENOENT') throw error;
  }
  const t0 = now();
  for (const raw of text.split('\n')) {
    if (raw === '') continue;
    lines++;
    try {
      const line = JSON.parse(raw) as Line;
      if (typeof line.k === 'string' && typeof line.x === 'number' && line.x > t0) {
        entries.set(line.k, { record: line.r, expiresAt: line.x });
      } else if (typeof line.k === 'string') entries.delete(line.k);
    } catch {
      // A torn last line after a crash: the entry it held is simply forgotten.
    }
  }
  // Writes are chained so lines never interleave and compaction sees a quiet file.
  let chain: Promise<void> = Promise.resolve();
  const enqueue = (work: () => Promise<void>): Promise<void> => {
    const next = chain.then(work);
    chain = next.catch(() => {});
    return next;
  };
  const compact = async () => {
    const t = now();
    let out = '';
    for (const [k, e] of entries) {
      if (e.expiresAt <= t) entries.delete(k);
      else out += `${JSON.stringify({ k, r: e.record, x: e.expiresAt })}\n`;
    }
    await writeFile(`${path}.tmp`, out);
    await rename(`${path}.tmp`, path);
    lines = entries.size;
  };
  return {
    async get(key) {
      const entry = entries.get(key);
      if (!entry || entry.expiresAt <= now()) return undefined;
      return entry.record;
    },
    set(key, record, expiresAt) {
      entries.set(key, { record, expiresAt });
      return enqueue(async () => {
        await appendFile(path, `${JSON.stringify({ k: key, r: record, x: expiresAt })}\n`);
        lines++;
        if (lines > 64 && lines > entries.size * compactRatio) await compact();
      });
    },
    close() {
      return enqueue(async () => {});
    },
  };
}
