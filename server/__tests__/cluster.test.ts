/**
 * What stays true across server processes (server/cluster.ts workers, instances on a shared volume):
 * - metrics: registries summed with mergeSnapshots expose exactly what one registry that saw every
 *   event exposes (valid exposition, checked by a strict parser); histograms with different bounds
 *   still merge into a valid, cumulative histogram;
 * - the primary's MetricsRelay answers with every snapshot, or after its timeout naming the silent
 *   worker, or at once when a worker exits;
 * - version numbers: two stores on one directory deploying one name at the same moment get distinct
 *   versions, each file holds what its deploy sent, no temp files are left (hard links, and the
 *   claim-directory fallback for filesystems without them);
 * - drift: every store reads the same window, the most recent N entries across every process's log
 *   files by time (rotated files included, appended lines picked up), and gives the same report.
 * The real 2-worker server (metrics and drift over HTTP) is in sharedDir.test.ts.
 */
import { appendFileSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { ModelArtifact } from '../../src/core/ml/artifact.ts';
import { createRng } from '../../src/core/ml/random.ts';
import { type ClusterMessage, MetricsRelay } from '../cluster.ts';
import { Metrics, type MetricsSnapshot, mergeSnapshots, renderSnapshot } from '../metrics.ts';
import { computeDrift } from '../store/drift.ts';
import type { LogEntry } from '../store/monitor.ts';
import { ModelStore, writeNewVersion } from '../store/store.ts';
import { GOOD, trainSynthetic } from './modelFixture.ts';
import { parseExposition, type Sample } from './promText.ts';

let bin: ModelArtifact;
let root: string;
const stores: ModelStore[] = [];

beforeAll(async () => {
  bin = await trainSynthetic('binary');
  root = mkdtempSync(join(tmpdir(), 'benchtop-cluster-'));
}, 60_000);

afterAll(() => {
  for (const s of stores) s.close();
  rmSync(root, { recursive: true, force: true });
});

async function open(dir: string, opts: { logTag?: string; logLines?: number } = {}): Promise<ModelStore> {
  const s = await ModelStore.open({ dir, log: () => {}, pollMs: 0, ...opts });
  stores.push(s);
  return s;
}

const asMap = (samples: Sample[]) =>
  new Map(
    samples.map((s) => [
      `${s.name}${JSON.stringify(Object.entries(s.labels).sort(([a], [b]) => a.localeCompare(b)))}`,
      s.value,
    ]),
  );

describe('metrics across processes', () => {
  it('sums registries into what one registry that saw every event exposes', () => {
    const rng = createRng(5);
    const workers = [new Metrics(), new Metrics(), new Metrics()];
    const all = new Metrics();
    const routes = ['/v1/models/{name}/predict', '/metrics', '(static)'];
    for (let i = 0; i < 600; i++) {
      const w = workers[Math.floor(rng.next() * workers.length)];
      const kind = Math.floor(rng.next() * 4);
      // Same draws for both registries: compute first, record twice.
      if (kind === 0) {
        const route = routes[i % 3];
        const status = [200, 400, 404][i % 3];
        const seconds = rng.next() * 0.2;
        for (const m of [w, all]) m.request('POST', route, status, seconds);
      } else if (kind === 1) {
        const outputs = [[rng.next()], [rng.next()]];
        for (const m of [w, all]) m.predicted('bin', 'binary', outputs, {});
      } else if (kind === 2) {
        const p = rng.next();
        const outputs = [[p, (1 - p) / 2, (1 - p) / 2]];
        for (const m of [w, all]) m.predicted('multi', 'multiclass', outputs, { classes: ['a', 'b', 'c'] });
      } else {
        const verdicts = [rng.next() < 0.5 ? 'confirm' : 'reject', null];
        for (const m of [w, all]) m.predictedAudit('cats', verdicts);
      }
    }
    // Snapshots cross process.send as JSON: go through JSON as they would.
    const snaps = workers.map((w) => JSON.parse(JSON.stringify(w.snapshot())) as MetricsSnapshot);
    const merged = parseExposition(renderSnapshot(mergeSnapshots(snaps)));
    const single = parseExposition(all.render());
    const got = asMap(merged.samples);
    const want = asMap(single.samples);
    expect([...got.keys()].sort()).toEqual([...want.keys()].sort());
    for (const [k, v] of want) {
      if (k.includes('_sum')) expect(got.get(k), k).toBeCloseTo(v, 9);
      else expect(got.get(k), k).toBe(v);
    }
    const total = merged.samples.filter((s) => s.name === 'benchtop_predictions_total');
    expect(total.map((s) => s.labels.kind).sort()).toEqual(['audit', 'tabular', 'tabular']);
  });

  it('merges histograms with different bounds into a valid cumulative one', () => {
    const a = new Metrics();
    const b = new Metrics();
    const va = [1, 4, 9.5, 10, 12];
    const vb = [3, 15, 19, 20, 25];
    a.predicted(
      'reg',
      'regression',
      va.map((v) => [v]),
      { range: [0, 10] },
    );
    b.predicted(
      'reg',
      'regression',
      vb.map((v) => [v]),
      { range: [0, 20] },
    );
    const text = renderSnapshot(mergeSnapshots([a.snapshot(), b.snapshot()]));
    const { samples } = parseExposition(text); // throws when not cumulative or +Inf ≠ count
    const bucket = (le: string) =>
      samples.find((s) => s.name === 'benchtop_prediction_value_bucket' && s.labels.le === le)?.value;
    // A bound both registries have is exact: observations ≤ 10 over both.
    expect(bucket('10')).toBe([...va, ...vb].filter((v) => v <= 10).length);
    // A bound only b has: a adds its count at its own largest bound below (10), never more than it knows.
    expect(bucket('20')).toBe(va.filter((v) => v <= 10).length + vb.filter((v) => v <= 20).length);
    expect(bucket('+Inf')).toBe(10);
  });

  it('says when it had to leave a worker out', () => {
    const m = new Metrics();
    m.request('GET', '/metrics', 200, 0.001);
    const text = renderSnapshot(mergeSnapshots([m.snapshot()]), {
      asked: 3,
      answered: 2,
      missing: ['worker 3'],
    });
    const { samples, comments } = parseExposition(text);
    expect(
      samples.filter((s) => s.name === 'benchtop_metrics_workers').map((s) => [s.labels.state, s.value]),
    ).toEqual([
      ['asked', 3],
      ['answered', 2],
    ]);
    expect(comments.join('\n')).toMatch(/no answer in time from worker 3/);
  });
});

describe('MetricsRelay (the primary)', () => {
  const snap = (n: number): MetricsSnapshot => {
    const m = new Metrics();
    for (let i = 0; i < n; i++) m.request('GET', '/healthz', 200, 0.001);
    return m.snapshot();
  };
  function relay(timeoutMs: number) {
    const sent: [string, ClusterMessage][] = [];
    const r = new MetricsRelay<string>(
      (to, m) => sent.push([to, m]),
      (p) => `worker ${p}`,
      timeoutMs,
    );
    const collectId = (to: string) => {
      const m = sent.find(([t, x]) => t === to && x.benchtop === 'metrics-collect')?.[1];
      return m && m.benchtop === 'metrics-collect' ? m.id : -1;
    };
    const answers = () => sent.filter(([, m]) => m.benchtop === 'metrics-gathered');
    return { r, sent, collectId, answers };
  }

  it('answers as soon as every other worker sent its snapshot', () => {
    const { r, collectId, answers } = relay(10_000);
    r.gather('1', 41, ['2', '3']);
    r.answer('2', collectId('2'), snap(2));
    expect(answers()).toHaveLength(0);
    r.answer('3', collectId('3'), snap(3));
    r.answer('3', collectId('3'), snap(3)); // twice: ignored
    expect(answers()).toHaveLength(1);
    const [to, m] = answers()[0];
    expect(to).toBe('1');
    expect(m).toMatchObject({ id: 41, asked: 3, missing: [] });
    if (m.benchtop !== 'metrics-gathered') throw new Error('unreachable');
    expect(m.snapshots.map((s) => s.requests[0].n).sort()).toEqual([2, 3]);
  });

  it('leaves out a worker that does not answer within the timeout, and one that exits', async () => {
    const { r, collectId, answers } = relay(50);
    r.gather('1', 7, ['2', '3']);
    r.answer('2', collectId('2'), snap(1));
    await new Promise((res) => setTimeout(res, 150));
    expect(answers()).toHaveLength(1);
    expect(answers()[0][1]).toMatchObject({ id: 7, asked: 3, missing: ['worker 3'] });
    r.answer('3', collectId('3'), snap(1)); // too late: nothing more is sent
    expect(answers()).toHaveLength(1);

    const second = relay(10_000);
    second.r.gather('1', 8, ['2']);
    second.r.gone('2');
    expect(second.answers()[0][1]).toMatchObject({ id: 8, asked: 2, missing: ['worker 2'], snapshots: [] });
    second.r.gather('1', 9, []); // alone: answered at once
    expect(second.answers()[1][1]).toMatchObject({ id: 9, asked: 1, missing: [] });
  });
});

describe('version numbers across processes', () => {
  it('two stores deploying one name at the same moment get distinct versions, nothing left over', async () => {
    const dir = join(root, 'race');
    const a = await open(dir);
    const b = await open(dir);
    const stamp = (i: number) => ({ ...bin, createdAt: new Date(Date.UTC(2025, 0, 1 + i)).toISOString() });
    const deploys = await Promise.all(
      Array.from({ length: 8 }, (_, i) =>
        (i % 2 ? b : a).deploy('bin', stamp(i)).then((m) => [i, m.version]),
      ),
    );
    const versions = deploys.map(([, v]) => v).sort((x, y) => x - y);
    expect(versions).toEqual([1, 2, 3, 4, 5, 6, 7, 8]);
    const files = readdirSync(join(dir, 'bin')).sort((x, y) => Number.parseInt(x) - Number.parseInt(y));
    expect(files).toEqual(versions.map((v) => `${v}.json`)); // no temp files
    // Each version file holds what the deploy that got that number sent.
    for (const [i, v] of deploys) {
      const onDisk = JSON.parse(readFileSync(join(dir, 'bin', `${v}.json`), 'utf8')) as ModelArtifact;
      expect(onDisk.createdAt).toBe(stamp(i).createdAt);
    }
    await a.sync();
    await b.sync();
    expect(a.get('bin')?.version).toBe(8);
    expect(b.get('bin')?.version).toBe(8);
  });

  it('without hard links, claim directories keep numbers exclusive too', async () => {
    const dir = join(root, 'claims');
    mkdirSync(dir);
    // Every writer in claim mode: processes sharing one directory share its filesystem, so they all
    // link or all claim. (Mixing the modes in one directory is not exclusive: a claimer's rename can
    // land on a number a linker took between its stat and its rename — seen in CI when this test mixed them.)
    const got = await Promise.all(
      Array.from({ length: 6 }, (_, i) => writeNewVersion(dir, 1, `{"i":${i}}`, { links: false })),
    );
    expect([...got].sort()).toEqual([1, 2, 3, 4, 5, 6]);
    got.forEach((v, i) => {
      expect(JSON.parse(readFileSync(join(dir, `${v}.json`), 'utf8'))).toEqual({ i });
    });
    expect(readdirSync(dir).filter((f) => f.includes('tmp'))).toEqual([]);
  });
});

describe('drift across processes', () => {
  it('reads the same most recent window from every process log, rotated files included', async () => {
    const dir = join(root, 'drift');
    const a = await open(dir, { logTag: 'w1', logLines: 40 });
    const b = await open(dir, { logTag: 'w2', logLines: 40 });
    const c = await open(dir, { logTag: 'node-b', logLines: 40 }); // another instance, never predicting
    await a.deploy('bin', bin);
    await b.sync();
    await c.sync();
    const t0 = Date.UTC(2026, 0, 1);
    const entry = (s: number): LogEntry => ({
      t: new Date(t0 + s * 1000).toISOString(),
      v: 1,
      x: { ...GOOD, x: s },
      y: [s % 3 === 0 ? 0.9 : 0.2],
    });
    const fromA = Array.from({ length: 30 }, (_, i) => entry(2 * i)); // even seconds 0…58
    const fromB = Array.from({ length: 50 }, (_, i) => entry(2 * i + 1)); // odd seconds 1…99 (b rotates at 40)
    for (const e of fromA) a.get('bin')!.log.append([e]);
    for (const e of fromB) b.get('bin')!.log.append([e]);
    await a.get('bin')!.log.flush();
    await b.get('bin')!.log.flush();
    expect(
      readdirSync(join(dir, 'bin'))
        .filter((f) => f.startsWith('predictions'))
        .sort(),
    ).toEqual(['predictions-w1.jsonl', 'predictions-w2.1.jsonl', 'predictions-w2.jsonl']);
    const want = [...fromA, ...fromB]
      .sort((x, y) => x.t.localeCompare(y.t))
      .slice(-40)
      .map((e) => e.t);
    for (const s of [a, b, c]) expect((await s.get('bin')!.log.recent()).map((e) => e.t)).toEqual(want);
    const reports = await Promise.all([a, b, c].map((s) => computeDrift(s.get('bin')!)));
    expect(reports[0].rows).toBe(40);
    expect(reports[1]).toEqual(reports[0]);
    expect(reports[2]).toEqual(reports[0]);
    expect(reports[0].window.to).toBe(entry(99).t);

    // Lines appended later (and only them) are picked up; a half-written line waits for its end.
    const later = [entry(120), entry(121)];
    b.get('bin')!.log.append(later);
    await b.get('bin')!.log.flush();
    expect((await a.get('bin')!.log.recent()).slice(-2)).toEqual(later);
    expect((await c.get('bin')!.log.recent()).map((e) => e.t)).toEqual([
      ...want.slice(2),
      ...later.map((e) => e.t),
    ]);

    const torn = JSON.stringify(entry(130));
    const other = join(dir, 'bin', 'predictions-node-x.jsonl');
    appendFileSync(other, torn.slice(0, 20));
    expect((await a.get('bin')!.log.recent()).at(-1)).toEqual(later[1]);
    appendFileSync(other, `${torn.slice(20)}\n`);
    expect((await a.get('bin')!.log.recent()).at(-1)).toEqual(entry(130));
  });
});
