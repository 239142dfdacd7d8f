/**
 * The result of profiling one table (see ./profile.ts). Pure data, JSON-serialisable: the profile
 * cell stores it in its result's `meta.profile`, and the headless runner writes it to `<cell>.json`.
 *
 * Conventions used throughout:
 * - "missing" = SQL NULL + NaN (floating-point columns) + empty or whitespace-only strings (text
 *   columns). Every other statistic is computed over the non-missing values only.
 * - Datetime values (DATE, TIMESTAMP…) are carried as epoch milliseconds (UTC) in numeric fields.
 * - Shares are fractions in [0, 1]; `…Pct` fields are percentages in [0, 100].
 * - All numbers are computed by SQL in DuckDB (aggregations, binning); JS only combines the small
 *   aggregated results (e.g. AUC from per-bin counts).
 * - Exact by default. Above `ProfileOptions.approxRows` rows (default 1,000,000) a few numbers are
 *   estimates, and say so: `Profile.approximate`, `ColumnProfile.approximate`, `TargetProfile.sample`.
 *   Everything not marked there is still exact (row and missing counts, min/max/mean/std, correlations,
 *   and for columns with at most `ProfileOptions.exactDistinctMax` distinct values their distinct
 *   count, top values, quantiles and histogram).
 */

/** What a column holds, for a human and for choosing statistics. */
export type SemanticType = 'numeric' | 'categorical' | 'boolean' | 'datetime' | 'text' | 'identifier';

export interface HistogramBin {
  /** Lower edge (inclusive). Epoch ms for datetime columns. */
  x0: number;
  /** Upper edge (exclusive, except for the last bin, which includes the maximum). */
  x1: number;
  count: number;
}

export interface TopValue {
  /** The value as text (`CAST(… AS VARCHAR)`). */
  value: string;
  count: number;
}

export interface Quantiles {
  /**
   * As `quantile_cont` (linear interpolation) at 1, 5, 25, 50, 75, 95 and 99 %. Epoch ms for datetimes.
   * Exact, except for high-cardinality columns of large tables (`ColumnProfile.approximate.quantiles`):
   * `quantile_cont` over the row sample.
   */
  p01: number;
  p05: number;
  p25: number;
  p50: number;
  p75: number;
  p95: number;
  p99: number;
}

export interface ColumnProfile {
  name: string;
  /** DuckDB type, e.g. `BIGINT`, `VARCHAR`, `TIMESTAMP`. */
  sqlType: string;
  semantic: SemanticType;
  /** Why the semantic type was chosen, one short phrase (e.g. `"name ends in _id; 99.9 % distinct"`). */
  semanticReason: string;
  /** SQL NULLs. */
  nulls: number;
  /** NaN values (floating-point columns; 0 otherwise). */
  nans: number;
  /** Empty or whitespace-only strings (text columns; 0 otherwise). */
  empty: number;
  /** nulls + nans + empty. */
  missing: number;
  /** missing / rows × 100 (0 for an empty table). */
  missingPct: number;
  /** Non-missing values. */
  present: number;
  /** Distinct non-missing values (exact unless `approximate.distinct`). */
  distinct: number;
  /** Numeric and datetime columns: over non-missing values (epoch ms for datetimes). */
  min?: number;
  max?: number;
  mean?: number;
  /** Sample standard deviation (n − 1); absent with fewer than two values. */
  std?: number;
  quantiles?: Quantiles;
  /** Numeric and datetime columns: equal-width bins over [min, max]. */
  histogram?: HistogramBin[];
  /** Most frequent non-missing values, most frequent first (ties by value), at most 10. */
  topValues: TopValue[];
  /** Count of the most frequent non-missing value / present (0 when nothing is present). */
  topShare: number;
  /** Text-like columns: mean length in characters of non-missing values. */
  meanLength?: number;
  /** Text-like columns: share of non-missing values that look like a UUID or a ≥ 16-digit hex string. */
  hexShare?: number;
  /** Up to three distinct non-missing values from the first rows, as text. */
  examples: string[];
  /** Datetime columns, when a prediction time is set: rows where this column > the prediction time. */
  afterPredictionTime?: { rows: number; comparable: number; share: number };
  /**
   * Only on large tables (more than `ProfileOptions.approxRows` rows) and only for columns with more than
   * `ProfileOptions.exactDistinctMax` distinct values (estimated), where exact answers need a hash table
   * of every value: which of this column's numbers are estimates (absent = all exact).
   * - `distinct: 'hash-slice'`: distinct values whose hash is 0 mod 32, × 32 (relative error about
   *   √(32 / distinct): < 1 % above 500,000 values); capped at `present`.
   * - `topValues: 'sampled'`: the most frequent values of the row sample, counts scaled to the table
   *   (× present / present in the sample); `topShare` likewise.
   * - `quantiles: 'sampled'`: `quantile_cont` over the row sample (the histogram stays exact).
   */
  approximate?: { distinct?: 'hash-slice'; topValues?: 'sampled'; quantiles?: 'sampled' };
}

export interface TargetBin {
  /** Human label: `[1.5, 3)`, a category, `missing` or `other (12 values)`. */
  label: string;
  /** Numeric/datetime bins: the edges (epoch ms for datetimes). */
  x0?: number;
  x1?: number;
  /** Rows in this bin with a non-missing target. */
  count: number;
  /** Classification: share of rows in the bin whose target is the focus class. Regression: mean target. */
  value: number;
  /** 95 % confidence interval of `value` (Wilson for rates; t for means, clamped to the target's range). */
  lo: number;
  hi: number;
}

export interface FeatureTarget {
  column: string;
  semantic: SemanticType;
  bins: TargetBin[];
  /** The number used to rank features (AUC for binary, uncertainty coefficient for multiclass, η² for regression). */
  strength: number;
  metric: 'auc' | 'uncertainty' | 'eta2';
  /**
   * Binary targets: in-sample ROC-AUC of the feature's binned target rate as a score (bins ordered by
   * rate; ties within a bin count one half). ≥ 0.5 by construction.
   */
  auc?: number;
  /** Multiclass: mutual information (bits) of the binned feature and the target. */
  mutualInfo?: number;
  /** Multiclass: mutual information / target entropy (Theil's U), in [0, 1]. */
  uncertainty?: number;
  /** Regression: correlation ratio η² = between-bin sum of squares / total sum of squares. */
  eta2?: number;
  /** Numeric features with a numeric (or binary) target: Pearson correlation with the target. */
  corr?: number;
  /**
   * Over rows where both are present: distinct (feature, target) pairs, distinct feature values,
   * distinct target values. pairs = feature ⇒ the target is a function of the feature; pairs = target
   * ⇒ the feature is a function of the target. Always exact (over the whole table). On large tables
   * (`TargetProfile.sample`) it is only counted where a one-to-one mapping is possible: where the
   * feature's and the target's distinct counts, less the rows where only the other is missing, are
   * within 5 % of each other; absent otherwise (the counts alone rule the mapping out).
   */
  pairs?: { pairs: number; feature: number; target: number };
}

export interface TargetProfile {
  column: string;
  task: 'binary' | 'multiclass' | 'regression';
  /** Classification: the class whose rate the bins show (binary: `1`/`true`/the minority class). */
  focus?: string;
  /** Classification: class counts, most frequent first. */
  classes?: TopValue[];
  /** Classification: the smallest class count / rows with a target. */
  minorityShare?: number;
  /** Rows whose target is present. */
  rows: number;
  /** Regression: mean of the target. */
  mean?: number;
  predictionTime?: string;
  /**
   * Large tables only (more than `ProfileOptions.approxRows` rows): the per-bin statistics (`bins`: counts,
   * rates/means and their intervals) and the strengths computed from them (AUC, η², mutual information)
   * come from this uniform row sample (`Profile.approximate`), so bin counts are counts in the sample.
   * The target's classes, `rows`, `mean`, `corr`, `pairs` and `afterPredictionTime` stay exact.
   */
  sample?: { rows: number; fraction: number };
  /** Features (every column except the target, the prediction time and identifier-like/constant columns), strongest first. */
  features: FeatureTarget[];
}

export interface Correlations {
  columns: string[];
  /** Pearson correlation, `matrix[i][j]`; null when undefined (a constant column). */
  matrix: (number | null)[][];
}

export interface Profile {
  table: string;
  rows: number;
  columnCount: number;
  /**
   * Rows minus distinct rows: how many rows repeat an earlier row exactly. Exact, except on large tables
   * (`approximate.duplicates`).
   */
  duplicateRows: number;
  /**
   * Present when the table has more than `ProfileOptions.approxRows` rows (default 1,000,000): the row
   * sample behind the estimated numbers. The sample is the rows whose hash of the whole row is 0 modulo
   * `every` (about 250,000 rows; deterministic, independent of row order; identical rows are all in or
   * all out), materialised once per profile run in an internal table (`__benchtop_profile_sample_…`,
   * hidden from the table list) and dropped afterwards.
   * - `duplicates: 'sampled'`: `duplicateRows` = duplicates within the sample × `every` (unbiased,
   *   because identical rows fall in the same sample; 0 when the table has none).
   * - Target analysis bins: see `TargetProfile.sample`.
   * - Per column: see `ColumnProfile.approximate`.
   */
  approximate?: { sampleRows: number; every: number; duplicates: 'sampled' };
  /** Rough in-memory size: fixed-width types by width, strings by mean length + 16 bytes. */
  memoryBytes: number;
  columns: ColumnProfile[];
  target?: TargetProfile;
  correlations?: Correlations;
  /** Queries sent and total wall time (ms) of profiling. */
  queries: number;
  ms: number;
}

export type WarningCode =
  | 'identifier'
  | 'constant'
  | 'missing'
  | 'high-cardinality'
  | 'imbalance'
  | 'duplicates'
  | 'leakage'
  | 'future-timestamp'
  | 'target-function';

export interface Warning {
  code: WarningCode;
  column?: string;
  severity: 'info' | 'warn' | 'danger';
  /** One sentence: what is wrong. */
  message: string;
  /** The numbers behind it. */
  evidence: string;
  /** One line: what to do. */
  suggestion: string;
}
