/**
 * "When to trust this model": plain-language lines generated only from the evaluation's numbers —
 * the primary metric against the baseline (paired interval), calibration (ECE), segments that are
 * credibly worse than overall, inputs outside the training range, and the sample size.
 */
import type { InputField } from '../ml/pipeline/index.ts';
import type { Task } from '../ml/types.ts';
import type { GlobalImportance } from './explain.ts';
import { partLabel } from './onTable.ts';
import type { BinaryDetails, MetricRow } from './report.ts';
import type { SliceReport } from './slices.ts';

export interface TrustLine {
  tone: 'good' | 'warn' | 'bad' | 'info';
  /** Short heading, e.g. "Better than the baseline". */
  title: string;
  text: string;
}

export const fmtNum = (x: number | null | undefined, digits = 3): string => {
  if (x === null || x === undefined || !Number.isFinite(x)) return '—';
  const a = Math.abs(x);
  if (a !== 0 && (a >= 1e5 || a < 1e-3)) return x.toExponential(2);
  return Number(x.toFixed(digits)).toLocaleString('en-US', { maximumFractionDigits: digits });
};

export function trustSummary(args: {
  task: Task;
  part: 'valid' | 'test' | 'all';
  /** With `part: 'all'`: the evaluated table's name. */
  table?: string;
  n: number;
  metrics: MetricRow[];
  binary?: BinaryDetails;
  slices: SliceReport;
  outOfRange: { column: string; below: number; above: number; unseen: number; min?: number; max?: number }[];
  inputs: readonly InputField[];
  global: GlobalImportance[];
}): TrustLine[] {
  const out: TrustLine[] = [];
  const partName = partLabel(args);
  const key = args.task === 'binary' ? 'auc' : args.task === 'multiclass' ? 'accuracy' : 'rmse';
  const m = args.metrics.find((r) => r.key === key);
  if (m && m.model.value !== null) {
    const d = m.diff;
    const ci = (e: { lo: number | null; hi: number | null }) =>
      e.lo !== null && e.hi !== null ? ` (95 % CI ${fmtNum(e.lo)} to ${fmtNum(e.hi)})` : '';
    const better = d && d.lo !== null && d.hi !== null && (m.higherIsBetter ? d.lo > 0 : d.hi < 0);
    const worse = d && d.lo !== null && d.hi !== null && (m.higherIsBetter ? d.hi < 0 : d.lo > 0);
    out.push({
      tone: better ? 'good' : worse ? 'bad' : 'warn',
      title: better
        ? 'Better than the baseline'
        : worse
          ? 'Worse than the baseline'
          : 'Not clearly better than the baseline',
      text: `${m.label} ${fmtNum(m.model.value)}${ci(m.model)} on ${args.n.toLocaleString('en-US')} ${partName} rows, vs ${fmtNum(
        m.baseline?.value,
      )} for the baseline (${args.task === 'regression' ? 'training mean' : 'training class shares'}); difference ${fmtNum(
        d?.value,
      )}${d ? ci(d) : ''}${better ? ': the interval excludes 0.' : worse ? ': the model does worse than always predicting the baseline.' : ': the interval includes 0, so this could be chance.'}`,
    });
  }
  if (args.binary && args.binary.ece !== null) {
    const e = args.binary.ece;
    out.push({
      tone: e < 0.02 ? 'good' : e < 0.05 ? 'info' : 'warn',
      title:
        e < 0.02
          ? 'Probabilities are well calibrated'
          : e < 0.05
            ? 'Probabilities are roughly calibrated'
            : 'Probabilities are miscalibrated',
      text: `Expected calibration error ${fmtNum(e)}: a predicted probability is off from the observed rate by ${fmtNum(
        e * 100,
        1,
      )} percentage points on average (10 bins).${e >= 0.05 ? ' Use the ranking (AUC) rather than the probabilities themselves, or recalibrate.' : ''}`,
    });
  }
  const bad = args.slices.slices.filter((s) => s.credible && s.worseBy > 0).slice(0, 3);
  const metricName = args.slices.metric.label;
  if (bad.length) {
    out.push({
      tone: 'bad',
      title: 'Segments to avoid',
      text: bad
        .map(
          (s) =>
            `${s.feature} ${s.kind === 'bin' ? 'in' : '='} ${s.label}: ${metricName} ${fmtNum(s.metric.value)} vs ${fmtNum(
              args.slices.overall,
            )} overall (${s.n.toLocaleString('en-US')} rows; difference ${fmtNum(s.diff.value)}, 95 % CI ${fmtNum(s.diff.lo)} to ${fmtNum(s.diff.hi)})`,
        )
        .join('; ')
        .concat('.'),
    });
  } else {
    out.push({
      tone: 'good',
      title: 'No segment is credibly worse',
      text: `No slice of ${args.slices.slices.length} (categories and quantile bins of every input) has a ${metricName} credibly worse than overall (≥ 30 rows and a 95 % interval of the difference excluding 0).`,
    });
  }
  const ranges = args.inputs
    .filter(
      (f) => (f.kind === 'numeric' || f.kind === 'datetime') && f.min !== undefined && f.max !== undefined,
    )
    .map((f) =>
      f.kind === 'datetime'
        ? `${f.name} ${new Date(f.min!).toISOString().slice(0, 10)} to ${new Date(f.max!).toISOString().slice(0, 10)}`
        : `${f.name} ${fmtNum(f.min)} to ${fmtNum(f.max)}`,
    );
  const outside = args.outOfRange.reduce((a, r) => a + r.below + r.above + r.unseen, 0);
  out.push({
    tone: outside > 0 ? 'warn' : 'info',
    title: 'Training range',
    text: `${ranges.length ? `Trained on ${ranges.join(', ')}: predictions outside these ranges are extrapolations (trees predict the edge value flat; linear models continue the line).` : ''}${
      outside > 0
        ? ` ${args.outOfRange
            .map(
              (r) =>
                `${r.column}: ${[
                  r.below ? `${r.below} below the minimum` : '',
                  r.above ? `${r.above} above the maximum` : '',
                  r.unseen ? `${r.unseen} with a category unseen in training` : '',
                ]
                  .filter(Boolean)
                  .join(', ')}`,
            )
            .join('; ')} in the ${partName} rows.`
        : ` Every ${partName} row is inside the training range.`
    }`.trim(),
  });
  if (args.global.length > 0) {
    const top = args.global.slice(0, 3).map((g) => g.column);
    out.push({
      tone: 'info',
      title: 'What drives the predictions',
      text: `Most influential inputs (mean |SHAP|): ${top.join(', ')}. A prediction for a record whose ${top[0]} is unusual deserves a second look.`,
    });
  }
  if (args.n < 200)
    out.push({
      tone: 'warn',
      title: 'Few rows',
      text: `Only ${args.n} ${partName} rows: the intervals are wide; judge with care.`,
    });
  return out;
}
