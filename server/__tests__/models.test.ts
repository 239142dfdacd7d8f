/** The model API in-process: store, routes, predictions, explanations, OpenAPI, metrics, drift, CORS. */
import {
  existsSync,
  mkdirSync,
  mkdtempSync,
  readdirSync,
  readFileSync,
  rmSync,
  writeFileSync,
} from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { ModelArtifact } from '../../src/core/ml/artifact.ts';
import { loadArtifact } from '../../src/core/ml/artifact.ts';
import { createRng } from '../../src/core/ml/random.ts';
import { trainDemoModel } from '../demo-model.ts';
import { jensenShannon, psi } from '../store/drift.ts';
import { LOG_FILE, LOG_FILE_OLD, PredictionLog } from '../store/monitor.ts';
import { ModelStore } from '../store/store.ts';
import { AUTH, deploy, GOOD, makeApp, type TestApp, trainSynthetic } from './modelFixture.ts';

let root: string;
let bin: ModelArtifact;
let multi: ModelArtifact;
let reg: ModelArtifact;
let cars: ModelArtifact;

beforeAll(async () => {
  root = mkdtempSync(join(tmpdir(), 'benchtop-models-test-'));
  [bin, multi, reg, cars] = await Promise.all([
    trainSynthetic('binary'),
    trainSynthetic('multiclass'),
    trainSynthetic('regression', 'linear'),
    trainDemoModel(),
  ]);
}, 120_000);
afterAll(() => rmSync(root, { recursive: true, force: true }));

const fresh = (name: string) => {
  const d = join(root, name);
  mkdirSync(d, { recursive: true });
  return d;
};

describe('deploy, list, get, delete', () => {
  let t: TestApp;
  let dir: string;
  beforeAll(async () => {
    dir = fresh('crud');
    t = await makeApp({ dir });
  });

  it('deploys versions 1, 2 atomically into <dir>/<name>/<version>.json', async () => {
    expect(await deploy(t, 'bin', bin)).toEqual({ name: 'bin', version: 1 });
    expect(await deploy(t, 'bin', bin)).toEqual({ name: 'bin', version: 2 });
    const files = readdirSync(join(dir, 'bin')).sort();
    expect(files).toEqual(['1.json', '2.json']); // no temp files left behind
    expect(JSON.parse(readFileSync(join(dir, 'bin', '2.json'), 'utf8')).format).toBe('benchtop-model');
  });

  it('derives the name from the artifact when ?name is absent', async () => {
    const res = await t.post('/v1/models', { ...multi, name: 'Tier — GBDT' }, AUTH);
    expect(res.status).toBe(201);
    expect(await res.json()).toEqual({ name: 'tier-gbdt', version: 1 });
  });

  it('lists models with latest version, task and created', async () => {
    const res = await t.req('/v1/models');
    const body = (await res.json()) as {
      models: { name: string; version: number; task: string; created: string }[];
      default: string;
    };
    expect(body.models.map((m) => [m.name, m.version, m.task])).toEqual([
      ['bin', 2, 'binary'],
      ['tier-gbdt', 1, 'multiclass'],
    ]);
    expect(body.models[0].created).toBe(bin.createdAt);
    expect(body.default).toBe('tier-gbdt');
  });

  it('describes one model: input schema, metrics, versions, example', async () => {
    const res = await t.req('/v1/models/bin');
    expect(res.status).toBe(200);
    const m = (await res.json()) as Record<string, unknown>;
    expect(m).toMatchObject({
      name: 'bin',
      version: 2,
      versions: [1, 2],
      task: 'binary',
      classes: ['no', 'yes'],
    });
    expect(m.inputSchema).toEqual(bin.inputSchema);
    expect(m.metrics).toEqual(bin.metrics);
    expect(m.exampleSource).toBe('synthesised');
    expect(Object.keys(m.example as object).sort()).toEqual(bin.inputSchema.map((f) => f.name).sort());
  });

  it('loads every model again at start, skipping broken files', async () => {
    writeFileSync(join(dir, 'bin', '3.json'), '{"format": "benchtop-model", trunc');
    mkdirSync(join(dir, 'junk'));
    writeFileSync(join(dir, 'junk', '1.json'), '{}');
    mkdirSync(join(dir, '..evil'), { recursive: true });
    const logs: string[] = [];
    const store = await ModelStore.open({ dir, log: (m) => logs.push(m) });
    expect(store.list().map((m) => [m.name, m.version])).toEqual([
      ['bin', 2],
      ['tier-gbdt', 1],
    ]);
    expect(logs.filter((l) => l.startsWith('skipping broken')).length).toBe(2);
    // The next deploy does not reuse the broken file's number.
    const t2 = await makeApp({ dir });
    expect(await deploy(t2, 'bin', bin)).toEqual({ name: 'bin', version: 4 });
  });

  it('deletes a model with the token, and it is gone from disk and the list', async () => {
    expect((await t.req('/v1/models/tier-gbdt', { method: 'DELETE' })).status).toBe(401);
    const res = await t.req('/v1/models/tier-gbdt', { method: 'DELETE', headers: AUTH });
    expect(res.status).toBe(200);
    expect(existsSync(join(dir, 'tier-gbdt'))).toBe(false);
    expect((await t.req('/v1/models/tier-gbdt')).status).toBe(404);
    expect((await t.post('/v1/models/tier-gbdt/predict', GOOD)).status).toBe(404);
  });

  it('serialises concurrent deploys of one name into consecutive versions', async () => {
    const t3 = await makeApp({ dir: fresh('concurrent') });
    const versions = await Promise.all(Array.from({ length: 5 }, () => deploy(t3, 'm', bin)));
    expect(versions.map((v) => v.version).sort()).toEqual([1, 2, 3, 4, 5]);
  });
});

describe('predict', () => {
  let t: TestApp;
  beforeAll(async () => {
    t = await makeApp();
    await deploy(t, 'bin', bin);
    await deploy(t, 'multi', multi);
    await deploy(t, 'reg', reg);
    await deploy(t, 'cars', cars);
  });

  it('answers a binary record with label, probability, SHAP per input column and warnings', async () => {
    const res = await t.post('/v1/models/bin/predict', GOOD);
    expect(res.status).toBe(200);
    const out = (await res.json()) as {
      model: unknown;
      prediction: { label: string; probability: number; probabilities: Record<string, number> };
      explanation: {
        base: number;
        space: string;
        contributions: { feature: string; value: number }[];
        rest: number;
      };
      warnings: unknown[];
    };
    expect(out.model).toEqual({ name: 'bin', version: 1 });
    const direct = await (await loadArtifact(bin)).predictRecords([GOOD]);
    expect(out.prediction.probability).toBe(direct[0].prediction.output[0]);
    expect(out.prediction.label).toBe(direct[0].prediction.label);
    expect(out.prediction.probabilities).toEqual(direct[0].prediction.probabilities);
    expect(out.explanation.space).toBe('log-odds');
    expect(out.explanation.contributions).toHaveLength(5);
    const names = bin.inputSchema.map((f) => f.name);
    for (const c of out.explanation.contributions) expect(names).toContain(c.feature);
    // base + Σ contributions + rest = logit(p)
    const sum =
      out.explanation.base +
      out.explanation.contributions.reduce((a, c) => a + c.value, 0) +
      out.explanation.rest;
    const p = out.prediction.probability;
    expect(sum).toBeCloseTo(Math.log(p / (1 - p)), 4);
    expect(out.warnings).toEqual([]);
  });

  it('honours top_k, including 0 (no explanation)', async () => {
    const k2 = (await (await t.post('/v1/models/bin/predict?top_k=2', GOOD)).json()) as {
      explanation: { contributions: unknown[] };
    };
    expect(k2.explanation.contributions).toHaveLength(2);
    const k0 = (await (await t.post('/v1/models/bin/predict?top_k=0', GOOD)).json()) as Record<
      string,
      unknown
    >;
    expect(k0.explanation).toBeUndefined();
    const kBig = (await (await t.post('/v1/models/bin/predict?top_k=99', GOOD)).json()) as {
      explanation: { contributions: unknown[]; rest: number };
    };
    expect(kBig.explanation.contributions).toHaveLength(bin.inputSchema.length);
    expect(kBig.explanation.rest).toBe(0);
  });

  it('answers multiclass with label + probabilities and explains the predicted class', async () => {
    const out = (await (await t.post('/v1/models/multi/predict', GOOD)).json()) as {
      prediction: { label: string; probabilities: Record<string, number> };
      explanation: { class: string; space: string };
    };
    expect(Object.keys(out.prediction.probabilities).sort()).toEqual(['high', 'low', 'mid']);
    expect(out.explanation).toMatchObject({ class: out.prediction.label, space: 'margin' });
  });

  it('answers regression with a value (linear family: exact contributions)', async () => {
    const out = (await (await t.post('/v1/models/reg/predict?top_k=10', GOOD)).json()) as {
      prediction: { value: number };
      explanation: { base: number; contributions: { value: number }[]; rest: number };
    };
    const direct = await (await loadArtifact(reg)).predictRecords([GOOD]);
    expect(out.prediction.value).toBe(direct[0].prediction.value);
    const sum = out.explanation.base + out.explanation.contributions.reduce((a, c) => a + c.value, 0);
    expect(sum).toBeCloseTo(out.prediction.value, 6);
  });

  it('predicts a batch in order, one result per row', async () => {
    const rows = [GOOD, { ...GOOD, x: -2, city: 'oslo' }, { ...GOOD, city: 'atlantis', z: null }];
    const res = await t.post('/v1/models/bin/predict', { rows });
    const out = (await res.json()) as {
      model: unknown;
      results: { prediction: { probability: number }; warnings: { field: string; code: string }[] }[];
    };
    expect(out.results).toHaveLength(3);
    const direct = await (await loadArtifact(bin)).predictRecords(rows);
    out.results.forEach((r, i) => {
      expect(r.prediction.probability).toBe(direct[i].prediction.output[0]);
    });
    expect(out.results[2].warnings.map((w) => `${w.field}:${w.code}`).sort()).toEqual([
      'city:unseen-category',
      'z:missing-imputed',
    ]);
  });

  it('accepts exactly 1,000 rows', async () => {
    const res = await t.post('/v1/models/bin/predict?top_k=0', {
      rows: Array.from({ length: 1000 }, () => GOOD),
    });
    expect(res.status).toBe(200);
  });

  it('POST /predict uses the most recently deployed model', async () => {
    const out = (await (
      await t.post('/predict', cars.inputSchema && (cars as unknown as { example: object }).example)
    ).json()) as {
      model: { name: string };
      prediction: { value: number };
    };
    expect(out.model.name).toBe('cars');
    expect(out.prediction.value).toBeGreaterThan(5);
  });

  it('POST /predict uses BENCHTOP_DEFAULT_MODEL when set, and 404s when it is not deployed', async () => {
    const t2 = await makeApp({ defaultModel: 'bin' });
    expect((await t2.post('/predict', GOOD)).status).toBe(404);
    await deploy(t2, 'bin', bin);
    await deploy(t2, 'cars', cars);
    const out = (await (await t2.post('/predict', GOOD)).json()) as { model: { name: string } };
    expect(out.model.name).toBe('bin');
  });

  it('POST /predict with no model deployed is a JSON 404', async () => {
    const t2 = await makeApp();
    const res = await t2.post('/predict', GOOD);
    expect(res.status).toBe(404);
    expect(((await res.json()) as { error: { code: string } }).error.code).toBe('model_not_found');
  });
});

describe('hot swap', () => {
  it('a request in flight during a redeploy finishes on the version it started with', async () => {
    const t = await makeApp();
    await deploy(t, 'bin', bin);
    let push!: (s: string) => void;
    let end!: () => void;
    const body = new ReadableStream<Uint8Array>({
      start(c) {
        push = (s) => c.enqueue(new TextEncoder().encode(s));
        end = () => c.close();
      },
    });
    const text = JSON.stringify(GOOD);
    const inFlight = t.app.request('http://127.0.0.1:8787/v1/models/bin/predict', {
      method: 'POST',
      headers: { host: '127.0.0.1:8787', 'content-type': 'application/json' },
      body,
      duplex: 'half',
    } as RequestInit);
    push(text.slice(0, 10));
    await new Promise((r) => setTimeout(r, 20));
    expect(await deploy(t, 'bin', multi)).toEqual({ name: 'bin', version: 2 }); // a different model
    push(text.slice(10));
    end();
    const res = await inFlight;
    expect(res.status).toBe(200);
    const old = (await res.json()) as { model: { version: number }; prediction: Record<string, unknown> };
    expect(old.model.version).toBe(1);
    expect(old.prediction.probability).toBeTypeOf('number');
    const now = (await (await t.post('/v1/models/bin/predict', GOOD)).json()) as {
      model: { version: number };
      prediction: Record<string, unknown>;
    };
    expect(now.model.version).toBe(2);
    expect(Object.keys(now.prediction.probabilities as object).sort()).toEqual(['high', 'low', 'mid']);
  });

  it('no request fails while the model is redeployed repeatedly under load', async () => {
    const t = await makeApp();
    await deploy(t, 'bin', bin);
    const requests = Array.from({ length: 150 }, (_, i) =>
      new Promise((r) => setTimeout(r, i % 30)).then(() => t.post('/v1/models/bin/predict', GOOD)),
    );
    const deploys = [1, 2, 3].map((i) =>
      new Promise((r) => setTimeout(r, i * 7)).then(() => deploy(t, 'bin', bin)),
    );
    const statuses = (await Promise.all(requests)).map((r) => r.status);
    await Promise.all(deploys);
    expect(statuses.filter((s) => s !== 200)).toEqual([]);
  });
});

describe('OpenAPI', () => {
  it('describes every deployed model with schemas and a real example', async () => {
    const t = await makeApp();
    await deploy(t, 'bin', bin);
    await deploy(t, 'cars', cars);
    const doc = (await (await t.req('/openapi.json')).json()) as {
      openapi: string;
      paths: Record<
        string,
        {
          post?: {
            requestBody: { content: { 'application/json': { examples: { one: { value: object } } } } };
            responses: Record<string, { content?: { 'application/json': { example: unknown } } }>;
          };
        }
      >;
      components: {
        schemas: Record<
          string,
          { properties: Record<string, unknown>; required: string[]; additionalProperties: boolean }
        >;
      };
    };
    expect(doc.openapi).toBe('3.1.0');
    expect(Object.keys(doc.paths)).toEqual(
      expect.arrayContaining([
        '/v1/models/bin/predict',
        '/v1/models/cars/predict',
        '/predict',
        '/v1/models',
        '/v1/models/{name}',
        '/v1/models/{name}/drift',
      ]),
    );
    const rec = doc.components.schemas['bin.Record'];
    expect(Object.keys(rec.properties).sort()).toEqual(bin.inputSchema.map((f) => f.name).sort());
    expect(rec.required.sort()).toEqual(
      bin.inputSchema
        .filter((f) => !f.nullable)
        .map((f) => f.name)
        .sort(),
    );
    expect(rec.additionalProperties).toBe(false);
    // cars carries a real training record; its example response is what the server answers for it.
    const op = doc.paths['/v1/models/cars/predict'].post!;
    const example = op.requestBody.content['application/json'].examples.one.value;
    expect(example).toEqual((cars as unknown as { example: object }).example);
    const answered = await (await t.post('/v1/models/cars/predict', example)).json();
    expect(op.responses['200'].content!['application/json'].example).toEqual(answered);
    // bin has no example: the synthesised one validates.
    const binOp = doc.paths['/v1/models/bin/predict'].post!;
    const synth = binOp.requestBody.content['application/json'].examples.one.value;
    expect((await t.post('/v1/models/bin/predict', synth)).status).toBe(200);
  });
});

describe('metrics and request log', () => {
  it('counts requests by route and status, latency, predictions and their distribution', async () => {
    const lines: string[] = [];
    const { createApp } = await import('../app.ts');
    const store = await ModelStore.open({ dir: null });
    const app = createApp({
      distDir: '/nonexistent',
      store,
      token: 'x'.repeat(32),
      requestLog: (l) => lines.push(l),
    });
    await store.deploy('bin', bin);
    await store.deploy('multi', multi);
    const h = { host: '127.0.0.1:8787', 'content-type': 'application/json' };
    const post = (p: string, b: unknown) =>
      app.request(`http://127.0.0.1:8787${p}`, { method: 'POST', headers: h, body: JSON.stringify(b) });
    await post('/v1/models/bin/predict', { rows: [GOOD, GOOD, GOOD] });
    await post('/v1/models/multi/predict', GOOD);
    await post('/v1/models/bin/predict', { x: 'no' });
    await post('/v1/models/zzz/predict', GOOD);
    const text = await (await app.request('http://127.0.0.1:8787/metrics', { headers: h })).text();
    expect(text).toContain(
      'benchtop_http_requests_total{method="POST",route="/v1/models/{name}/predict",status="200"} 2',
    );
    expect(text).toContain(
      'benchtop_http_requests_total{method="POST",route="/v1/models/{name}/predict",status="400"} 1',
    );
    expect(text).toContain(
      'benchtop_http_requests_total{method="POST",route="/v1/models/{name}/predict",status="404"} 1',
    );
    expect(text).toContain(
      'benchtop_http_request_duration_seconds_count{route="/v1/models/{name}/predict"} 4',
    );
    expect(text).toContain('benchtop_predictions_total{model="bin",kind="tabular"} 3');
    expect(text).toContain('benchtop_prediction_value_count{model="bin"} 3');
    expect(text).toMatch(/benchtop_predicted_class_total\{model="multi",label="(low|mid|high)"\} 1/);
    expect(text).not.toContain('zzz'); // unknown names never become label values
    expect(lines).toHaveLength(5); // the 4 predicts and the /metrics request itself
    const first = JSON.parse(lines[0]);
    expect(first).toMatchObject({ method: 'POST', route: '/v1/models/{name}/predict', status: 200 });
    expect(first.ms).toBeTypeOf('number');
  });
});

describe('drift', () => {
  it('PSI and JS basics', () => {
    expect(psi([0.5, 0.5], [0.5, 0.5])).toBe(0);
    expect(psi([0.5, 0.5], [0.9, 0.1])).toBeGreaterThan(0.25);
    expect(jensenShannon([1, 0], [0, 1])).toBeCloseTo(1, 10);
    expect(jensenShannon([0.3, 0.7], [0.3, 0.7])).toBe(0);
  });

  it('flags a shifted numeric and categorical input, not the unshifted ones', async () => {
    const t = await makeApp();
    await deploy(t, 'bin', bin);
    expect(
      ((await (await t.req('/v1/models/bin/drift')).json()) as { flag: string; rows: number }).flag,
    ).toBe('insufficient-data');
    // In-distribution traffic: x ~ N(0,1) like training, cities uniform.
    const cities = ['paris', 'lima', 'oslo', 'kyiv'];
    const rng = createRng(17);
    const rnd = () => rng.next();
    const normal = () => Math.sqrt(-2 * Math.log(rnd() + 1e-12)) * Math.cos(2 * Math.PI * rnd());
    const rows = (shift: number, city?: string) =>
      Array.from({ length: 400 }, (_, i) => ({
        ...GOOD,
        x: normal() + shift,
        // Missing as often as in training (modelFixture.ts): missingness is part of the distribution.
        z: i % 13 === 0 ? null : normal(),
        city: i % 19 === 0 ? null : (city ?? cities[i % 4]),
        member: i % 23 === 0 ? null : rnd() < 0.4,
        when: new Date(Date.UTC(2024, 0, 1) + Math.floor(rnd() * 365) * 86_400_000).toISOString(),
      }));
    for (let i = 0; i < 2; i++)
      expect((await t.post('/v1/models/bin/predict?top_k=0', { rows: rows(0) })).status).toBe(200);
    const calm = (await (await t.req('/v1/models/bin/drift')).json()) as {
      rows: number;
      features: { feature: string; psi?: number; js?: number; flag?: string }[];
      prediction: { psi: number };
    };
    expect(calm.rows).toBe(800);
    const f = (r: typeof calm, n: string) => r.features.find((x) => x.feature === n)!;
    expect(f(calm, 'x').flag).toBe('ok');
    expect(f(calm, 'city').flag).toBe('ok');
    expect(f(calm, 'z').flag).toBe('ok');
    expect(f(calm, 'member').flag).toBe('ok');
    expect(f(calm, 'when').flag).toBe('ok');

    const t2 = await makeApp();
    await deploy(t2, 'bin', bin);
    expect((await t2.post('/v1/models/bin/predict?top_k=0', { rows: rows(2.5, 'lima') })).status).toBe(200);
    const shifted = (await (await t2.req('/v1/models/bin/drift')).json()) as typeof calm & { flag: string };
    expect(f(shifted, 'x').flag).toBe('alert');
    expect(f(shifted, 'x').psi!).toBeGreaterThan(0.25);
    expect(f(shifted, 'city').flag).toBe('alert');
    expect(f(shifted, 'city').js!).toBeGreaterThan(0.1);
    expect(f(shifted, 'z').flag).toBe('ok');
    expect(shifted.flag).toBe('alert');
    expect(shifted.prediction.psi).toBeGreaterThan(0.1); // far more "yes" than in training
  });

  it('keeps the prediction log as JSONL in the model directory, rotated at N lines', async () => {
    const dir = fresh('rotate');
    const log = new PredictionLog(dir, 10);
    for (let i = 0; i < 25; i++) log.append([{ t: 't', v: 1, x: { i }, y: [i] }]);
    await log.flush();
    const cur = readFileSync(join(dir, LOG_FILE), 'utf8').trim().split('\n');
    const old = readFileSync(join(dir, LOG_FILE_OLD), 'utf8').trim().split('\n');
    expect(cur.length).toBe(5);
    expect(old.length).toBe(10);
    expect(log.entries().map((e) => e.x.i)).toEqual([15, 16, 17, 18, 19, 20, 21, 22, 23, 24]);
    const again = new PredictionLog(dir, 10);
    await again.restore();
    expect(again.entries().map((e) => e.x.i)).toEqual([15, 16, 17, 18, 19, 20, 21, 22, 23, 24]);
  });

  it('writes the log next to the model and reads it back after a restart', async () => {
    const dir = fresh('restart');
    const t = await makeApp({ dir });
    await deploy(t, 'bin', bin);
    await t.post('/v1/models/bin/predict', { rows: [GOOD, GOOD] });
    await t.store.get('bin')!.log.flush();
    expect(
      readFileSync(join(dir, 'bin', LOG_FILE), 'utf8')
        .trim()
        .split('\n'),
    ).toHaveLength(2);
    const t2 = await makeApp({ dir });
    expect(((await (await t2.req('/v1/models/bin/drift')).json()) as { rows: number }).rows).toBe(2);
  });
});

describe('CORS', () => {
  it('answers only the own origin and configured origins', async () => {
    const t = await makeApp({ corsOrigins: ['https://dash.example'] });
    const pre = (origin: string) =>
      t.req('/v1/models', {
        method: 'OPTIONS',
        headers: {
          origin,
          'access-control-request-method': 'POST',
          'access-control-request-headers': 'authorization',
        },
      });
    for (const ok of ['https://dash.example', 'http://127.0.0.1:8787']) {
      const res = await pre(ok);
      expect(res.headers.get('access-control-allow-origin'), ok).toBe(ok);
    }
    for (const bad of ['https://evil.example', 'null', 'https://dash.example.evil.com']) {
      const res = await pre(bad);
      expect(res.headers.get('access-control-allow-origin'), bad).toBeNull();
      const get = await t.req('/v1/models', { headers: { origin: bad } });
      expect(get.headers.get('access-control-allow-origin')).toBeNull();
    }
  });
});
