import { createHash, type Hash } from 'node:crypto';
import type { RewindableSink } from './core/body-canonicalizer';

/**
 * SHA-256 of a canonical body (the `bh=` tag) that can go back to a saved point, so the
 * canonicaliser may hash a chunk before it has scanned it (see {@link RewindableSink}).
 */
export class BodyHash implements RewindableSink {
  #hash: Hash = createHash('sha256');
  #saved: Hash | undefined;

  update(bytes: Uint8Array): void {
    this.#hash.update(bytes);
  }

  save(): void {
    this.#saved = this.#hash.copy();
  }

  restore(): void {
    const saved = this.#saved;
    if (saved === undefined) throw new Error('BodyHash.restore() without a save()');
    this.#hash = saved;
    this.#saved = undefined;
  }

  /** The hash, base64. Ends it. */
  digest(): string {
    this.#saved = undefined;
    return this.#hash.digest('base64');
  }
}
