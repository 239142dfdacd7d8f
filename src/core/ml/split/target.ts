/**
 * Reading a target column for split summaries and stratification: its kind (binary / multiclass /
 * regression), a stratum per row, and per-part summaries.
 */
import type { ColumnValues, Task } from '../types.ts';
import type { PartSummary, TargetDescription } from './types.ts';

/** A cell of any column: `null` for missing (NaN numbers are missing too). */
export type Cell = number | string | boolean | null;

export function cellAt(col: ColumnValues, i: number): Cell {
  const v = col[i];
  if (v === undefined || v === null) return null;
  if (typeof v === 'number' && Number.isNaN(v)) return null;
  return v;
}

/** Label of a class-like cell: booleans `true`/`false`, numbers `String(n)`. */
export function labelOf(v: Cell): string | null {
  if (v === null) return null;
  return typeof v === 'string' ? v : String(v);
}

export interface TargetInfo extends TargetDescription {
  /** Stratum per row (-1 = missing target). */
  strata: Int32Array;
  /** Number of strata. */
  strataCount: number;
  /** Multiclass labels, sorted (stratum index = position) */
  labels?: string[];
  /** Per-row numeric value for regression (NaN = missing); 1/0 for binary. */
  values: Float64Array;
}

const numeric = (v: Cell): number => {
  if (v === null) return Number.NaN;
  if (typeof v === 'number') return v;
  if (typeof v === 'boolean') return v ? 1 : 0;
  const x = v.trim() === '' ? Number.NaN : Number(v);
  return x;
};

/** Reads the target: binary when it has ≤ 2 labels that look binary (0/1, booleans, two strings), etc. */
export function analyseTarget(target: ColumnValues, n: number, task?: Task): TargetInfo {
  const counts = new Map<string, number>();
  let allNumeric = true;
  let allBool = true;
  for (let i = 0; i < n; i++) {
    const v = cellAt(target, i);
    if (v === null) continue;
    if (typeof v !== 'boolean') allBool = false;
    if (typeof v !== 'number') allNumeric = false;
    const l = labelOf(v)!;
    counts.set(l, (counts.get(l) ?? 0) + 1);
  }
  const labels = [...counts.keys()].sort();
  let kind: Task;
  if (task) kind = task;
  else if (allBool && labels.length > 0) kind = 'binary';
  else if (allNumeric)
    kind = labels.every((l) => l === '0' || l === '1') && labels.length > 0 ? 'binary' : 'regression';
  else kind = labels.length <= 2 ? 'binary' : 'multiclass';

  const strata = new Int32Array(n).fill(-1);
  const values = new Float64Array(n).fill(Number.NaN);
  if (kind === 'regression') {
    const finite: number[] = [];
    for (let i = 0; i < n; i++) {
      const x = numeric(cellAt(target, i));
      values[i] = x;
      if (Number.isFinite(x)) finite.push(x);
    }
    // Strata: deciles of the target, so stratification also works for regression.
    finite.sort((a, b) => a - b);
    const edges: number[] = [];
    for (let q = 1; q < 10; q++) {
      const e = finite[Math.floor((q * finite.length) / 10)];
      if (e !== undefined && (edges.length === 0 || e > edges[edges.length - 1])) edges.push(e);
    }
    for (let i = 0; i < n; i++) {
      const x = values[i];
      if (!Number.isFinite(x)) continue;
      let b = 0;
      while (b < edges.length && x >= edges[b]) b++;
      strata[i] = b;
    }
    return { kind, strata, strataCount: edges.length + 1, values };
  }
  let positiveLabel: string | undefined;
  if (kind === 'binary') {
    if (counts.has('1')) positiveLabel = '1';
    else if (counts.has('true')) positiveLabel = 'true';
    else {
      // Minority label (ties: the last in sort order).
      let best: string | undefined;
      for (const l of labels) if (best === undefined || counts.get(l)! <= counts.get(best)!) best = l;
      positiveLabel = best;
    }
  }
  const index = new Map(labels.map((l, j) => [l, j]));
  for (let i = 0; i < n; i++) {
    const l = labelOf(cellAt(target, i));
    if (l === null) continue;
    strata[i] = index.get(l)!;
    values[i] = kind === 'binary' ? (l === positiveLabel ? 1 : 0) : index.get(l)!;
  }
  return { kind, positiveLabel, strata, strataCount: labels.length, labels, values };
}

/** Summary of one part (rows + target distribution). */
export function summarisePart(rows: Uint32Array, total: number, info: TargetInfo | undefined): PartSummary {
  const s: PartSummary = { rows: rows.length, share: total > 0 ? rows.length / total : 0 };
  if (!info) return s;
  let missing = 0;
  if (info.kind === 'multiclass') {
    const counts = new Array<number>(info.strataCount).fill(0);
    for (const r of rows) {
      const c = info.strata[r];
      if (c < 0) missing++;
      else counts[c]++;
    }
    const known = rows.length - missing;
    s.classes = (info.labels ?? []).map((label, j) => ({
      label,
      count: counts[j],
      share: known > 0 ? counts[j] / known : 0,
    }));
  } else {
    let sum = 0;
    for (const r of rows) {
      const x = info.values[r];
      if (Number.isFinite(x)) sum += x;
      else missing++;
    }
    const known = rows.length - missing;
    const m = known > 0 ? sum / known : Number.NaN;
    if (info.kind === 'binary') s.positiveRate = m;
    else s.mean = m;
  }
  s.missingTarget = missing;
  return s;
}

/** Largest-remainder allocation of n items by (normalised) weights. */
export function allocate(n: number, weights: readonly number[]): number[] {
  const total = weights.reduce((a, b) => a + b, 0);
  const exact = weights.map((w) => (total > 0 ? (n * w) / total : 0));
  const out = exact.map(Math.floor);
  let left = n - out.reduce((a, b) => a + b, 0);
  const order = exact.map((_e, j) => j).sort((a, b) => exact[b] - out[b] - (exact[a] - out[a]) || a - b);
  for (let j = 0; left > 0; j = (j + 1) % order.length, left--) out[order[j]]++;
  return out;
}
