/**
 * server/explainPool.ts: explanations computed in worker threads equal the server thread's bit for
 * bit (binary, multiclass and regression GBDTs; single rows and batches split over two threads), a
 * thread that lost a model gets it again, a thread that dies has its rows redone in the server thread,
 * and families that stay in-thread never reach a thread.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type LoadedModel, loadArtifact } from '../../src/core/ml/artifact.ts';
import { createRng } from '../../src/core/ml/random.ts';
import type { Explanation, Matrix, Task } from '../../src/core/ml/types.ts';
import { type ExplainTarget, ExplainPool, explainInThread } from '../explainPool.ts';
import { trainSynthetic } from './modelFixture.ts';

const CITIES = ['paris', 'lima', 'oslo', 'kyiv', 'rome' /* unseen */];

/** n varied records of the synthetic schema, missing values and an unseen category included. */
function records(n: number, seed: number): Record<string, unknown>[] {
  const r = createRng(seed);
  return Array.from({ length: n }, (_, i) => ({
    x: r.normal() * 2,
    z: i % 7 === 0 ? null : r.normal(),
    when: new Date(Date.UTC(2024, 0, 1) + r.int(400) * 86_400_000).toISOString(),
    city: CITIES[r.int(CITIES.length)],
    member: r.next() < 0.5,
    review: r.next() < 0.5 ? 'great superb product' : 'awful broken product',
  }));
}

async function target(
  task: Task,
  name: string = task,
  family = 'gbdt',
): Promise<ExplainTarget & { X: Matrix }> {
  const artifact = await trainSynthetic(task, family);
  const loaded: LoadedModel = await loadArtifact(artifact);
  return { name, artifact, loaded, X: loaded.encodeRecords(records(300, 11)).X };
}

/** Row `r` of X alone, as a request for one record would encode it. */
function row(X: Matrix, r: number): Matrix {
  return { ...X, rows: 1, data: X.data.slice(r * X.cols, (r + 1) * X.cols) };
}

async function until(cond: () => boolean, what: string, ms = 60_000): Promise<void> {
  const t0 = Date.now();
  while (!cond()) {
    if (Date.now() - t0 > ms) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 20));
  }
}

/** Same base and values, bit for bit (Object.is: -0 and NaN included). */
function expectIdentical(a: Explanation[], b: Explanation[]): void {
  expect(a.length).toBe(b.length);
  for (let i = 0; i < a.length; i++) {
    expect(Object.is(a[i].base, b[i].base)).toBe(true);
    expect(Array.from(a[i].values)).toEqual(Array.from(b[i].values));
  }
}

let pool: ExplainPool;
const said: string[] = [];
let binary: ExplainTarget & { X: Matrix };
let multi: ExplainTarget & { X: Matrix };
let regression: ExplainTarget & { X: Matrix };

beforeAll(async () => {
  pool = new ExplainPool(2, { log: (m) => said.push(m) });
  [binary, multi, regression] = await Promise.all([
    target('binary'),
    target('multiclass'),
    target('regression'),
  ]);
  for (const t of [binary, multi, regression]) await pool.warm(t, row(t.X, 0));
  await until(() => pool.threads().ready === 2, 'both threads');
}, 120_000);

afterAll(async () => {
  await pool?.close();
});

describe('ExplainPool', () => {
  it('explains a 300-row batch in two threads exactly as the server thread does (binary, multiclass, regression)', async () => {
    for (const t of [binary, multi, regression]) {
      const classIndex = Int32Array.from({ length: t.X.rows }, (_, i) => (t === multi ? i % 3 : 0));
      const before = pool.threads().rows;
      const got = await pool.explain(t, t.X, classIndex);
      expect(pool.threads().rows - before).toBe(300); // all of it in the threads
      expectIdentical(got, await explainInThread(t.loaded, t.X, classIndex));
      // Not vacuous: the rows' explanations differ from each other, and base + Σφ is the raw output.
      expect(new Set(got.map((e) => e.values[0])).size).toBeGreaterThan(10);
    }
  });

  it('explains concurrent single-row requests (one message per event-loop turn) exactly', async () => {
    const before = pool.threads().rows;
    const got = await Promise.all(
      Array.from({ length: 64 }, (_, r) => pool.explain(binary, row(binary.X, r), [0])),
    );
    expect(pool.threads().rows - before).toBe(64);
    for (let r = 0; r < 64; r++) {
      expectIdentical(got[r], await explainInThread(binary.loaded, row(binary.X, r), [0]));
    }
  });

  it('after a redeploy dropped a version from the threads, a request still holding it is answered exactly', async () => {
    const v2 = { ...(await target('binary', 'binary')), name: 'binary' };
    await pool.warm(v2, row(v2.X, 0)); // replaces "binary": the threads drop the first version
    const before = pool.threads().rows;
    // A request that began before the swap still holds the first version.
    const got = await pool.explain(binary, binary.X, new Int32Array(binary.X.rows));
    expect(pool.threads().rows - before).toBe(300);
    expectIdentical(got, await explainInThread(binary.loaded, binary.X, new Int32Array(binary.X.rows)));
  });

  it('explains a request that is alone (after one event-loop turn) in this thread, and one that is not in a thread', async () => {
    const before = pool.threads().rows;
    let turns = 0;
    const alone = () => {
      turns++;
      return true;
    };
    const here = await pool.explain(binary, row(binary.X, 3), [0], { alone });
    expect(turns).toBe(1); // asked once, after the turn
    expect(pool.threads().rows).toBe(before);
    const there = await pool.explain(binary, row(binary.X, 3), [0], { alone: () => false });
    expect(pool.threads().rows).toBe(before + 1);
    expectIdentical(here, there);
    // More rows than ALONE_MAX_ROWS go to the threads even when alone.
    await pool.explain(binary, binary.X, new Int32Array(binary.X.rows), { alone });
    expect(pool.threads().rows).toBe(before + 1 + binary.X.rows);
  });

  it('keeps linear models in the server thread', async () => {
    const linear = await target('regression', 'lin', 'linear');
    const before = pool.threads().rows;
    const got = await pool.explain(linear, linear.X, new Int32Array(linear.X.rows));
    expect(pool.threads().rows).toBe(before);
    expectIdentical(got, await explainInThread(linear.loaded, linear.X, new Int32Array(linear.X.rows)));
  });

  it('a thread that dies mid-job: its rows are redone in the server thread, and it is restarted', async () => {
    const log: string[] = [];
    const crashing = new ExplainPool(1, {
      log: (m) => log.push(m),
      entry: new URL('./crashingExplain.worker.ts', import.meta.url),
    });
    try {
      await crashing.warm(binary, row(binary.X, 0)); // threads start with the first GBDT model
      await until(() => crashing.threads().ready === 1, 'the crashing thread');
      const classIndex = new Int32Array(binary.X.rows);
      const got = await crashing.explain(binary, binary.X, classIndex);
      expectIdentical(got, await explainInThread(binary.loaded, binary.X, classIndex));
      expect(crashing.threads().rows).toBe(0);
      expect(log.join('\n')).toMatch(/explain thread exited with code 3; restarting it/);
    } finally {
      await crashing.close();
    }
    // After close: in this thread, same values.
    const after = await crashing.explain(binary, row(binary.X, 5), [0]);
    expectIdentical(after, await explainInThread(binary.loaded, row(binary.X, 5), [0]));
  });

  it('reports a model error as the server thread would', async () => {
    const bad = { ...binary.X, cols: binary.X.cols + 1, data: new Float32Array(binary.X.cols + 1) };
    const here = await explainInThread(binary.loaded, bad, [0]).catch((e: Error) => e.message);
    const there = await pool.explain(binary, bad, [0]).catch((e: Error) => e.message);
    expect(typeof here).toBe('string');
    expect(there).toBe(here);
  });
});
