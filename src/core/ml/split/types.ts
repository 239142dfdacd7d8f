/**
 * Contracts of the train/validation/test split (./split.ts) and of k-fold cross-validation (./kfold.ts).
 * Everything is plain data (JSON-serialisable) except the row-index arrays (`Uint32Array`).
 */
import type { Task } from '../types.ts';

/** Shares of the rows per part. Non-negative; they are normalised by their sum (so 70/15/15 works too). */
export interface SplitFractions {
  train: number;
  valid: number;
  test: number;
}

/** How to split the rows into train / validation / test. */
export interface SplitSpec {
  /**
   * - `random`: shuffle rows with the seed, cut by fractions;
   * - `stratified`: the same per target class (regression targets: per target decile), so every part
   *   keeps the class distribution (needs a target);
   * - `temporal`: sort by the datetime `column`; train = earliest, test = latest; rows sharing a timestamp
   *   never straddle a cut; rows with a missing timestamp are excluded (and counted in the summary);
   * - `grouped`: whole groups of the `column` go to one part (no group in two parts).
   */
  kind: 'random' | 'stratified' | 'temporal' | 'grouped';
  /** Seed of the shuffle (ignored by `temporal`, which is deterministic). */
  seed: number;
  /** Shares of the rows per part (normalised by their sum). */
  fractions: SplitFractions;
  /** Datetime column (epoch ms numbers) for `temporal`; group column for `grouped`. */
  column?: string;
}

/** K-fold cross-validation: a held-out test part, then k folds over the remaining rows. */
export interface KFoldSpec {
  kind: 'kfold';
  /** Number of folds, ≥ 2. */
  k: number;
  /** Keep the class distribution in every fold and in the test part (needs a target). */
  stratified?: boolean;
  /** Whole groups of this column go to one fold (and the test part holds whole groups too). */
  groupColumn?: string;
  seed: number;
  /** Share of rows held out as the test part before folding (default 0.2; 0 = no test part). */
  testFraction?: number;
}

/** Any split a training run can use: train / validation / test, or k-fold with a held-out test part. */
export type AnySplitSpec = SplitSpec | KFoldSpec;

/** Target summary of one part. Exactly one of `positiveRate` / `classes` / `mean` is set when a target is given. */
export interface PartSummary {
  rows: number;
  /** rows / rows split (excluded rows not counted). */
  share: number;
  /** Binary target: share of the positive class among rows with a target. */
  positiveRate?: number;
  /** Multiclass target: count and share per class (sorted by label). */
  classes?: { label: string; count: number; share: number }[];
  /** Regression target: mean of the non-missing targets. */
  mean?: number;
  /** Rows whose target is missing. */
  missingTarget?: number;
  /** Temporal split: earliest / latest timestamp in the part (ISO 8601, UTC). */
  minDate?: string;
  maxDate?: string;
}

/** How the target was read for the summary (and for stratification). */
export interface TargetDescription {
  kind: Task;
  /** Binary: the label counted as positive (`1`, `true`, or the minority class of a two-label text target). */
  positiveLabel?: string;
}

export interface SplitSummary {
  kind: SplitSpec['kind'];
  seed: number;
  /** The fractions as normalised (sum 1). */
  fractions: SplitFractions;
  /** Rows in the table. */
  totalRows: number;
  /** Rows left out of every part (temporal: missing timestamp). */
  excludedRows: number;
  target?: TargetDescription;
  parts: { train: PartSummary; valid: PartSummary; test: PartSummary };
  temporal?: {
    column: string;
    /** Rows excluded because the timestamp is missing. */
    missingTimestamps: number;
    /** Earliest / latest timestamp of the split rows (ISO). */
    min?: string;
    max?: string;
    /** First timestamp of the validation / test part (ISO): the cut dates. */
    cuts: { validStart?: string; testStart?: string };
  };
  grouped?: { column: string; groups: { train: number; valid: number; test: number } };
  /** Things the user should know (empty part, cut moved far by ties…). */
  warnings: string[];
}

export interface SplitResult {
  /** Row indices into the table, ascending. */
  train: Uint32Array;
  valid: Uint32Array;
  test: Uint32Array;
  summary: SplitSummary;
}

export interface Fold {
  /** Rows to fit on (all non-test rows outside this fold), ascending. */
  train: Uint32Array;
  /** Rows of this fold, ascending. */
  valid: Uint32Array;
}

export interface KFoldSummary {
  kind: 'kfold';
  k: number;
  seed: number;
  stratified: boolean;
  groupColumn?: string;
  totalRows: number;
  testFraction: number;
  target?: TargetDescription;
  test: PartSummary;
  /** Summary of each fold's validation rows. */
  folds: PartSummary[];
  warnings: string[];
}

export interface KFoldResult {
  folds: Fold[];
  /** Held-out test rows, ascending (never in any fold). */
  test: Uint32Array;
  summary: KFoldSummary;
}
