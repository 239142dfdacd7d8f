/**
 * Contracts of the feature pipeline: what to encode (`PipelineSpec`), what fitting learned
 * (`FittedPipeline`, plain JSON), and what a model artifact records about its inputs (`InputField`,
 * `SummaryStats`).
 *
 * Every statistic in a `FittedPipeline` comes from the training rows only (see ./fit.ts).
 */
import type { Task } from '../types.ts';

/** How a column is encoded. */
export type SemanticKind = 'numeric' | 'categorical' | 'boolean' | 'datetime' | 'text';

/** One input column of the pipeline. */
export interface PipelineColumn {
  /** Column name in the table. */
  name: string;
  kind: SemanticKind;
}

/** TF-IDF options for `text` columns. */
export interface TextOptions {
  /** Vocabulary size per column: the terms with the highest document frequency on train. Default 2000. */
  maxFeatures: number;
  /** Word n-gram range, inclusive. Default [1, 2] (words and word pairs). */
  wordNgrams: [number, number];
  /** Character n-gram range inside words (padded with spaces), inclusive; null = none. Default null. */
  charNgrams: [number, number] | null;
  /** Keep terms appearing in at least this many training documents. Default 2. */
  minDf: number;
  /** tf → 1 + ln(tf). Default true. */
  sublinearTf: boolean;
}

/** What to encode and how. Every option has a default (see `resolveOptions`). */
export interface PipelineSpec {
  /** Feature columns with their semantic kind (`inferKinds` guesses them). The target must not be one. */
  columns: PipelineColumn[];
  /** Categoricals with at most this many train levels are one-hot encoded (dense models). Default 20. */
  oneHotMaxCategories?: number;
  /**
   * Encoding of categoricals with more levels (dense models): `target` = out-of-fold target encoding
   * (needs a target; falls back to `frequency` without one), `frequency` = share of train rows with the
   * level. Default `target` when a target is given, else `frequency`.
   */
  highCardinality?: 'target' | 'frequency';
  /** Standard scaling (mean/std from train) of numeric, datetime and encoded features for dense models. Default `standard`. */
  scale?: 'standard' | 'none';
  /** TF-IDF options for text columns (partial: missing fields take the defaults). */
  text?: Partial<TextOptions>;
  /** Add sin/cos of month, day of week and hour to datetime features. Default false. */
  datetimeCyclic?: boolean;
  /** Target encoding: number of out-of-fold folds (default 5) and m-estimate smoothing (default 20). */
  targetEncoding?: { folds?: number; smoothing?: number };
  /** Seed of the out-of-fold fold assignment. Default 0. */
  seed?: number;
}

/** Options with defaults applied (stored in the fitted pipeline). */
export interface ResolvedOptions {
  oneHotMaxCategories: number;
  highCardinality: 'target' | 'frequency';
  scale: 'standard' | 'none';
  text: TextOptions;
  datetimeCyclic: boolean;
  targetEncoding: { folds: number; smoothing: number };
  seed: number;
}

/** Standard scaler of one dense output: (x − mean) / std. `null` = not scaled. */
export type Scaler = [mean: number, std: number] | null;

/** Training distribution of a numeric/datetime column (drift monitoring). */
export interface NumericDistribution {
  /** 11 edges: the 0, 10 %, …, 100 % quantiles of the non-missing train values (bins [eᵢ, eᵢ₊₁), last closed). */
  edges: number[];
  /** Share of the non-missing train values per bin (10 numbers, see `binIndex`). */
  proportions: number[];
  /** Share of train rows with a missing value. */
  missing: number;
}

interface FittedBase {
  name: string;
  /** DuckDB type of the column in the training table. */
  type: string;
  /** Train rows with a missing value in this column. */
  missingCount: number;
  /** Train rows. */
  rows: number;
}

export interface FittedNumeric extends FittedBase {
  kind: 'numeric';
  /** Median of the non-missing train values (0 when all are missing): the imputed value. */
  median: number;
  /** Train range (null when all missing). */
  min: number | null;
  max: number | null;
  /** Dense scalers: [value, missing indicator (when missingCount > 0)]. */
  scale: Scaler[];
  dist: NumericDistribution;
}

export interface FittedBoolean extends FittedBase {
  kind: 'boolean';
  /** Imputed value for missing (the train majority, 0 or 1). */
  impute: number;
  /** Share of `true` among non-missing train values. */
  trueRate: number;
}

/** Derived datetime parts, in output order. */
export type DatetimePart =
  | 'year'
  | 'month'
  | 'day'
  | 'dow'
  | 'hour'
  | 'days'
  | 'month_sin'
  | 'month_cos'
  | 'dow_sin'
  | 'dow_cos'
  | 'hour_sin'
  | 'hour_cos';

export interface FittedDatetime extends FittedBase {
  kind: 'datetime';
  /**
   * Parts emitted (UTC): year, month 1–12, day of month 1–31, dow 0 = Sunday … 6 = Saturday, hour 0–23
   * (not for DATE columns), days = fractional days since the train minimum; optional sin/cos.
   */
  parts: DatetimePart[];
  /** Median epoch ms of the non-missing train values: the imputed timestamp (dense). */
  median: number;
  /** Train range in epoch ms (null when all missing). */
  min: number | null;
  max: number | null;
  /** Dense scalers: one per part, then the missing indicator (when missingCount > 0). */
  scale: Scaler[];
  dist: NumericDistribution;
}

/** Out-of-fold target-encoding state (the last "slot" is the missing value). */
export interface TargetEncodingState {
  /** Encoded outputs: 1 (binary: rate, regression: mean) or one per class (multiclass). */
  outputs: number;
  /** m of the m-estimate: enc = (sum + m·prior) / (count + m). */
  m: number;
  folds: number;
  seed: number;
  /** Global train mean per output (the unseen fallback). */
  prior: number[];
  /** Per slot (levels…, missing): rows with a target. */
  counts: number[];
  /** Per slot × output: sum of the target. */
  sums: number[];
  /** Per slot × fold: rows with a target (out-of-fold encoding of the training rows). Empty once stripped. */
  foldCounts: number[];
  /** Per slot × fold × output. Empty once stripped. */
  foldSums: number[];
  /** Per fold × output: the prior computed without that fold. */
  foldPrior: number[];
}

export interface FittedCategorical extends FittedBase {
  kind: 'categorical';
  /** All train levels (missing excluded), by train frequency descending then label. */
  levels: string[];
  /** Train count per level. */
  counts: number[];
  /** Dense encoding. */
  encoding: 'onehot' | 'target' | 'frequency';
  /** Present for `target`. */
  te?: TargetEncodingState;
  /** Dense scalers of the target / frequency outputs (one-hot: none). */
  scale: Scaler[];
  /** GBDT codes: levels[0..gbdtLevels-1] → 0..gbdtLevels-1; every other value → gbdtLevels. */
  gbdtLevels: number;
}

export interface FittedText extends FittedBase {
  kind: 'text';
  /** Vocabulary keys: `w:<word n-gram>` or `c:<char n-gram>`, by train document frequency then key. */
  terms: string[];
  /** idf per term: ln((1 + n) / (1 + df)) + 1, n = train rows (missing text = empty document). */
  idf: number[];
  /** Mean token count of non-missing train documents (drift summary). */
  meanTokens: number;
}

export type FittedColumn = FittedNumeric | FittedBoolean | FittedDatetime | FittedCategorical | FittedText;

/**
 * The fitted pipeline: plain JSON (no Maps, no typed arrays, no NaN), so `JSON.parse(JSON.stringify(p))`
 * transforms identically. Lookup tables are rebuilt lazily on first use.
 */
export interface FittedPipeline {
  version: 1;
  /** Task of the target used for target encoding (null: no target). */
  task: Task | null;
  options: ResolvedOptions;
  /** One per `PipelineSpec.columns`, same order. */
  columns: FittedColumn[];
  /** Number of training rows. */
  trainRows: number;
  /**
   * FNV-1a hash of the training row indices: `transform` on exactly these rows uses out-of-fold target
   * encodings (what the model must be trained on); any other rows use the full-train statistics.
   */
  trainFingerprint: string;
  /** Things decided during fitting that the user may want to know. */
  notes: string[];
}

/** Which model family the matrix is for. */
export type ModelKind = 'gbdt' | 'dense';

export interface TransformOptions {
  /** `gbdt`: raw numerics with NaN, integer category codes; `dense` (default): imputed, scaled, one-hot. */
  forModel?: ModelKind;
  /**
   * Use out-of-fold target encodings (default: when `rows` are exactly the training rows). Set true when
   * transforming a subset of the training rows of the same table, false to force full-train statistics.
   */
  outOfFold?: boolean;
}

/** One input column as the model artifact describes it. */
export interface InputField {
  name: string;
  kind: SemanticKind;
  /** DuckDB type. */
  type: string;
  /** Categorical: the train levels by frequency (at most 1000). */
  categories?: string[];
  /** Numeric / datetime (epoch ms): train range. */
  min?: number;
  max?: number;
  /** Whether train had missing values. */
  nullable: boolean;
}

export type ColumnDistribution =
  | ({ name: string; kind: 'numeric' | 'datetime' } & NumericDistribution)
  | {
      name: string;
      kind: 'categorical';
      /** Top levels (≤ 20) with their share of train rows. */
      top: { level: string; share: number }[];
      /** Share of train rows in other levels. */
      other: number;
      missing: number;
    }
  | { name: string; kind: 'boolean'; trueRate: number; missing: number }
  | { name: string; kind: 'text'; meanTokens: number; missing: number };

/** Training-distribution summaries for drift monitoring. */
export interface SummaryStats {
  rows: number;
  columns: ColumnDistribution[];
}

export interface RecordWarning {
  field: string;
  code: 'unseen-category' | 'out-of-range' | 'missing-imputed';
  message: string;
}
