/**
 * Small real artifacts for the server tests, trained in Node with src/core/ml/train.ts (the notebook's
 * own training code): a binary GBDT over every input kind (numeric, datetime, categorical, boolean,
 * text), a multiclass GBDT, a linear regression, and the README's demo model (cars-mpg).
 */
import { createApp } from '../app.ts';
import type { ModelArtifact } from '../../src/core/ml/artifact.ts';
import { createRng } from '../../src/core/ml/random.ts';
import { trainModel } from '../../src/core/ml/train.ts';
import type { ColumnarTable, Task } from '../../src/core/ml/types.ts';
import { ModelStore } from '../store/store.ts';
import type { Hono } from 'hono';

export const TOKEN = 't0ken-for-tests-0123456789abcdef';
export const AUTH = { authorization: `Bearer ${TOKEN}` };
export const JSON_HEADERS = { host: '127.0.0.1:8787', 'content-type': 'application/json' };

function synth(n: number, seed: number, task: Task): ColumnarTable {
  const r = createRng(seed);
  const x = new Float64Array(n);
  const z: (number | null)[] = [];
  const when = new Float64Array(n);
  const city: (string | null)[] = [];
  const member: (boolean | null)[] = [];
  const review: (string | null)[] = [];
  const label: (string | number)[] = [];
  const start = Date.UTC(2024, 0, 1);
  for (let i = 0; i < n; i++) {
    x[i] = r.normal();
    z.push(i % 13 === 0 ? null : r.normal());
    when[i] = start + r.int(365) * 86_400_000;
    const c = ['paris', 'lima', 'oslo', 'kyiv'][r.int(4)];
    city.push(i % 19 === 0 ? null : c);
    member.push(i % 23 === 0 ? null : r.next() < 0.4);
    const good = r.next() < 0.5;
    review.push(`${good ? 'great superb' : 'awful broken'} product`);
    const s = 2 * x[i] + (c === 'paris' ? 1.5 : c === 'oslo' ? -1.5 : 0) + (good ? 1 : -1) + 0.3 * r.normal();
    if (task === 'binary') label.push(s > 0 ? 'yes' : 'no');
    else if (task === 'multiclass') label.push(s < -1.2 ? 'low' : s < 1.2 ? 'mid' : 'high');
    else label.push(s + 10);
  }
  return {
    rowCount: n,
    columns: {
      x,
      z,
      when,
      city,
      member,
      review,
      label: task === 'regression' ? Float64Array.from(label as number[]) : (label as string[]),
    },
    types: {
      x: 'DOUBLE',
      z: 'DOUBLE',
      when: 'TIMESTAMP',
      city: 'VARCHAR',
      member: 'BOOLEAN',
      review: 'VARCHAR',
      label: task === 'regression' ? 'DOUBLE' : 'VARCHAR',
    },
  };
}

export async function trainSynthetic(task: Task, family = 'gbdt', rounds = 30): Promise<ModelArtifact> {
  const out = await trainModel(
    synth(600, 5, task),
    {
      target: 'label',
      task,
      pipeline: {
        columns: [
          { name: 'x', kind: 'numeric' },
          { name: 'z', kind: 'numeric' },
          { name: 'when', kind: 'datetime' },
          { name: 'city', kind: 'categorical' },
          { name: 'member', kind: 'boolean' },
          { name: 'review', kind: 'text' },
        ],
      },
      split: { kind: 'random', seed: 2, fractions: { train: 0.7, valid: 0.15, test: 0.15 } },
      family,
      params: family === 'gbdt' ? { nEstimators: rounds, minDataInLeaf: 10 } : { maxIterations: 200 },
      seed: 4,
    },
    { backend: 'js' },
  );
  return out.artifact;
}

/** A record every synthetic model accepts without warnings. */
export const GOOD = {
  x: 0.5,
  z: -0.2,
  when: '2024-05-01T00:00:00Z',
  city: 'paris',
  member: true,
  review: 'great product',
};

export interface TestApp {
  app: Hono;
  store: ModelStore;
  req(path: string, init?: RequestInit & { headers?: Record<string, string> }): Promise<Response>;
  post(path: string, body: unknown, headers?: Record<string, string>): Promise<Response>;
}

export async function makeApp(
  opts: { dir?: string | null; defaultModel?: string; corsOrigins?: string[]; distDir?: string } = {},
): Promise<TestApp> {
  const store = await ModelStore.open({ dir: opts.dir ?? null, log: () => {} });
  const app = createApp({
    distDir: opts.distDir ?? '/nonexistent-dist',
    store,
    token: TOKEN,
    version: '0.0.0-test',
    defaultModel: opts.defaultModel,
    corsOrigins: opts.corsOrigins,
  });
  const req = async (path: string, init: RequestInit & { headers?: Record<string, string> } = {}) =>
    await app.request(`http://127.0.0.1:8787${path}`, {
      ...init,
      headers: { ...JSON_HEADERS, ...init.headers },
    });
  const post = (path: string, body: unknown, headers: Record<string, string> = {}) =>
    req(path, { method: 'POST', body: typeof body === 'string' ? body : JSON.stringify(body), headers });
  return { app, store, req, post };
}

export async function deploy(
  t: TestApp,
  name: string,
  artifact: unknown,
): Promise<{ name: string; version: number }> {
  const res = await t.post(`/v1/models?name=${name}`, artifact, AUTH);
  if (res.status !== 201) throw new Error(`deploy ${name}: ${res.status} ${await res.text()}`);
  return (await res.json()) as { name: string; version: number };
}
