/**
 * Label-audit models on the companion server: deployed with POST /v1/models like any model (token,
 * atomic versions, found again at restart), listed with their kind, `POST /v1/models/{name}/predict`
 * with `{title, site_id}` or a bounded batch answering with the same decisions as the notebook's audit
 * run, counted in /metrics (kind="audit", verdicts), bad requests refused by field (never a 500), OpenAPI with a real example — in-process and over
 * real HTTP on 127.0.0.1.
 */
import { mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadAuditArtifact } from '../../src/core/audit/artifact.ts';
import type { ModelArtifact } from '../../src/core/ml/artifact.ts';
import { MAX_AUDIT_BATCH } from '../auditPredict.ts';
import { type RunningServer, startServer } from '../start.ts';
import { ModelStore } from '../store/store.ts';
import { type AuditFixture, buildAmazonAudit, taxonomyAvailable } from './auditFixture.ts';
import { type Fixture, makeDist } from './fixture.ts';
import { parseExposition, seriesValue } from './promText.ts';
import { AUTH, deploy, makeApp, type TestApp, TOKEN, trainSynthetic } from './modelFixture.ts';

interface Answer {
  model: { name: string; version: number };
  site_id: string;
  category: { id: string; name: string; path: string[] } | null;
  confidence: number;
  verdict: 'confirm' | 'reject' | null;
  reason: string;
  alternatives: { id: string; name: string; path: string[]; probability: number }[];
}
interface ErrorBody {
  error: { code: string; message: string; fields?: { field: string; problem: string }[] };
}

describe.skipIf(!taxonomyAvailable())('label-audit models on the server', () => {
  let fx: AuditFixture;
  let bin: ModelArtifact;
  let root: string;
  let t: TestApp;
  let dir: string;
  const held = () =>
    fx.rows.filter((r, i) => r.site === 'amazon' && fx.items[i].label === undefined && r.inferredId !== null);

  beforeAll(async () => {
    [fx, bin] = await Promise.all([buildAmazonAudit(1500), trainSynthetic('binary')]);
    root = mkdtempSync(join(tmpdir(), 'benchtop-audit-serve-'));
    dir = join(root, 'models');
    t = await makeApp({ dir });
  }, 180_000);
  afterAll(() => rmSync(root, { recursive: true, force: true }));

  it('deploys with the token, as atomic versions, and lists it with its kind', async () => {
    const none = await t.post('/v1/models?name=cats', fx.artifact);
    expect(none.status).toBe(401);
    expect(await deploy(t, 'cats', fx.artifact)).toEqual({ name: 'cats', version: 1 });
    expect(await deploy(t, 'cats', fx.artifact)).toEqual({ name: 'cats', version: 2 });
    expect(await deploy(t, 'bin', bin)).toEqual({ name: 'bin', version: 1 });
    expect(readdirSync(join(dir, 'cats')).sort()).toEqual(['1.json', '2.json']);
    expect(JSON.parse(readFileSync(join(dir, 'cats', '2.json'), 'utf8')).format).toBe('benchtop-audit-model');
    const list = (await (await t.req('/v1/models')).json()) as {
      models: { name: string; version: number; kind: string; task: string }[];
    };
    expect(list.models.map((m) => [m.name, m.version, m.kind, m.task])).toEqual([
      ['bin', 1, 'tabular', 'binary'],
      ['cats', 2, 'audit', 'label-audit'],
    ]);
    const details = (await (await t.req('/v1/models/cats')).json()) as {
      kind: string;
      versions: number[];
      sites: { id: string; leaves: number; labelled: number; judge: boolean }[];
      example: { title: string; site_id: string };
    };
    expect(details.kind).toBe('audit');
    expect(details.versions).toEqual([1, 2]);
    expect(details.sites.map((s) => [s.id, s.leaves, s.labelled, s.judge])).toEqual(
      fx.artifact.sites.map((s) => [s.id, s.leaves, s.labelled.texts.length, s.labelled.texts.length > 0]),
    );
    expect(details.example).toEqual(fx.artifact.example);
  });

  it('answers each held-out title with the decision of the audit run and the judge', async () => {
    const rows = held();
    expect(rows.length).toBeGreaterThanOrEqual(150);
    const local = loadAuditArtifact(JSON.parse(JSON.stringify(fx.artifact)));
    for (const r of rows) {
      const res = await t.post('/v1/models/cats/predict', { title: r.title, site_id: 'amazon' });
      expect(res.status).toBe(200);
      const a = (await res.json()) as Answer;
      expect(a.model).toEqual({ name: 'cats', version: 2 });
      expect(a.category!.id).toBe(r.inferredId);
      expect(a.category!.path).toEqual(r.inferredPath);
      expect(a.confidence).toBe(r.confidence);
      expect(a.alternatives.map((x) => x.id)).toEqual(r.alternatives.slice(1).map((x) => x.categoryId));
      const { verdict, reason } = local.predict({ title: r.title, site_id: 'amazon' });
      expect([a.verdict, a.reason]).toEqual([verdict, reason]);
      expect(a.reason.length).toBeGreaterThan(20);
    }
  });

  it('answers a batch in order, and the unlabelled site without a judge', async () => {
    const rows = held().slice(0, 5);
    const res = await t.post('/v1/models/cats/predict', {
      rows: [
        ...rows.map((r) => ({ title: r.title, site_id: 'amazon' })),
        { title: 'Hornby OO gauge model train locomotive', site_id: 'toys' },
      ],
    });
    expect(res.status).toBe(200);
    const body = (await res.json()) as { model: unknown; results: Omit<Answer, 'model'>[] };
    expect(body.results.map((r) => r.category?.id)).toEqual([...rows.map((r) => r.inferredId), 't2']);
    const toy = body.results.at(-1)!;
    expect(toy.site_id).toBe('toys');
    expect(toy.verdict).toBeNull();
    expect(toy.reason).toMatch(/“model”.*“train”/);
  });

  it('counts audit predictions and their verdicts in /metrics, per model, with kind="audit"', async () => {
    const scrape = async () => parseExposition(await (await t.req('/metrics')).text()).samples;
    const before = await scrape();
    const rows = held().slice(0, 6);
    const res = await t.post('/v1/models/cats/predict', {
      rows: [
        ...rows.map((r) => ({ title: r.title, site_id: 'amazon' })),
        { title: 'Hornby OO gauge model train locomotive', site_id: 'toys' },
      ],
    });
    expect(res.status).toBe(200);
    const { results } = (await res.json()) as { results: Omit<Answer, 'model'>[] };
    const after = await scrape();
    const delta = (name: string, labels: Record<string, string>) =>
      (seriesValue(after, name, labels) ?? 0) - (seriesValue(before, name, labels) ?? 0);
    expect(delta('benchtop_predictions_total', { model: 'cats', kind: 'audit' })).toBe(7);
    for (const verdict of ['confirm', 'reject', 'none']) {
      const want = results.filter((r) => (r.verdict ?? 'none') === verdict).length;
      expect(delta('benchtop_audit_verdict_total', { model: 'cats', verdict }), verdict).toBe(want);
    }
    expect(delta('benchtop_audit_verdict_total', { model: 'cats', verdict: 'none' })).toBeGreaterThanOrEqual(
      1,
    );
  });

  it('refuses bad requests naming the field, never with a 500', async () => {
    const cases: Array<[unknown, number, string, RegExp]> = [
      [{ site_id: 'amazon' }, 400, 'title', /required/],
      [{ title: '', site_id: 'amazon' }, 400, 'title', /empty/],
      [{ title: 'x'.repeat(10_001), site_id: 'amazon' }, 400, 'title', /longer than 10000/],
      [{ title: 42, site_id: 'amazon' }, 400, 'title', /expected a string, got number 42/],
      [{ title: ['a'], site_id: 'amazon' }, 400, 'title', /got an array/],
      [{ title: 'lego', site_id: 7 }, 400, 'site_id', /expected a string/],
      [
        { title: 'lego', site_id: 'etsy' },
        400,
        'site_id',
        /unknown site "etsy"; known sites: "amazon", "toys"/,
      ],
      [{ title: 'lego' }, 400, 'site_id', /required: this model has several sites/],
      [{ title: 'lego', site_id: 'toys', colour: 'red' }, 400, 'colour', /unknown field/],
      [{ title: 'lego', site_id: 'toys', text: { a: 1 } }, 400, 'text', /got an object/],
      [[{ title: 'lego' }], 400, '(body)', /got an array/],
      ['"lego"', 400, '(body)', /the string "lego"/],
      [{ rows: [] }, 400, 'rows', /empty/],
      [{ rows: {} }, 400, 'rows', /expected an array/],
      [{ rows: [{ title: 'a', site_id: 'toys' }], extra: 1 }, 400, 'extra', /only "rows"/],
      [
        {
          rows: [
            { title: 'a', site_id: 'toys' },
            { title: 'b', site_id: 'mars' },
          ],
        },
        400,
        'rows[1].site_id',
        /unknown site/,
      ],
      [{ rows: [{ title: 'a', site_id: 'toys' }, 'b'] }, 400, 'rows[1]', /expected an object/],
      [
        { rows: Array(MAX_AUDIT_BATCH + 1).fill({ title: 'a', site_id: 'toys' }) },
        413,
        'rows',
        /more than 256/,
      ],
      ['{"title": "a", "__proto__": {"x": 1}}', 400, '__proto__', /not allowed/],
      ['{"title": NaN}', 400, '(body)', /invalid JSON/],
    ];
    for (const [body, status, field, problem] of cases) {
      const res = await t.post('/v1/models/cats/predict', body);
      const e = (await res.json()) as ErrorBody;
      expect([res.status, e.error.fields?.[0]?.field], JSON.stringify(body).slice(0, 80)).toEqual([
        status,
        field,
      ]);
      expect(e.error.fields![0].problem).toMatch(problem);
    }
    const wrongType = await t.req('/v1/models/cats/predict', {
      method: 'POST',
      body: 'title=lego',
      headers: { 'content-type': 'application/x-www-form-urlencoded' },
    });
    expect(wrongType.status).toBe(415);
    expect((await t.post('/v1/models/dogs/predict', { title: 'x' })).status).toBe(404);
    const drift = await t.req('/v1/models/cats/drift');
    expect(drift.status).toBe(400);
    expect(((await drift.json()) as ErrorBody).error.code).toBe('unsupported_for_kind');
  });

  it('refuses a corrupt artifact naming its JSON path, leaving the current version serving', async () => {
    const bad = JSON.parse(JSON.stringify(fx.artifact));
    bad.sites[1].scorer.weights = [1, 2];
    bad.sites[0].index.gram[1] = 'AAAA';
    const res = await t.post('/v1/models?name=cats', bad, AUTH);
    expect(res.status).toBe(400);
    const e = (await res.json()) as ErrorBody;
    expect(e.error.code).toBe('invalid_artifact');
    expect(e.error.fields!.map((f) => f.field)).toEqual([
      'sites[0].index.gram[1]',
      'sites[1].scorer.weights',
    ]);
    expect(readdirSync(join(dir, 'cats')).sort()).toEqual(['1.json', '2.json']);
    expect((await t.post('/v1/models/cats/predict', { title: 'chess set', site_id: 'toys' })).status).toBe(
      200,
    );
  });

  it('describes the endpoint in OpenAPI with a real example and its real answer', async () => {
    const doc = (await (await t.req('/openapi.json')).json()) as {
      paths: Record<string, { post: unknown }>;
      components: { schemas: Record<string, { required?: string[] }> };
    };
    // Walks the parsed JSON by keys (the document is data, not a typed object).
    const dig = (o: unknown, ...keys: string[]): unknown =>
      keys.reduce((v, k) => (v as Record<string, unknown> | undefined)?.[k], o);
    const op = doc.paths['/v1/models/cats/predict'].post;
    const example = dig(op, 'requestBody', 'content', 'application/json', 'examples', 'one', 'value');
    expect(example).toEqual(fx.artifact.example);
    const answer = await (await t.post('/v1/models/cats/predict', example)).json();
    expect(dig(op, 'responses', '200', 'content', 'application/json', 'example')).toEqual(answer);
    expect(doc.components.schemas['cats.Record'].required).toEqual(['title', 'site_id']);
    expect(doc.paths['/v1/models/bin/predict']).toBeDefined();
  });

  it('finds the model again after a restart; a tabular redeploy of the name replaces it', async () => {
    const again = await ModelStore.open({ dir, log: () => {} });
    expect(again.getAudit('cats')?.version).toBe(2);
    expect(again.get('cats')).toBeUndefined();
    const r = held()[0];
    expect(again.getAudit('cats')!.model.predict({ title: r.title, site_id: 'amazon' }).category?.id).toBe(
      r.inferredId,
    );
    expect(await deploy(t, 'cats', bin)).toEqual({ name: 'cats', version: 3 });
    const list = (await (await t.req('/v1/models')).json()) as { models: { name: string; kind: string }[] };
    expect(list.models.find((m) => m.name === 'cats')?.kind).toBe('tabular');
    const del = await t.req('/v1/models/cats', { method: 'DELETE', headers: AUTH });
    expect(del.status).toBe(200);
    expect(await deploy(t, 'only-audit', fx.artifact)).toEqual({ name: 'only-audit', version: 1 });
    expect((await t.req('/v1/models/only-audit', { method: 'DELETE', headers: AUTH })).status).toBe(200);
    expect((await t.post('/v1/models/only-audit/predict', { title: 'x', site_id: 'toys' })).status).toBe(404);
  });
});

describe.skipIf(!taxonomyAvailable())('label-audit model over real HTTP on 127.0.0.1', () => {
  let dist: Fixture;
  let server: RunningServer;
  let fx: AuditFixture;
  let modelsDir: string;
  beforeAll(async () => {
    fx = await buildAmazonAudit(800);
    dist = makeDist();
    modelsDir = mkdtempSync(join(tmpdir(), 'benchtop-audit-http-'));
    server = await startServer({ distDir: dist.dist, host: '127.0.0.1', port: 0, modelsDir, token: TOKEN });
  }, 120_000);
  afterAll(async () => {
    await server?.close();
    dist.cleanup();
    rmSync(modelsDir, { recursive: true, force: true });
  });

  it('deploys the artifact built in Node (as the notebook Deploy button posts it) and predicts', async () => {
    const url = (p: string) => new URL(p, server.url).toString();
    const dep = await fetch(url('/v1/models?name=amazon-audit'), {
      method: 'POST',
      headers: { 'content-type': 'application/json', authorization: `Bearer ${TOKEN}` },
      body: JSON.stringify(fx.artifact),
    });
    expect(dep.status).toBe(201);
    const r = fx.rows.find((x, i) => x.site === 'amazon' && fx.items[i].label === undefined && x.inferredId)!;
    const res = await fetch(url('/v1/models/amazon-audit/predict'), {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ title: r.title, site_id: 'amazon' }),
    });
    expect(res.status).toBe(200);
    const a = (await res.json()) as Answer;
    expect([a.category?.id, a.confidence]).toEqual([r.inferredId, r.confidence]);
    expect(['confirm', 'reject']).toContain(a.verdict);
    const bad = await fetch(url('/v1/models/amazon-audit/predict'), {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ title: 'x', site_id: 'nowhere' }),
    });
    expect(bad.status).toBe(400);
    expect(((await bad.json()) as ErrorBody).error.fields).toEqual([
      { field: 'site_id', problem: 'unknown site "nowhere"; known sites: "amazon", "toys"' },
    ]);
  });
});
