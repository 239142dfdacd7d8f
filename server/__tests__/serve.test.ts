/**
 * The model API over real HTTP (startServer on an ephemeral 127.0.0.1 port, fetch), including the
 * PARITY test: a GBDT trained with src/core/ml/train.ts on 3,000 real flights (vega-datasets'
 * flights-3m.parquet, read with native DuckDB), deployed with POST /v1/models; 200 rows sent to
 * /predict must give the same predictions and SHAP contributions as the artifact's LoadedModel called
 * directly (|diff| ≤ 1e-6). The server explains in a worker thread (explainThreads: 1), as `npm start`
 * does on a 2-core machine.
 */
import { request } from 'node:http';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type ModelArtifact, loadArtifact } from '../../src/core/ml/artifact.ts';
import { trainModel } from '../../src/core/ml/train.ts';
import type { ColumnarTable } from '../../src/core/ml/types.ts';
import { type RunningServer, startServer } from '../start.ts';
import { type Fixture, makeDist } from './fixture.ts';
import { flightsSpec, flightsTable, loadFlights } from './flightsModel.ts';
import { TOKEN } from './modelFixture.ts';

let fx: Fixture;
let modelsDir: string;
let server: RunningServer;
let artifact: ModelArtifact;
let table: ColumnarTable;
const url = (p: string) => new URL(p, server.url).toString();
const auth = { authorization: `Bearer ${TOKEN}`, 'content-type': 'application/json' };

beforeAll(async () => {
  fx = makeDist();
  modelsDir = mkdtempSync(join(tmpdir(), 'benchtop-serve-test-'));
  table = flightsTable(await loadFlights(1000)); // 3,000 rows spread over the whole file
  const out = await trainModel(
    table,
    flightsSpec({
      splitSeed: 3,
      seed: 9,
      params: { nEstimators: 100, minDataInLeaf: 20 },
      name: 'flights — gbdt',
    }),
    { backend: 'js' },
  );
  artifact = out.artifact;
  // One explanation thread (server/explainPool.ts), as `npm start` runs on a 2-core machine: the parity
  // test then checks the explanations computed there.
  server = await startServer({
    distDir: fx.dist,
    host: '127.0.0.1',
    port: 0,
    modelsDir,
    token: TOKEN,
    explainThreads: 1,
  });
}, 120_000);

afterAll(async () => {
  await server?.close();
  fx.cleanup();
  rmSync(modelsDir, { recursive: true, force: true });
});

describe('model API over HTTP', () => {
  it('refuses a deploy without or with a wrong token', async () => {
    const body = JSON.stringify(artifact);
    const none = await fetch(url('/v1/models?name=flights'), {
      method: 'POST',
      body,
      headers: { 'content-type': 'application/json' },
    });
    expect(none.status).toBe(401);
    expect(none.headers.get('www-authenticate')).toMatch(/^Bearer/);
    const wrong = await fetch(url('/v1/models?name=flights'), {
      method: 'POST',
      body,
      headers: { ...auth, authorization: `Bearer ${TOKEN}x` },
    });
    expect(wrong.status).toBe(403);
  });

  it('PARITY: 200 real rows through POST /predict equal the LoadedModel called directly (|diff| ≤ 1e-6)', async () => {
    const dep = await fetch(url('/v1/models?name=flights'), {
      method: 'POST',
      body: JSON.stringify(artifact),
      headers: auth,
    });
    expect(dep.status).toBe(201);
    expect(await dep.json()).toEqual({ name: 'flights', version: 1 });
    // The thread starts in ~1 s (its own isolate); until then explanations are computed in the server
    // thread. Wait, so that what is compared below is the thread's work.
    const t0 = Date.now();
    while (server.store.explainer.threads().ready < 1 && Date.now() - t0 < 60_000) {
      await new Promise((r) => setTimeout(r, 25));
    }
    const threadRows = server.store.explainer.threads().rows;

    const n = table.rowCount;
    const records = Array.from({ length: 200 }, (_, k) => {
      const i = n - 1 - k * 7; // spread over the last ~1,400 rows
      return {
        date: new Date(table.columns.date[i] as number).toISOString(),
        origin: table.columns.origin[i],
        destination: table.columns.destination[i],
        distance: table.columns.distance[i],
      };
    });
    const res = await fetch(url('/predict?top_k=4'), {
      method: 'POST',
      body: JSON.stringify({ rows: records }),
      headers: { 'content-type': 'application/json' },
    });
    expect(res.status).toBe(200);
    const out = (await res.json()) as {
      model: { name: string; version: number };
      results: {
        prediction: { label: string; probability: number };
        explanation: { base: number; contributions: { feature: string; value: number }[]; rest: number };
        warnings: { field: string; code: string }[];
      }[];
    };
    expect(out.model).toEqual({ name: 'flights', version: 1 });
    expect(out.results).toHaveLength(200);
    expect(server.store.explainer.threads().rows - threadRows).toBe(200);

    // The same artifact, loaded in the test with the browser's module.
    const loaded = await loadArtifact(JSON.parse(JSON.stringify(artifact)));
    const direct = await loaded.predictRecords(records);
    let maxP = 0;
    let maxC = 0;
    for (let i = 0; i < 200; i++) {
      const got = out.results[i];
      maxP = Math.max(maxP, Math.abs(got.prediction.probability - direct[i].prediction.output[0]));
      expect(got.prediction.label).toBe(direct[i].prediction.label);
      expect(got.warnings).toEqual(direct[i].warnings);
      const e = await loaded.explainRecord!(records[i]);
      const folded = new Map<string, number>();
      e.features.forEach((f, j) => {
        folded.set(f.source, (folded.get(f.source) ?? 0) + e.values[j]);
      });
      expect(got.explanation.contributions.map((c) => c.feature).sort()).toEqual([...folded.keys()].sort());
      maxC = Math.max(maxC, Math.abs(got.explanation.base - e.base));
      for (const c of got.explanation.contributions)
        maxC = Math.max(maxC, Math.abs(c.value - folded.get(c.feature)!));
      // SHAP is additive: base + Σ = logit(p).
      const p = got.prediction.probability;
      const sum = got.explanation.base + got.explanation.contributions.reduce((a, c) => a + c.value, 0);
      expect(Math.abs(sum - Math.log(p / (1 - p)))).toBeLessThan(1e-4);
    }
    expect(maxP).toBeLessThanOrEqual(1e-6);
    expect(maxC).toBeLessThanOrEqual(1e-6);
  });

  it('serves /openapi.json, /metrics, /v1/models over HTTP', async () => {
    const doc = (await (await fetch(url('/openapi.json'))).json()) as { paths: Record<string, unknown> };
    expect(Object.keys(doc.paths)).toContain('/v1/models/flights/predict');
    const metrics = await fetch(url('/metrics'));
    expect(metrics.headers.get('content-type')).toMatch(/^text\/plain; version=0\.0\.4/);
    const text = await metrics.text();
    expect(text).toContain('benchtop_predictions_total{model="flights",kind="tabular"} 200');
    // The explanation thread: configured, ready, and it explained the parity test's 200 rows (plus the
    // model's warm-up example).
    expect(text).toContain('benchtop_explain_threads{state="configured"} 1');
    expect(text).toContain('benchtop_explain_threads{state="ready"} 1');
    const inThreads = Number(/^benchtop_explained_in_threads_total (\d+)$/m.exec(text)?.[1]);
    expect(inThreads).toBeGreaterThanOrEqual(200);
    const list = (await (await fetch(url('/v1/models'))).json()) as { models: { name: string }[] };
    expect(list.models.map((m) => m.name)).toEqual(['flights']);
  });

  it('refuses a body over 1 MB sent chunked without Content-Length (413, not a 500)', async () => {
    const status = await new Promise<number>((resolve, reject) => {
      const r = request(
        {
          host: '127.0.0.1',
          port: server.port,
          path: '/predict',
          method: 'POST',
          headers: { 'content-type': 'application/json', 'transfer-encoding': 'chunked' },
        },
        (res) => {
          res.resume();
          resolve(res.statusCode ?? 0);
        },
      );
      r.on('error', (e) =>
        (e as NodeJS.ErrnoException).code === 'EPIPE' || (e as NodeJS.ErrnoException).code === 'ECONNRESET'
          ? undefined
          : reject(e),
      );
      const chunk = `{"x":"${'a'.repeat(256 * 1024)}`;
      let sent = 0;
      const pump = () => {
        while (sent < 8) {
          sent++;
          if (!r.write(chunk)) return void r.once('drain', pump);
        }
        r.end('"}');
      };
      pump();
    });
    expect(status).toBe(413);
  });

  it('keeps the model across a restart (loaded from the models directory)', async () => {
    await server.close();
    server = await startServer({ distDir: fx.dist, host: '127.0.0.1', port: 0, modelsDir, token: TOKEN });
    const m = (await (await fetch(url('/v1/models/flights'))).json()) as {
      version: number;
      versions: number[];
    };
    expect(m).toMatchObject({ version: 1, versions: [1] });
    const res = await fetch(url('/v1/models/flights/predict'), {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({
        date: '2001-03-01T08:00:00Z',
        origin: 'ATL',
        destination: 'LAX',
        distance: 1946,
      }),
    });
    expect(res.status).toBe(200);
  });

  it('deletes with the token over HTTP', async () => {
    const res = await fetch(url('/v1/models/flights'), { method: 'DELETE', headers: auth });
    expect(res.status).toBe(200);
    expect((await fetch(url('/v1/models/flights'))).status).toBe(404);
  });
});
