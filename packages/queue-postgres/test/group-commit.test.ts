/**
 * The enqueue batcher (group commit) without a database: concurrent submissions share a write,
 * every promise settles only after its write, limits cut batches, and a failing batch is retried
 * item by item so one bad item fails alone.
 */
import { describe, expect, it } from 'vitest';
import { Batcher } from '../src/batcher.js';

function recorder(fail: (items: readonly number[]) => boolean = () => false) {
  const writes: number[][] = [];
  const write = async (items: readonly number[]) => {
    await new Promise((resolve) => setTimeout(resolve, 5));
    if (fail(items)) throw new Error(`bad batch ${items.join(',')}`);
    writes.push([...items]);
  };
  return { writes, write };
}

describe('group commit of enqueues', () => {
  it('submissions made while a batch is in flight are written together by the next one', async () => {
    const { writes, write } = recorder();
    const batcher = new Batcher<number>({
      write,
      maxItems: 100,
      maxBytes: 1e9,
      sizeOf: () => 1,
      concurrency: 1,
    });
    const first = batcher.submit(0);
    await new Promise((resolve) => setImmediate(resolve));
    const rest = Array.from({ length: 20 }, (_, i) => batcher.submit(i + 1));
    await Promise.all([first, ...rest]);
    expect(writes).toEqual([[0], Array.from({ length: 20 }, (_, i) => i + 1)]);
  });

  it('a promise settles only after the write that holds its item', async () => {
    let release: () => void = () => {};
    const gate = new Promise<void>((resolve) => {
      release = resolve;
    });
    let written = false;
    const batcher = new Batcher<number>({
      write: async () => {
        await gate;
        written = true;
      },
      maxItems: 10,
      maxBytes: 1e9,
      sizeOf: () => 1,
      concurrency: 1,
    });
    let settled = false;
    const pending = batcher.submit(1).then(() => {
      settled = true;
    });
    await new Promise((resolve) => setTimeout(resolve, 20));
    expect(settled).toBe(false);
    release();
    await pending;
    expect(written).toBe(true);
  });

  it('cuts batches at maxItems and maxBytes; an item larger than maxBytes goes alone', async () => {
    const { writes, write } = recorder();
    const batcher = new Batcher<number>({
      write,
      maxItems: 3,
      maxBytes: 10,
      sizeOf: (n) => n,
      concurrency: 1,
    });
    await Promise.all([1, 1, 1, 1, 4, 4, 4, 50, 1].map((n) => batcher.submit(n)));
    expect(writes).toEqual([[1, 1, 1], [1, 4, 4], [4], [50], [1]]);
  });

  it('a failing batch is retried one item per write: only the bad item fails', async () => {
    const { writes, write } = recorder((items) => items.includes(13));
    const batcher = new Batcher<number>({
      write,
      maxItems: 100,
      maxBytes: 1e9,
      sizeOf: () => 1,
      concurrency: 2,
    });
    const results = await Promise.allSettled([11, 12, 13, 14].map((n) => batcher.submit(n)));
    expect(results.map((r) => r.status)).toEqual(['fulfilled', 'fulfilled', 'rejected', 'fulfilled']);
    expect(writes).toEqual([[11], [12], [14]]);
    await batcher.drain();
  });
});
