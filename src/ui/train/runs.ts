/**
 * Helpers of the runs table: metric formatting, a flat view of a run's configuration (for the
 * compare diff and CSV export), exports, and turning an uploaded artifact into a run record.
 */
import { type ModelArtifact, parseArtifact } from '../../core/ml/artifact.ts';
import { higherIsBetter, primaryMetric } from '../../core/ml/metrics.ts';
import type { RunRecord } from '../../storage/runStore.ts';

export { higherIsBetter, primaryMetric };

export const METRIC_ORDER = ['auc', 'logloss', 'accuracy', 'macro_f1', 'rmse', 'mae', 'r2'];

export const METRIC_TITLE: Record<string, string> = {
  auc: 'ROC-AUC',
  logloss: 'log loss',
  accuracy: 'accuracy',
  macro_f1: 'macro F1',
  rmse: 'RMSE',
  mae: 'MAE',
  r2: 'R²',
};

export function fmtMetric(x: number | undefined): string {
  if (x === undefined || !Number.isFinite(x)) return '—';
  const a = Math.abs(x);
  if (a !== 0 && (a >= 1e5 || a < 1e-3)) return x.toExponential(3);
  return x.toFixed(a >= 100 ? 1 : 4);
}

/**
 * A spread (CV std) shown next to a metric: same fixed decimals as `fmtMetric` gives the mean, so
 * "0.7813 ± 0.0010" reads as one number and its uncertainty (not "± 9.862e-4").
 */
export function fmtStd(x: number | undefined): string {
  if (x === undefined || !Number.isFinite(x)) return '—';
  return Math.abs(x) >= 1e5 ? x.toExponential(3) : x.toFixed(Math.abs(x) >= 100 ? 1 : 4);
}

export function metricNames(runs: readonly { metrics: RunRecord['metrics'] }[]): string[] {
  const all = new Set<string>();
  for (const r of runs)
    for (const part of [r.metrics.valid, r.metrics.test]) for (const k of Object.keys(part)) all.add(k);
  return [...all].sort((a, b) => {
    const ia = METRIC_ORDER.indexOf(a);
    const ib = METRIC_ORDER.indexOf(b);
    return (ia < 0 ? 99 : ia) - (ib < 0 ? 99 : ib) || a.localeCompare(b);
  });
}

const show = (v: unknown): string =>
  v === undefined ? '—' : typeof v === 'string' ? v : Array.isArray(v) ? v.join(', ') : JSON.stringify(v);

/** A run's configuration as flat `key → text` (the compare diff and the CSV). */
export function flatConfig(r: RunRecord): Record<string, string> {
  const c = r.config;
  const out: Record<string, string> = {
    family: c.family,
    task: `${c.task}${c.taskDetected ? ' (detected)' : ''}`,
    table: c.input || '—',
    target: c.target,
    features: show(c.features),
    ...splitConfig(c.split),
    seed: String(c.seed),
    backend: r.backend,
    'table.rows': String(r.fingerprint.rows),
    'table.hash': r.fingerprint.hash,
  };
  for (const [k, v] of Object.entries(c.params).sort(([a], [b]) => a.localeCompare(b)))
    out[`params.${k}`] = show(v);
  return out;
}

/** The split part of `flatConfig` (k-fold: k, stratified, group column and the test share). */
function splitConfig(split: RunRecord['config']['split']): Record<string, string> {
  if (split.kind === 'kfold')
    return {
      'split.kind': `${split.k}-fold${split.stratified ? ', stratified' : ''}`,
      'split.fractions': `test ${split.testFraction ?? 0.2}`,
      'split.seed': String(split.seed),
      'split.column': split.groupColumn ?? '—',
    };
  return {
    'split.kind': split.kind,
    'split.fractions': `${split.fractions.train} / ${split.fractions.valid} / ${split.fractions.test}`,
    'split.seed': String(split.seed),
    'split.column': split.column ?? '—',
  };
}

function download(text: string, fileName: string, type: string): void {
  const url = URL.createObjectURL(new Blob([text], { type }));
  const a = document.createElement('a');
  a.href = url;
  a.download = fileName;
  document.body.appendChild(a);
  a.click();
  a.remove();
  setTimeout(() => URL.revokeObjectURL(url), 10_000);
}

export const fileStem = (s: string) => s.replace(/[^A-Za-z0-9._-]+/g, '-').replace(/^-+|-+$/g, '') || 'run';

/** The runs without their artifacts (those download one by one), as JSON. */
export function runsJson(runs: readonly RunRecord[]): string {
  return JSON.stringify(
    runs.map(({ artifact, ...r }) => ({ ...r, artifactName: artifact.name })),
    null,
    2,
  );
}

const csvCell = (v: string) => (/[",\n\r]/.test(v) ? `"${v.replaceAll('"', '""')}"` : v);

export function runsCsv(runs: readonly RunRecord[]): string {
  const metrics = metricNames(runs);
  const configKeys = [...new Set(runs.flatMap((r) => Object.keys(flatConfig(r))))];
  const header = [
    'id',
    'name',
    'created_at',
    'starred',
    'origin',
    ...metrics.flatMap((m) => [`valid_${m}`, `test_${m}`, `baseline_valid_${m}`, `baseline_test_${m}`]),
    ...configKeys,
    'duration_ms',
  ];
  const lines = [header.join(',')];
  for (const r of runs) {
    const flat = flatConfig(r);
    const num = (x: number | undefined) => (x === undefined ? '' : String(x));
    lines.push(
      [
        r.id,
        r.name,
        r.createdAt,
        String(r.starred),
        r.origin,
        ...metrics.flatMap((m) => [
          num(r.metrics.valid[m]),
          num(r.metrics.test[m]),
          num(r.baseline.valid[m]),
          num(r.baseline.test[m]),
        ]),
        ...configKeys.map((k) => flat[k] ?? ''),
        num(r.durationsMs.wall ?? r.durationsMs.total),
      ]
        .map(csvCell)
        .join(','),
    );
  }
  return `${lines.join('\n')}\n`;
}

export function downloadRunsJson(runs: readonly RunRecord[]): void {
  download(runsJson(runs), 'benchtop-runs.json', 'application/json');
}

export function downloadRunsCsv(runs: readonly RunRecord[]): void {
  download(runsCsv(runs), 'benchtop-runs.csv', 'text/csv');
}

export function downloadArtifact(r: RunRecord): void {
  download(JSON.stringify(r.artifact), `${fileStem(r.name)}.model.json`, 'application/json');
}

/**
 * A run record for an uploaded artifact (validated with `parseArtifact`; throws its message).
 * `table`: the table of the train cell it is uploaded into. It becomes the run's input table when it
 * has every column of the artifact's input schema (so a predict cell can fill records from its rows and
 * re-runs when it changes); otherwise the run has no table (`config.input` is empty): the model still
 * predicts records typed in by hand.
 */
export function runFromArtifact(
  text: string,
  notebookId: string,
  cellId: string,
  table?: { name: string; columns: readonly string[] },
): RunRecord {
  const a: ModelArtifact = parseArtifact(text);
  const p = a.provenance;
  const input = table && a.inputSchema.every((f) => table.columns.includes(f.name)) ? table.name : '';
  const rows = p.split.rows.train + p.split.rows.valid + p.split.rows.test;
  return {
    id: `upload-${Date.now().toString(36)}-${Math.random().toString(36).slice(2, 8)}`,
    notebookId,
    cellId,
    createdAt: new Date().toISOString(),
    name: `${a.name} (uploaded)`,
    starred: false,
    origin: 'upload',
    config: {
      input,
      target: a.target,
      task: a.task,
      taskDetected: false,
      features: p.featureColumns,
      split:
        p.split.kind === 'kfold' && p.cv
          ? {
              kind: 'kfold',
              k: p.cv.k,
              stratified: p.cv.stratified,
              seed: p.split.seed,
              testFraction: p.split.fractions.test,
              ...(p.cv.groupColumn ? { groupColumn: p.cv.groupColumn } : {}),
            }
          : {
              kind: (['random', 'stratified', 'temporal', 'grouped'].includes(p.split.kind)
                ? p.split.kind
                : 'random') as 'random' | 'stratified' | 'temporal' | 'grouped',
              seed: p.split.seed,
              fractions: p.split.fractions,
              ...(p.split.column ? { column: p.split.column } : {}),
            },
      family: a.model.family,
      params: a.model.params,
      overrides: {},
      seed: p.seed,
    },
    fingerprint: {
      rows,
      columns: a.inputSchema.map((f) => ({ name: f.name, type: f.type })),
      hash: p.tableFingerprint,
    },
    backend: p.backend,
    backendReason: 'recorded in the uploaded artifact',
    durationsMs: p.durationsMs,
    metrics: a.metrics,
    baseline: { valid: {}, test: {} },
    ...(p.cv ? { cv: p.cv } : {}),
    lossCurve: [],
    artifact: a,
  };
}
