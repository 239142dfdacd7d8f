/**
 * Train / validation / test splits and k-fold cross-validation over a `ColumnarTable`. All shuffles use
 * the seeded PRNG of ../random.ts, so a split is reproducible from its spec alone. Row indices in the
 * results are ascending (models shuffle their own mini-batches).
 */
import { createRng, type Rng } from '../random.ts';
import type { ColumnarTable, ColumnValues, Task } from '../types.ts';
import { allocate, analyseTarget, cellAt, labelOf, summarisePart, type TargetInfo } from './target.ts';
import type {
  AnySplitSpec,
  Fold,
  KFoldResult,
  KFoldSpec,
  KFoldSummary,
  SplitFractions,
  SplitResult,
  SplitSpec,
  SplitSummary,
} from './types.ts';

type Parts = [number[], number[], number[]];

const toSorted = (rows: readonly number[]): Uint32Array => Uint32Array.from(rows).sort();

function normaliseFractions(f: SplitFractions): SplitFractions {
  const parts = [f.train, f.valid, f.test];
  if (parts.some((x) => !Number.isFinite(x) || x < 0))
    throw new Error('Split fractions must be non-negative numbers');
  const sum = parts[0] + parts[1] + parts[2];
  if (sum <= 0) throw new Error('Split fractions must not all be zero');
  return { train: f.train / sum, valid: f.valid / sum, test: f.test / sum };
}

function requireColumn(table: ColumnarTable, name: string | undefined, why: string): ColumnValues {
  if (!name) throw new Error(`A ${why} split needs a column`);
  const col = table.columns[name];
  if (!col) throw new Error(`Column "${name}" not found`);
  return col;
}

/** Epoch ms of a datetime cell (numbers as is, strings parsed, Date objects); NaN when missing. */
function timeOf(v: unknown): number {
  if (typeof v === 'number') return Number.isFinite(v) ? v : Number.NaN;
  if (typeof v === 'string') return Date.parse(v);
  if (v instanceof Date) return v.getTime();
  return Number.NaN;
}

const iso = (t: number): string => new Date(t).toISOString();

function randomParts(rows: number[], fr: number[], rng: Rng): Parts {
  rng.shuffle(rows);
  const [a, b] = allocate(rows.length, fr);
  return [rows.slice(0, a), rows.slice(a, a + b), rows.slice(a + b)];
}

/** Rows grouped by stratum (ascending stratum order; missing target last), in table order. */
function strataRows(rows: readonly number[], info: TargetInfo): number[][] {
  const groups: number[][] = Array.from({ length: info.strataCount + 1 }, () => []);
  for (const r of rows) {
    const s = info.strata[r];
    groups[s < 0 ? info.strataCount : s].push(r);
  }
  return groups.filter((g) => g.length > 0);
}

function stratifiedParts(rows: number[], fr: number[], info: TargetInfo, rng: Rng): Parts {
  const out: Parts = [[], [], []];
  for (const g of strataRows(rows, info)) {
    const [a, b, c] = randomParts(g, fr, rng);
    // A loop, not push(...a): spreading ~100k rows overflows the call stack (Chromium).
    for (const r of a) out[0].push(r);
    for (const r of b) out[1].push(r);
    for (const r of c) out[2].push(r);
  }
  return out;
}

/** Group key per row (missing values form one group). */
function groupsOf(col: ColumnValues, rows: readonly number[]): number[][] {
  const index = new Map<string, number>();
  const groups: number[][] = [];
  for (const r of rows) {
    const l = labelOf(cellAt(col, r));
    const key = l === null ? '\u0000missing' : `v${l}`;
    let g = index.get(key);
    if (g === undefined) {
      g = groups.length;
      index.set(key, g);
      groups.push([]);
    }
    groups[g].push(r);
  }
  return groups;
}

function groupedParts(
  rows: number[],
  fr: number[],
  col: ColumnValues,
  rng: Rng,
): Parts & { groups: number[] } {
  const groups = rng.shuffle(groupsOf(col, rows));
  const [a, b] = allocate(rows.length, fr);
  const out: Parts = [[], [], []];
  const counts = [0, 0, 0];
  let cum = 0;
  for (const g of groups) {
    // Nearest rounding: a group goes where its midpoint falls.
    const mid = cum + g.length / 2;
    const p = mid < a ? 0 : mid < a + b ? 1 : 2;
    for (const r of g) out[p].push(r);
    counts[p]++;
    cum += g.length;
  }
  return Object.assign(out, { groups: counts });
}

/** Moves a cut to the nearest timestamp boundary so equal timestamps never straddle it. */
function snapCut(times: Float64Array, pos: number): number {
  const n = times.length;
  if (pos <= 0) return 0;
  if (pos >= n) return n;
  if (times[pos - 1] !== times[pos]) return pos;
  let s = pos;
  while (s > 0 && times[s - 1] === times[pos]) s--;
  let e = pos;
  while (e < n && times[e] === times[pos]) e++;
  return pos - s <= e - pos ? s : e;
}

/**
 * Splits the table's rows into train / validation / test by `spec` (see `splitRows`).
 * `target` (the target column, aligned with the table) feeds stratification and the per-part summary;
 * `task` overrides how the target is read (otherwise 0/1 and booleans are binary, other numbers regression,
 * strings binary or multiclass).
 */
export function holdoutRows(
  table: ColumnarTable,
  target: ColumnValues | undefined,
  spec: SplitSpec,
  task?: Task,
): SplitResult {
  const n = table.rowCount;
  const fractions = normaliseFractions(spec.fractions);
  const fr = [fractions.train, fractions.valid, fractions.test];
  const rng = createRng(spec.seed);
  const info = target ? analyseTarget(target, n, task) : undefined;
  const warnings: string[] = [];
  const all = (): number[] => Array.from({ length: n }, (_, i) => i);
  let parts: Parts;
  let excluded = 0;
  let temporal: SplitSummary['temporal'];
  let grouped: SplitSummary['grouped'];

  switch (spec.kind) {
    case 'random':
      parts = randomParts(all(), fr, rng);
      break;
    case 'stratified':
      if (!info) throw new Error('A stratified split needs a target');
      parts = stratifiedParts(all(), fr, info, rng);
      break;
    case 'grouped': {
      const col = requireColumn(table, spec.column, 'grouped');
      const g = groupedParts(all(), fr, col, rng);
      parts = [g[0], g[1], g[2]];
      grouped = {
        column: spec.column!,
        groups: { train: g.groups[0], valid: g.groups[1], test: g.groups[2] },
      };
      break;
    }
    case 'temporal': {
      const col = requireColumn(table, spec.column, 'temporal');
      const rows: number[] = [];
      const t = new Float64Array(n);
      for (let i = 0; i < n; i++) {
        t[i] = timeOf(col[i]);
        if (Number.isFinite(t[i])) rows.push(i);
      }
      excluded = n - rows.length;
      rows.sort((a, b) => t[a] - t[b] || a - b);
      const sorted = Float64Array.from(rows, (r) => t[r]);
      const [a, b] = allocate(rows.length, fr);
      const cut1 = snapCut(sorted, a);
      const cut2 = Math.max(cut1, snapCut(sorted, a + b));
      if (cut1 !== a || cut2 !== a + b) {
        warnings.push(
          'Cuts moved to timestamp boundaries so that rows with the same timestamp stay together.',
        );
      }
      parts = [rows.slice(0, cut1), rows.slice(cut1, cut2), rows.slice(cut2)];
      temporal = {
        column: spec.column!,
        missingTimestamps: excluded,
        cuts: {},
      };
      if (rows.length > 0) {
        temporal.min = iso(sorted[0]);
        temporal.max = iso(sorted[sorted.length - 1]);
      }
      if (cut1 < cut2) temporal.cuts.validStart = iso(sorted[cut1]);
      if (cut2 < rows.length) temporal.cuts.testStart = iso(sorted[cut2]);
      if (excluded > 0)
        warnings.push(`${excluded} rows with a missing timestamp are left out of every part.`);
      break;
    }
    default:
      throw new Error(`Unknown split kind ${(spec as { kind: string }).kind}`);
  }

  const [train, valid, test] = parts.map(toSorted);
  const splitTotal = n - excluded;
  const summary: SplitSummary = {
    kind: spec.kind,
    seed: spec.seed,
    fractions,
    totalRows: n,
    excludedRows: excluded,
    parts: {
      train: summarisePart(train, splitTotal, info),
      valid: summarisePart(valid, splitTotal, info),
      test: summarisePart(test, splitTotal, info),
    },
    warnings,
  };
  if (info) summary.target = describeTarget(info);
  if (temporal) {
    summary.temporal = temporal;
    const times = requireColumn(table, spec.column, 'temporal');
    for (const [key, rows] of [
      ['train', train],
      ['valid', valid],
      ['test', test],
    ] as const) {
      if (rows.length === 0) continue;
      let lo = Number.POSITIVE_INFINITY;
      let hi = Number.NEGATIVE_INFINITY;
      for (const r of rows) {
        const x = timeOf(times[r]);
        if (x < lo) lo = x;
        if (x > hi) hi = x;
      }
      summary.parts[key].minDate = iso(lo);
      summary.parts[key].maxDate = iso(hi);
    }
  }
  if (grouped) summary.grouped = grouped;
  for (const [key, rows] of [
    ['train', train],
    ['valid', valid],
    ['test', test],
  ] as const) {
    if (rows.length === 0 && fractions[key] > 0) warnings.push(`The ${key} part is empty.`);
  }
  return { train, valid, test, summary };
}

function describeTarget(info: TargetInfo) {
  return info.positiveLabel !== undefined
    ? { kind: info.kind, positiveLabel: info.positiveLabel }
    : { kind: info.kind };
}

/**
 * K-fold cross-validation: first holds out `testFraction` of the rows as the test part (stratified /
 * grouped like the folds), then deals the remaining rows into `k` folds. Fold i's `valid` is fold i,
 * its `train` every other non-test row, so the folds' `valid` parts partition the non-test rows.
 */
export function kfoldRows(
  table: ColumnarTable,
  target: ColumnValues | undefined,
  spec: KFoldSpec,
  task?: Task,
): KFoldResult {
  const n = table.rowCount;
  const k = Math.floor(spec.k);
  if (!(k >= 2)) throw new Error('k-fold needs k ≥ 2');
  const testFraction = spec.testFraction ?? 0.2;
  if (!(testFraction >= 0 && testFraction < 1)) throw new Error('testFraction must be in [0, 1)');
  const stratified = spec.stratified ?? false;
  const info = target ? analyseTarget(target, n, task) : undefined;
  if (stratified && !info) throw new Error('A stratified k-fold needs a target');
  const groupCol = spec.groupColumn ? requireColumn(table, spec.groupColumn, 'grouped') : undefined;
  const fr = [1 - testFraction, 0, testFraction];
  const rng = createRng(spec.seed);
  const all = Array.from({ length: n }, (_, i) => i);
  const held: Parts = groupCol
    ? groupedParts(all, fr, groupCol, rng)
    : stratified
      ? stratifiedParts(all, fr, info!, rng)
      : randomParts(all, fr, rng);
  const rest = held[0].sort((a, b) => a - b);
  const foldOf = new Int32Array(n).fill(-1);
  const foldRows: number[][] = Array.from({ length: k }, () => []);
  const foldRng = createRng(spec.seed ^ 0x5bd1e995);
  if (groupCol) {
    const groups = foldRng.shuffle(groupsOf(groupCol, rest));
    if (groups.length < k) throw new Error(`k-fold needs at least k = ${k} groups (found ${groups.length})`);
    // Biggest groups first (shuffled order breaks ties), each into the currently smallest fold.
    const order = groups.map((_g, j) => j).sort((a, b) => groups[b].length - groups[a].length || a - b);
    for (const j of order) {
      let best = 0;
      for (let f = 1; f < k; f++) if (foldRows[f].length < foldRows[best].length) best = f;
      for (const r of groups[j]) foldRows[best].push(r); // not push(...): one group can be 100k+ rows
    }
  } else {
    if (rest.length < k) throw new Error(`k-fold needs at least k = ${k} rows outside the test part`);
    const strata = stratified ? strataRows(rest, info!) : [rest.slice()];
    let offset = 0;
    for (const g of strata) {
      foldRng.shuffle(g);
      for (let j = 0; j < g.length; j++) foldRows[(offset + j) % k].push(g[j]);
      offset += g.length;
    }
  }
  foldRows.forEach((rows, f) => {
    for (const r of rows) foldOf[r] = f;
  });
  const folds: Fold[] = foldRows.map((rows, f) => ({
    valid: toSorted(rows),
    train: Uint32Array.from(rest.filter((r) => foldOf[r] !== f)),
  }));
  const test = toSorted(held[2]);
  const warnings: string[] = [];
  const summary: KFoldSummary = {
    kind: 'kfold',
    k,
    seed: spec.seed,
    stratified,
    totalRows: n,
    testFraction,
    test: summarisePart(test, n, info),
    folds: folds.map((f) => summarisePart(f.valid, n, info)),
    warnings,
  };
  if (spec.groupColumn) summary.groupColumn = spec.groupColumn;
  if (info) summary.target = describeTarget(info);
  if (folds.some((f) => f.valid.length === 0)) warnings.push('Some folds are empty.');
  return { folds, test, summary };
}

/**
 * Splits rows by `spec`: a train / validation / test split (`SplitSpec`) or k-fold cross-validation
 * (`KFoldSpec`: folds + held-out test). `target` is the target column aligned with the table (for
 * stratification and the summary); `task` overrides how it is read.
 */
export function splitRows(
  table: ColumnarTable,
  target: ColumnValues | undefined,
  spec: SplitSpec,
  task?: Task,
): SplitResult;
export function splitRows(
  table: ColumnarTable,
  target: ColumnValues | undefined,
  spec: KFoldSpec,
  task?: Task,
): KFoldResult;
export function splitRows(
  table: ColumnarTable,
  target: ColumnValues | undefined,
  spec: SplitSpec | KFoldSpec,
  task?: Task,
): SplitResult | KFoldResult;
export function splitRows(
  table: ColumnarTable,
  target: ColumnValues | undefined,
  spec: SplitSpec | KFoldSpec,
  task?: Task,
): SplitResult | KFoldResult {
  return spec.kind === 'kfold'
    ? kfoldRows(table, target, spec, task)
    : holdoutRows(table, target, spec, task);
}

/** The column a split reads besides the target: temporal / grouped `column`, k-fold `groupColumn`. */
export function splitColumn(spec: AnySplitSpec): string | undefined {
  return spec.kind === 'kfold' ? spec.groupColumn : spec.column;
}

/**
 * The rows of any split as the model trained with it saw them: a holdout split's three parts; for
 * k-fold, the final model is refitted on every non-test row, so `train` is all of them and `valid` is
 * empty (the folds' validation rows were each used for one fold's model only).
 */
export function modelParts(
  table: ColumnarTable,
  target: ColumnValues | undefined,
  spec: AnySplitSpec,
  task?: Task,
): { train: Uint32Array; valid: Uint32Array; test: Uint32Array } {
  if (spec.kind !== 'kfold') {
    const { train, valid, test } = holdoutRows(table, target, spec, task);
    return { train, valid, test };
  }
  const cv = kfoldRows(table, target, spec, task);
  const rest: number[] = [];
  for (const f of cv.folds) for (const r of f.valid) rest.push(r);
  return { train: toSorted(rest), valid: new Uint32Array(0), test: cv.test };
}
