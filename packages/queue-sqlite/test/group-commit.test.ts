import Database from 'better-sqlite3';
import { describe, expect, it } from 'vitest';
import { GroupCommit } from '../src/group-commit.js';

function setup() {
  const db = new Database(':memory:');
  db.exec('CREATE TABLE t (x INTEGER PRIMARY KEY)');
  return { db, commit: new GroupCommit(db), insert: db.prepare('INSERT INTO t (x) VALUES (?)') };
}

describe('group commit', () => {
  it('writes submitted in the same turn of the event loop share one transaction', async () => {
    const { db, commit, insert } = setup();
    const results = await Promise.all(
      Array.from({ length: 300 }, (_, i) => commit.submit(() => insert.run(i).changes)),
    );
    expect(results.every((n) => n === 1)).toBe(true);
    expect(commit.commits).toBe(1);
    expect((db.prepare('SELECT count(*) AS n FROM t').get() as { n: number }).n).toBe(300);
  });

  it('splits very large batches (maxBatch)', async () => {
    const db = new Database(':memory:');
    db.exec('CREATE TABLE t (x INTEGER PRIMARY KEY)');
    const insert = db.prepare('INSERT INTO t (x) VALUES (?)');
    const commit = new GroupCommit(db, 100);
    await Promise.all(Array.from({ length: 250 }, (_, i) => commit.submit(() => insert.run(i))));
    expect(commit.commits).toBe(3);
  });

  it('one failing write fails alone: the rest of its batch commits', async () => {
    const { db, commit, insert } = setup();
    const outcomes = await Promise.allSettled([
      commit.submit(() => insert.run(1)),
      commit.submit(() => insert.run(1)), // duplicate key
      commit.submit(() => insert.run(2)),
    ]);
    expect(outcomes.map((o) => o.status)).toEqual(['fulfilled', 'rejected', 'fulfilled']);
    expect(db.prepare('SELECT x FROM t ORDER BY x').pluck().all()).toEqual([1, 2]);
  });

  it('a promise settles only after its commit', async () => {
    const { db, commit, insert } = setup();
    let settled = false;
    const pending = commit
      .submit(() => insert.run(7))
      .then(() => {
        settled = true;
      });
    await Promise.resolve();
    expect(settled).toBe(false);
    expect(db.prepare('SELECT count(*) FROM t').pluck().get()).toBe(0);
    await pending;
    expect(db.prepare('SELECT count(*) FROM t').pluck().get()).toBe(1);
  });
});
