/**
 * Training runs persist in IndexedDB (database `benchtop`, store `runs`, created in
 * ./notebookStore.ts's `benchtopDb()` upgrade, version 2). One record per finished training: the
 * full configuration, the table's fingerprint, backend, durations, metrics (valid / test and the
 * baseline's), the loss curve and the model artifact. A run is written once, in one `put`, after the
 * training succeeded — a cancelled or failed training leaves nothing behind.
 */
import type { IDBPDatabase } from 'idb';
import type { ModelArtifact } from '../core/ml/artifact.ts';
import type { CvRecord } from '../core/ml/cv.ts';
import type { AnySplitSpec, KFoldSummary, SplitSummary } from '../core/ml/split/index.ts';
import type { LossPoint, Task } from '../core/ml/types.ts';
import { benchtopDb } from './notebookStore.ts';

/** What was trained: the cell's settings as resolved at run time. */
export interface RunConfig {
  input: string;
  target: string;
  task: Task;
  /** Whether `task` was detected (true) or chosen by the user. */
  taskDetected: boolean;
  features: string[];
  /** Holdout split, or k-fold (`kind: 'kfold'`; the per-fold metrics are in `RunRecord.cv`). */
  split: AnySplitSpec;
  family: string;
  /** Hyperparameters as used (the family's defaults merged with the cell's overrides). */
  params: Record<string, unknown>;
  /** The cell's overrides only. */
  overrides: Record<string, unknown>;
  /**
   * The family's defaults merged with the overrides, as asked for (a search or a k-fold refit changes
   * `params`): what "same settings" compares. Absent in runs stored before it existed.
   */
  requestedParams?: Record<string, unknown>;
  seed: number;
  /** Class weights of the fit (classification); absent = none. */
  classWeight?: 'none' | 'balanced';
  /**
   * Hyperparameter search: random (`trials` configurations) or successive halving (`trials`
   * configurations, `eta`); absent = none. What it did is in artifact.provenance.search.
   */
  search?: { kind: 'random'; trials: number } | { kind: 'halving'; trials: number; eta: number };
}

/** The table a run was trained on, as DuckDB saw it. */
export interface TableFingerprint {
  rows: number;
  columns: { name: string; type: string }[];
  /** `sum(hash(row))` over the whole table, computed in SQL (order-independent). */
  hash: string;
}

export interface RunRecord {
  id: string;
  notebookId: string;
  cellId: string;
  /** ISO 8601. */
  createdAt: string;
  name: string;
  starred: boolean;
  /** `train`: trained in this browser; `upload`: an artifact file the user uploaded. */
  origin: 'train' | 'upload';
  config: RunConfig;
  fingerprint: TableFingerprint;
  backend: string;
  backendReason: string;
  durationsMs: Record<string, number>;
  metrics: { valid: Record<string, number>; test: Record<string, number> };
  baseline: { valid: Record<string, number>; test: Record<string, number> };
  split?: SplitSummary | KFoldSummary;
  /**
   * K-fold runs: each fold's validation metrics (and loss curve), their mean ± std, and how the final
   * model's budget was set. `metrics.valid` / `baseline.valid` are then the fold means.
   */
  cv?: CvRecord;
  lossCurve: LossPoint[];
  artifact: ModelArtifact;
}

interface RunsSchema {
  runs: { key: string; value: RunRecord; indexes: { notebookId: string } };
}

async function db(): Promise<IDBPDatabase<RunsSchema>> {
  return (await benchtopDb()) as unknown as IDBPDatabase<RunsSchema>;
}

/** Plain data (no Svelte proxies, no typed arrays): what IndexedDB stores. */
const plain = <T>(x: T): T => JSON.parse(JSON.stringify(x)) as T;

export async function putRun(run: RunRecord): Promise<void> {
  await (await db()).put('runs', plain(run));
}

export async function getRun(id: string): Promise<RunRecord | undefined> {
  return (await db()).get('runs', id);
}

/** Every run of one notebook, newest first. */
export async function listRuns(notebookId: string): Promise<RunRecord[]> {
  const all = await (await db()).getAllFromIndex('runs', 'notebookId', notebookId);
  return all.sort((a, b) => b.createdAt.localeCompare(a.createdAt));
}

export async function deleteRun(id: string): Promise<void> {
  await (await db()).delete('runs', id);
}

export async function setRunStarred(id: string, starred: boolean): Promise<void> {
  const d = await db();
  const tx = d.transaction('runs', 'readwrite');
  const run = await tx.store.get(id);
  if (run) await tx.store.put({ ...run, starred });
  await tx.done;
}

export async function renameRun(id: string, name: string): Promise<void> {
  const d = await db();
  const tx = d.transaction('runs', 'readwrite');
  const run = await tx.store.get(id);
  if (run) await tx.store.put({ ...run, name });
  await tx.done;
}
