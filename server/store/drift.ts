/**
 * Drift of recent requests against the training data, from a model's prediction logs (monitor.ts) and
 * the artifact's `trainingSummary`. The window is the most recent `maxLines` entries across the logs of
 * every process in the model's directory (workers, instances on a shared volume), so any of them gives
 * the same answer; only entries of the current version are compared.
 *
 * - numeric / datetime: PSI over the training decile bins (`edges`, bins [eᵢ, eᵢ₊₁), the same `binIndex`
 *   the pipeline used to compute the training `proportions`) plus one "missing" bin;
 * - categorical: buckets = the training top levels, "other", "missing"; PSI and Jensen–Shannon
 *   divergence (base 2, 0…1);
 * - boolean: buckets true / false / missing; PSI and JS;
 * - text: mean token count, training vs recent (no flag);
 * - predictions: classification: predicted-label shares vs the training label shares (PSI, JS) and mean
 *   probability per class; regression: recent mean/std vs training mean/std.
 *
 * PSI = Σ (aᵢ − eᵢ)·ln(aᵢ/eᵢ), shares clamped to ≥ 1e-4. Flags (documented, README): PSI ≤ 0.1 `ok`,
 * 0.1 < PSI ≤ 0.25 `warn`, PSI > 0.25 `alert`. With fewer than MIN_ROWS logged rows every flag is
 * `insufficient-data` (PSI on a handful of rows is noise).
 */
import { binIndex, toBool, toKey, toNumber, toTime } from '../../src/core/ml/pipeline/encode.ts';
import { tokenize } from '../../src/core/ml/pipeline/text.ts';
import type { DeployedModel } from './store.ts';

export const PSI_WARN = 0.1;
export const PSI_ALERT = 0.25;
export const MIN_ROWS = 50;
const EPS = 1e-4;

export type Flag = 'ok' | 'warn' | 'alert' | 'insufficient-data';

export function psi(expected: readonly number[], actual: readonly number[]): number {
  let s = 0;
  for (let i = 0; i < expected.length; i++) {
    const e = Math.max(EPS, expected[i]);
    const a = Math.max(EPS, actual[i]);
    s += (a - e) * Math.log(a / e);
  }
  return s;
}

/** Jensen–Shannon divergence, base 2 (0 = same, 1 = disjoint). */
export function jensenShannon(p: readonly number[], q: readonly number[]): number {
  const norm = (v: readonly number[]) => {
    const t = v.reduce((a, b) => a + Math.max(0, b), 0) || 1;
    return v.map((x) => Math.max(0, x) / t);
  };
  const P = norm(p);
  const Q = norm(q);
  let js = 0;
  for (let i = 0; i < P.length; i++) {
    const m = (P[i] + Q[i]) / 2;
    if (P[i] > 0) js += 0.5 * P[i] * Math.log2(P[i] / m);
    if (Q[i] > 0) js += 0.5 * Q[i] * Math.log2(Q[i] / m);
  }
  return Math.max(0, Math.min(1, js));
}

const flagOf = (v: number, enough: boolean): Flag =>
  !enough ? 'insufficient-data' : v > PSI_ALERT ? 'alert' : v > PSI_WARN ? 'warn' : 'ok';
const r6 = (v: number) => Math.round(v * 1e6) / 1e6;
const shares = (counts: number[], n: number) => counts.map((c) => (n ? c / n : 0));

export interface FeatureDrift {
  feature: string;
  kind: string;
  psi?: number;
  js?: number;
  flag?: Flag;
  bins?: { label: string; expected: number; actual: number }[];
  train?: Record<string, number>;
  recent?: Record<string, number>;
}

export interface DriftReport {
  model: string;
  version: number;
  rows: number;
  window: { from: string | null; to: string | null; maxRows: number };
  thresholds: { psiWarn: number; psiAlert: number; minRows: number };
  features: FeatureDrift[];
  prediction: FeatureDrift;
  /** Worst feature/prediction flag. */
  flag: Flag;
}

export async function computeDrift(m: DeployedModel): Promise<DriftReport> {
  const entries = (await m.log.recent()).filter((e) => e.v === m.version);
  const n = entries.length;
  const enough = n >= MIN_ROWS;
  const features: FeatureDrift[] = [];
  for (const col of m.artifact.trainingSummary.columns) {
    const values = entries.map((e) => (Object.hasOwn(e.x, col.name) ? e.x[col.name] : null));
    const c = col as Record<string, unknown> & { name: string; kind: string };
    if (
      (c.kind === 'numeric' || c.kind === 'datetime') &&
      Array.isArray(c.edges) &&
      Array.isArray(c.proportions)
    ) {
      const edges = c.edges as number[];
      const props = c.proportions as number[];
      const missing = Number(c.missing ?? 0);
      const expected = [...props.map((p) => p * (1 - missing)), missing];
      const counts = new Array(props.length + 1).fill(0);
      for (const v of values) {
        const x = c.kind === 'datetime' ? toTime(v) : toNumber(v);
        if (Number.isNaN(x)) counts[props.length]++;
        else counts[binIndex(edges, x)]++;
      }
      const actual = shares(counts, n);
      const p = psi(expected, actual);
      features.push({
        feature: c.name,
        kind: c.kind,
        psi: r6(p),
        flag: flagOf(p, enough),
        bins: expected.map((e, i) => ({
          label:
            i < props.length
              ? `[${edges[i]}, ${edges[i + 1]}${i === props.length - 1 ? ']' : ')'}`
              : 'missing',
          expected: r6(e),
          actual: r6(actual[i]),
        })),
      });
    } else if (c.kind === 'categorical' && Array.isArray(c.top)) {
      const top = c.top as { level: string; share: number }[];
      const index = new Map(top.map((t, i) => [t.level, i]));
      const expected = [...top.map((t) => t.share), Number(c.other ?? 0), Number(c.missing ?? 0)];
      const counts = new Array(expected.length).fill(0);
      for (const v of values) {
        const k = toKey(v);
        counts[k === null ? top.length + 1 : (index.get(k) ?? top.length)]++;
      }
      const actual = shares(counts, n);
      const p = psi(expected, actual);
      features.push({
        feature: c.name,
        kind: c.kind,
        psi: r6(p),
        js: r6(enough || n ? jensenShannon(expected, actual) : 0),
        flag: flagOf(p, enough),
        bins: expected.map((e, i) => ({
          label: i < top.length ? top[i].level : i === top.length ? '(other)' : '(missing)',
          expected: r6(e),
          actual: r6(actual[i]),
        })),
      });
    } else if (c.kind === 'boolean') {
      const missing = Number(c.missing ?? 0);
      const tr = Number(c.trueRate ?? 0);
      const expected = [(1 - missing) * tr, (1 - missing) * (1 - tr), missing];
      const counts = [0, 0, 0];
      for (const v of values) {
        const b = toBool(v);
        counts[Number.isNaN(b) ? 2 : b ? 0 : 1]++;
      }
      const actual = shares(counts, n);
      const p = psi(expected, actual);
      features.push({
        feature: c.name,
        kind: c.kind,
        psi: r6(p),
        js: r6(jensenShannon(expected, actual)),
        flag: flagOf(p, enough),
        bins: ['true', 'false', '(missing)'].map((label, i) => ({
          label,
          expected: r6(expected[i]),
          actual: r6(actual[i]),
        })),
      });
    } else if (c.kind === 'text') {
      let tokens = 0;
      let docs = 0;
      for (const v of values) {
        if (typeof v !== 'string') continue;
        tokens += tokenize(v).length;
        docs++;
      }
      features.push({
        feature: c.name,
        kind: c.kind,
        train: { meanTokens: r6(Number(c.meanTokens ?? 0)), missing: r6(Number(c.missing ?? 0)) },
        recent: { meanTokens: r6(docs ? tokens / docs : 0), missing: r6(n ? (n - docs) / n : 0) },
      });
    }
  }

  // Predictions.
  const a = m.artifact;
  let prediction: FeatureDrift;
  const target = a.trainingSummary.target;
  if (target.kind === 'regression') {
    let mean = 0;
    for (const e of entries) mean += e.y[0];
    mean = n ? mean / n : 0;
    let s2 = 0;
    for (const e of entries) s2 += (e.y[0] - mean) ** 2;
    const std = n ? Math.sqrt(s2 / n) : 0;
    prediction = {
      feature: '(prediction)',
      kind: 'regression',
      train: { mean: r6(target.mean), std: r6(target.std), min: r6(target.min), max: r6(target.max) },
      recent: {
        mean: r6(mean),
        std: r6(std),
        meanShiftInStd: r6(target.std ? (mean - target.mean) / target.std : 0),
      },
    };
  } else {
    const classes = a.classes ?? [];
    const total = classes.reduce((s, l) => s + (target.counts[l] ?? 0), 0) || 1;
    const expected = classes.map((l) => (target.counts[l] ?? 0) / total);
    const counts = new Array(classes.length).fill(0);
    const meanProb = new Array(classes.length).fill(0);
    for (const e of entries) {
      const probs = a.task === 'binary' ? [1 - e.y[0], e.y[0]] : e.y;
      let best = 0;
      for (let k = 0; k < probs.length; k++) {
        meanProb[k] += probs[k] / Math.max(1, n);
        if (probs[k] > probs[best]) best = k;
      }
      // Binary labels follow describePrediction: P ≥ 0.5 → classes[1].
      counts[a.task === 'binary' ? (e.y[0] >= 0.5 ? 1 : 0) : best]++;
    }
    const actual = shares(counts, n);
    const p = psi(expected, actual);
    prediction = {
      feature: '(prediction)',
      kind: a.task,
      psi: r6(p),
      js: r6(jensenShannon(expected, actual)),
      flag: flagOf(p, enough),
      bins: classes.map((label, i) => ({ label, expected: r6(expected[i]), actual: r6(actual[i]) })),
      recent: Object.fromEntries(classes.map((l, i) => [`meanProbability:${l}`, r6(meanProb[i])])),
    };
  }
  const order: Flag[] = ['insufficient-data', 'ok', 'warn', 'alert'];
  let flag: Flag = enough ? 'ok' : 'insufficient-data';
  for (const f of [...features, prediction]) {
    if (f.flag && order.indexOf(f.flag) > order.indexOf(flag)) flag = f.flag;
  }
  return {
    model: m.name,
    version: m.version,
    rows: n,
    window: { from: entries[0]?.t ?? null, to: entries.at(-1)?.t ?? null, maxRows: m.log.maxLines },
    thresholds: { psiWarn: PSI_WARN, psiAlert: PSI_ALERT, minRows: MIN_ROWS },
    features,
    prediction,
    flag,
  };
}
