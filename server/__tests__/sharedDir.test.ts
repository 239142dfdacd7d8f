/**
 * Several servers over one models directory (instances on a shared volume, or BENCHTOP_WORKERS):
 * - two ModelStores on one temp dir: a deploy, redeploy and delete through one are seen by the other
 *   (by `sync`, by its periodic re-scan, and by the re-scan a missed lookup starts), and each keeps
 *   its own prediction log file when given a tag;
 * - the real `BENCHTOP_WORKERS=2` server (server/main.ts in a child process): a deploy answered by one
 *   worker is served at once by both, both workers write their own prediction log, and /metrics and
 *   /drift give the whole cluster's numbers whichever worker answers.
 */
import { type ChildProcess, spawn } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { request } from 'node:http';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { ModelArtifact } from '../../src/core/ml/artifact.ts';
import { createApp } from '../app.ts';
import { ModelStore } from '../store/store.ts';
import { type Fixture, makeDist } from './fixture.ts';
import { AUTH, GOOD, JSON_HEADERS, TOKEN, trainSynthetic } from './modelFixture.ts';
import { parseExposition, sumOf, seriesValue } from './promText.ts';

let bin: ModelArtifact;
let root: string;
const stores: ModelStore[] = [];

beforeAll(async () => {
  bin = await trainSynthetic('binary');
  root = mkdtempSync(join(tmpdir(), 'benchtop-shared-'));
}, 60_000);

afterAll(() => {
  for (const s of stores) s.close();
  rmSync(root, { recursive: true, force: true });
});

async function open(dir: string, opts: { pollMs?: number; logTag?: string } = {}): Promise<ModelStore> {
  const s = await ModelStore.open({ dir, log: () => {}, pollMs: opts.pollMs ?? 0, logTag: opts.logTag });
  stores.push(s);
  return s;
}

async function until(what: string, ok: () => boolean, ms = 10_000): Promise<void> {
  const end = Date.now() + ms;
  while (!ok()) {
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 20));
  }
}

describe('two stores on one directory', () => {
  it('sync() picks up a deploy, a redeploy and a delete made by the other store', async () => {
    const dir = join(root, 'sync');
    const a = await open(dir);
    const b = await open(dir);
    await a.deploy('bin', bin);
    expect(b.list()).toHaveLength(0);
    await b.sync();
    expect(b.list().map((m) => [m.name, m.version])).toEqual([['bin', 1]]);

    await a.deploy('bin', bin);
    expect(b.get('bin')?.version).toBe(1); // until it looks again
    await b.sync();
    expect(b.get('bin')?.version).toBe(2);
    expect(b.get('bin')?.versions).toEqual([1, 2]);

    // A deploy on b continues the numbering on disk, and a sees it.
    await b.deploy('bin', bin);
    await a.sync();
    expect(a.get('bin')?.version).toBe(3);

    expect(await a.remove('bin')).toBe(true);
    await b.sync();
    expect(b.get('bin')).toBeUndefined();
    expect(b.list()).toHaveLength(0);
  });

  it('polls the directory, and a lookup that misses re-scans at once', async () => {
    const dir = join(root, 'poll');
    const a = await open(dir);
    const polled = await open(dir, { pollMs: 50 });
    const lazy = await open(dir); // no polling: only a miss makes it look
    await a.deploy('bin', bin);
    await until('the poller to load v1', () => polled.get('bin')?.version === 1);
    await a.deploy('bin', bin);
    await until('the poller to load v2', () => polled.get('bin')?.version === 2);

    expect(lazy.get('bin')).toBeUndefined(); // this miss starts a re-scan…
    await until('the miss re-scan', () => lazy.list().length === 1); // (list() never starts one)
    expect(lazy.get('bin')?.version).toBe(2);
  });

  it('answers predictions from a model deployed by the other store, same result', async () => {
    const dir = join(root, 'predict');
    const a = await open(dir);
    const b = await open(dir);
    await a.deploy('bin', bin);
    await b.sync();
    const post = (store: ModelStore) =>
      createApp({ distDir: '/nonexistent-dist', store, token: TOKEN }).request(
        'http://127.0.0.1:8787/v1/models/bin/predict?top_k=3',
        { method: 'POST', headers: JSON_HEADERS, body: JSON.stringify(GOOD) },
      );
    const ra = await post(a);
    const rb = await post(b);
    expect(ra.status).toBe(200);
    expect(rb.status).toBe(200);
    expect(await rb.json()).toEqual(await ra.json());
  });

  it('writes one prediction log per tag', async () => {
    const dir = join(root, 'logs');
    const a = await open(dir, { logTag: 'w1' });
    const b = await open(dir, { logTag: 'w2' });
    await a.deploy('bin', bin);
    await b.sync();
    const entry = { t: 't', v: 1, x: GOOD, y: [0.5] };
    a.get('bin')!.log.append([entry, entry]);
    b.get('bin')!.log.append([entry]);
    await a.get('bin')!.log.flush();
    await b.get('bin')!.log.flush();
    const lines = (f: string) =>
      readFileSync(join(dir, 'bin', f), 'utf8')
        .trim()
        .split('\n').length;
    expect(lines('predictions-w1.jsonl')).toBe(2);
    expect(lines('predictions-w2.jsonl')).toBe(1);
    expect(existsSync(join(dir, 'bin', 'predictions.jsonl'))).toBe(false);
  });
});

describe('BENCHTOP_WORKERS=2', () => {
  let fx: Fixture;
  let child: ChildProcess | undefined;
  let port = 0;
  let modelsDir: string;

  beforeAll(async () => {
    fx = makeDist();
    modelsDir = join(root, 'workers');
    const tsx = resolve('node_modules/.bin/tsx');
    const c = spawn(tsx, ['server/main.ts', '--port', '0'], {
      env: {
        ...process.env,
        BENCHTOP_WORKERS: '2',
        BENCHTOP_DIST: fx.dist,
        BENCHTOP_MODELS: modelsDir,
        BENCHTOP_TOKEN: TOKEN,
        BENCHTOP_MODELS_POLL_MS: '0', // only the primary's relay may make the sibling see the deploy
      },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    child = c;
    let out = '';
    let err = '';
    c.stderr?.on('data', (d: Buffer) => {
      err += d.toString();
    });
    port = await new Promise<number>((res, rej) => {
      const timer = setTimeout(() => rej(new Error(`no URL after 60 s: ${err.slice(-500)}`)), 60_000);
      c.stdout?.on('data', (d: Buffer) => {
        out += d.toString();
        const m = /running at http:\/\/127\.0\.0\.1:(\d+)\/ \(2 workers\)/.exec(out);
        if (m) {
          clearTimeout(timer);
          res(Number(m[1]));
        }
      });
      c.on('exit', (code) => rej(new Error(`exited ${code}: ${err.slice(-500)}`)));
    });
  }, 90_000);

  afterAll(async () => {
    const c = child;
    if (c && c.exitCode === null) {
      const exited = new Promise((r) => c.once('exit', r));
      c.kill('SIGTERM');
      await exited;
    }
    fx?.cleanup();
  });

  /** One request on its own connection: the primary hands connections to the workers in turn. */
  function post(path: string, body: string, headers: Record<string, string> = {}, method = 'POST') {
    return new Promise<{ status: number; body: string }>((res, rej) => {
      const r = request(
        {
          host: '127.0.0.1',
          port,
          path,
          method,
          agent: false,
          headers: { 'content-type': 'application/json', ...headers },
        },
        (resp) => {
          let b = '';
          resp.setEncoding('utf8');
          resp.on('data', (d: string) => {
            b += d;
          });
          resp.on('end', () => res({ status: resp.statusCode ?? 0, body: b }));
        },
      );
      r.on('error', rej);
      r.end(body);
    });
  }

  it('serves a model deployed through one worker from both, at once, each logging to its own file', async () => {
    const dep = await post('/v1/models?name=bin', JSON.stringify(bin), AUTH);
    expect(dep.status).toBe(201);
    const answers = await Promise.all(
      Array.from({ length: 8 }, () => post('/v1/models/bin/predict?top_k=2', JSON.stringify(GOOD))),
    );
    expect(answers.map((a) => a.status)).toEqual(Array(8).fill(200));
    // Identical answers whichever worker gave them.
    expect(new Set(answers.map((a) => a.body)).size).toBe(1);
    await until('both workers to write their logs', () =>
      ['predictions-w1.jsonl', 'predictions-w2.jsonl'].every((f) => existsSync(join(modelsDir, 'bin', f))),
    );
    const redeploy = await post('/v1/models?name=bin', JSON.stringify(bin), AUTH);
    expect(JSON.parse(redeploy.body)).toEqual({ name: 'bin', version: 2 });
    const after = await Promise.all(
      Array.from({ length: 6 }, () => post('/v1/models/bin/predict', JSON.stringify(GOOD))),
    );
    expect(after.map((a) => (JSON.parse(a.body) as { model: { version: number } }).model.version)).toEqual(
      Array(6).fill(2),
    );
  }, 60_000);

  it("/metrics sums both workers and /drift reads both workers' logs, whichever worker answers", async () => {
    expect((await post('/v1/models?name=agg', JSON.stringify(bin), AUTH)).status).toBe(201);
    const K = 12;
    const answers = await Promise.all(
      Array.from({ length: K }, () => post('/v1/models/agg/predict?top_k=0', JSON.stringify(GOOD))),
    );
    expect(answers.map((a) => a.status)).toEqual(Array(K).fill(200));
    // Both workers answered some (each has its own log file), so neither alone saw all K.
    await until('both workers to log agg', () =>
      ['predictions-w1.jsonl', 'predictions-w2.jsonl'].every((f) => existsSync(join(modelsDir, 'agg', f))),
    );
    const get = (path: string) => post(path, '', {}, 'GET');
    for (let i = 0; i < 4; i++) {
      // Successive connections go to alternate workers.
      const r = await get('/metrics');
      expect(r.status).toBe(200);
      const { samples, comments } = parseExposition(r.body);
      expect(seriesValue(samples, 'benchtop_predictions_total', { model: 'agg', kind: 'tabular' })).toBe(K);
      expect(seriesValue(samples, 'benchtop_prediction_value_count', { model: 'agg' })).toBe(K);
      expect(
        sumOf(samples, 'benchtop_http_requests_total', { route: '/v1/models/{name}/predict' }),
      ).toBeGreaterThanOrEqual(K);
      expect(seriesValue(samples, 'benchtop_metrics_workers', { state: 'asked' })).toBe(2);
      expect(seriesValue(samples, 'benchtop_metrics_workers', { state: 'answered' })).toBe(2);
      expect(comments).toEqual([]);
    }
    for (let i = 0; i < 4; i++) {
      let rows = -1;
      const end = Date.now() + 10_000;
      // Log writes are queued after the response: wait for the other worker's lines to land.
      while (rows !== K && Date.now() < end) {
        const r = await get('/v1/models/agg/drift');
        expect(r.status).toBe(200);
        rows = (JSON.parse(r.body) as { rows: number }).rows;
        if (rows !== K) await new Promise((res) => setTimeout(res, 50));
      }
      expect(rows).toBe(K);
    }
  }, 60_000);
});
