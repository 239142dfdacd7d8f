/**
 * Loading a big label-audit model never stalls the server (real server on 127.0.0.1, real HTTP):
 * - while an audit model with 100,000 labelled titles is deployed (its kNN index and judge take
 *   seconds to build), /healthz — polled every 10 ms — keeps answering: the longest gap between two
 *   answers stays far below the build time (the build runs in a worker_thread, server/auditLoader.ts);
 *   the deployed model then answers like the same artifact loaded in this thread;
 * - a model deployed by another instance on the same directory is found on the FIRST predict request
 *   to this one (the route re-reads the directory on a miss and waits for the load).
 */
import { cpSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type AuditArtifact, loadAuditArtifact } from '../../src/core/audit/artifact.ts';
import type { ModelArtifact } from '../../src/core/ml/artifact.ts';
import { loadAuditModel } from '../auditLoader.ts';
import { HttpError } from '../errors.ts';
import { ModelStore } from '../store/store.ts';
import { type RunningServer, startServer } from '../start.ts';
import { type AuditFixture, buildAmazonAudit, growLabelled, taxonomyAvailable } from './auditFixture.ts';
import { type Fixture, makeDist } from './fixture.ts';
import { GOOD, TOKEN, trainSynthetic } from './modelFixture.ts';

const LABELLED = 100_000;

interface Answer {
  model: { name: string; version: number };
  category: { id: string } | null;
  confidence: number;
  verdict: string | null;
  reason: string;
}

describe.skipIf(!taxonomyAvailable())('loading a large audit model', () => {
  let fx: AuditFixture;
  let big: AuditArtifact;
  let bin: ModelArtifact;
  let dist: Fixture;
  let root: string;
  const servers: RunningServer[] = [];

  beforeAll(async () => {
    [fx, bin] = await Promise.all([buildAmazonAudit(1500), trainSynthetic('binary')]);
    big = growLabelled(fx.artifact, LABELLED);
    dist = makeDist();
    root = mkdtempSync(join(tmpdir(), 'benchtop-audit-load-'));
  }, 180_000);
  afterAll(async () => {
    for (const s of servers) await s.close();
    dist?.cleanup();
    if (root) rmSync(root, { recursive: true, force: true });
  });

  const held = () =>
    fx.rows.filter((r, i) => r.site === 'amazon' && fx.items[i].label === undefined && r.inferredId !== null);

  const start = async (modelsDir: string, pollMs = 0) => {
    const s = await startServer({
      distDir: dist.dist,
      host: '127.0.0.1',
      port: 0,
      modelsDir,
      pollMs,
      token: TOKEN,
    });
    servers.push(s);
    return s;
  };
  const post = (s: RunningServer, path: string, body: string | Uint8Array<ArrayBuffer>, auth = false) =>
    fetch(new URL(path, s.url), {
      method: 'POST',
      headers: { 'content-type': 'application/json', ...(auth ? { authorization: `Bearer ${TOKEN}` } : {}) },
      body,
    });

  it('keeps answering /healthz while a model with 100,000 labelled titles loads', async () => {
    const s = await start(join(root, 'stall'));
    // Encoded before the clock starts: the client's work (in this same process) is not the server's.
    const body = new TextEncoder().encode(JSON.stringify(big));
    const healthz = new URL('/healthz', s.url);
    let done = false;
    let longest = 0;
    let answers = 0;
    const poll = (async () => {
      let last = performance.now();
      while (!done) {
        const res = await fetch(healthz);
        expect(res.status).toBe(200);
        await res.arrayBuffer();
        const now = performance.now();
        longest = Math.max(longest, now - last);
        last = now;
        answers++;
        await new Promise((r) => setTimeout(r, 10));
      }
    })();
    await new Promise((r) => setTimeout(r, 200)); // the poll is running before the deploy starts
    const t0 = performance.now();
    const dep = await post(s, '/v1/models?name=big', body, true);
    const deployMs = performance.now() - t0;
    done = true;
    await poll;
    expect(dep.status).toBe(201);
    console.log(
      `deploy of ${LABELLED} labelled titles: ${Math.round(deployMs)} ms; longest /healthz gap ${Math.round(longest)} ms over ${answers} answers`,
    );
    // Before the worker (the build on the event loop) the longest gap WAS the deploy: 11.4 s of an
    // 11.9 s deploy on the busy 2-core dev machine, ~3 s when idle. Now the floor is the route's parse of
    // the 6.6 MB request body (server/body.ts), ~100 ms idle and up to ~650 ms at load average 8. Both
    // bounds are generous and scale-free enough for a loaded machine: a fraction of the deploy (which
    // stretches with load as the gaps do), and an absolute cap the old code misses even when idle.
    expect(longest).toBeLessThan(0.2 * deployMs);
    expect(longest).toBeLessThan(2000);
    const r = fx.rows.find((x, i) => x.site === 'amazon' && fx.items[i].label === undefined && x.inferredId)!;
    const res = await post(
      s,
      '/v1/models/big/predict',
      JSON.stringify({ title: r.title, site_id: 'amazon' }),
    );
    expect(res.status).toBe(200);
    const a = (await res.json()) as Answer;
    expect(a.model).toEqual({ name: 'big', version: 1 });
    expect(a.reason).toMatch(/Naive Bayes over 100000 other labelled items/);
  }, 180_000);

  it('a model built in the worker answers exactly as one loaded in this thread; a bad one is the same 400', async () => {
    const text = JSON.stringify(fx.artifact);
    const off = await loadAuditModel(JSON.parse(text), text, { offThread: true, log: (m) => expect.fail(m) });
    const local = loadAuditArtifact(JSON.parse(text));
    const titles = [...held().map((r) => r.title), 'Hornby OO gauge model train locomotive'];
    expect(titles.length).toBeGreaterThanOrEqual(150);
    for (const title of titles) {
      for (const site_id of ['amazon', 'toys']) {
        expect(off.predict({ title, site_id })).toEqual(local.predict({ title, site_id }));
      }
    }
    const bad = JSON.parse(text);
    bad.sites[1].scorer.weights = [1, 2];
    bad.sites[0].index.gram[1] = 'AAAA';
    const fields = async (offThread: boolean) => {
      const e = await loadAuditModel(bad, JSON.stringify(bad), { offThread }).catch((x: unknown) => x);
      expect(e).toBeInstanceOf(HttpError);
      return [(e as HttpError).status, (e as HttpError).fields];
    };
    const inThread = await fields(false);
    expect(inThread[0]).toBe(400);
    expect(await fields(true)).toEqual(inThread);
  }, 60_000);

  it('finds a model deployed by another instance on its first request; says 503-loading past the wait', async () => {
    const dir = join(root, 'shared');
    const a = await start(dir);
    const b = await start(dir); // pollMs 0: only the lookup on a miss can find it
    const audit = JSON.stringify(fx.artifact);
    expect((await post(a, '/v1/models?name=cats', audit, true)).status).toBe(201);
    expect((await post(a, '/v1/models?name=bin', JSON.stringify(bin), true)).status).toBe(201);
    expect(b.store.getAudit('cats')).toBeUndefined();
    const r = held()[0];
    const res = await post(
      b,
      '/v1/models/cats/predict',
      JSON.stringify({ title: r.title, site_id: 'amazon' }),
    );
    expect(res.status).toBe(200);
    const got = (await res.json()) as Answer;
    expect([got.model, got.category?.id, got.confidence]).toEqual([
      { name: 'cats', version: 1 },
      r.inferredId,
      r.confidence,
    ]);
    const tab = await post(b, '/v1/models/bin/predict', JSON.stringify(GOOD));
    expect(tab.status).toBe(200);
    expect(((await tab.json()) as { model: unknown }).model).toEqual({ name: 'bin', version: 1 });
    expect((await post(b, '/v1/models/nobody/predict', JSON.stringify({ title: 'x' }))).status).toBe(404);

    // The read routes resolve on a miss too: details and drift of models b has never seen.
    expect((await post(a, '/v1/models?name=bin2', JSON.stringify(bin), true)).status).toBe(201);
    expect((await post(a, '/v1/models?name=bin3', JSON.stringify(bin), true)).status).toBe(201);
    expect((await post(a, '/v1/models?name=cats2', audit, true)).status).toBe(201);
    const details = await fetch(new URL('/v1/models/bin2', b.url));
    expect(details.status).toBe(200);
    expect(((await details.json()) as { name: string; versions: unknown[] }).name).toBe('bin2');
    const auditDetails = await fetch(new URL('/v1/models/cats2', b.url));
    expect(auditDetails.status).toBe(200);
    expect(((await auditDetails.json()) as { name: string }).name).toBe('cats2');
    const drift = await fetch(new URL('/v1/models/bin3/drift', b.url));
    expect(drift.status).toBe(200);
    expect((await fetch(new URL('/v1/models/nobody', b.url))).status).toBe(404);

    // A large model appearing on disk (the first test deployed `big`): a lookup that waits 1 ms for its
    // load answers 'loading' (the route: 503 with Retry-After), and the load then completes.
    const late = join(root, 'late');
    const c = await ModelStore.open({ dir: late, pollMs: 0, log: () => {} });
    cpSync(join(root, 'stall', 'big'), join(late, 'big'), { recursive: true });
    expect(c.getAudit('big')).toBeUndefined();
    expect(await c.resolve('big', 1)).toEqual({ kind: 'loading' });
    const later = await c.resolve('big', 120_000);
    expect(later?.kind).toBe('audit');
    expect(later?.kind === 'audit' && later.model.version).toBe(1);
    c.close();
  }, 120_000);
});
