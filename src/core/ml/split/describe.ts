/** Short human-readable lines about a split, for the UI (train cell header, run details). */
import type { KFoldSummary, PartSummary, SplitSummary, TargetDescription } from './types.ts';

const int = (n: number): string => String(Math.round(n)).replace(/\B(?=(\d{3})+(?!\d))/g, ',');
const pct = (x: number, digits = 1): string => (Number.isFinite(x) ? `${(100 * x).toFixed(digits)}%` : '—');
const num = (x: number): string => (Number.isFinite(x) ? String(Number(x.toPrecision(4))) : '—');
const day = (isoDate: string | undefined): string =>
  isoDate ? isoDate.replace(/T00:00:00\.000Z$/, '') : '—';

function targetLine(
  names: readonly string[],
  parts: readonly PartSummary[],
  target?: TargetDescription,
): string | null {
  if (!target) return null;
  if (target.kind === 'binary') {
    const label = target.positiveLabel !== undefined ? ` (${target.positiveLabel})` : '';
    return `Positive rate${label}: ${parts.map((p, i) => `${names[i]} ${pct(p.positiveRate ?? Number.NaN)}`).join(', ')}`;
  }
  if (target.kind === 'regression') {
    return `Mean target: ${parts.map((p, i) => `${names[i]} ${num(p.mean ?? Number.NaN)}`).join(', ')}`;
  }
  const lines = parts.map((p, i) => {
    const top = [...(p.classes ?? [])]
      .sort((a, b) => b.share - a.share || (a.label < b.label ? -1 : 1))
      .slice(0, 3);
    return `${names[i]} ${top.map((c) => `${c.label} ${pct(c.share, 0)}`).join(' / ')}`;
  });
  return `Classes: ${lines.join('; ')}`;
}

/** Lines describing a split or k-fold summary, e.g. "Random split (seed 42): train 7,000 rows (70.0%), …". */
export function describeSplit(summary: SplitSummary | KFoldSummary): string[] {
  const lines: string[] = [];
  if (summary.kind === 'kfold') {
    const how = [
      summary.stratified ? 'stratified' : '',
      summary.groupColumn ? `grouped by ${summary.groupColumn}` : '',
    ]
      .filter(Boolean)
      .join(', ');
    const sizes = summary.folds.map((f) => f.rows);
    lines.push(
      `${summary.k}-fold cross-validation${how ? ` (${how})` : ''}, seed ${summary.seed}: ` +
        `folds of ${int(Math.min(...sizes))}–${int(Math.max(...sizes))} rows, test ${int(summary.test.rows)} rows (${pct(summary.test.share)})`,
    );
    const t = targetLine(
      ['test', ...summary.folds.map((_, i) => `fold ${i + 1}`)],
      [summary.test, ...summary.folds],
      summary.target,
    );
    if (t) lines.push(t);
    lines.push(...summary.warnings);
    return lines;
  }
  const title = { random: 'Random', stratified: 'Stratified', temporal: 'Temporal', grouped: 'Grouped' }[
    summary.kind
  ];
  const by = summary.temporal
    ? ` by ${summary.temporal.column}`
    : summary.grouped
      ? ` by ${summary.grouped.column}`
      : '';
  const seed = summary.kind === 'temporal' ? '' : ` (seed ${summary.seed})`;
  const { train, valid, test } = summary.parts;
  lines.push(
    `${title} split${by}${seed}: train ${int(train.rows)} rows (${pct(train.share)}), ` +
      `validation ${int(valid.rows)} (${pct(valid.share)}), test ${int(test.rows)} (${pct(test.share)})`,
  );
  const t = targetLine(['train', 'validation', 'test'], [train, valid, test], summary.target);
  if (t) lines.push(t);
  if (summary.temporal) {
    const parts = (
      [
        ['train', train],
        ['validation', valid],
        ['test', test],
      ] as const
    )
      .filter(([, p]) => p.rows > 0)
      .map(([name, p]) => `${name} ${day(p.minDate)} → ${day(p.maxDate)}`);
    lines.push(`Dates: ${parts.join('; ')}`);
  }
  if (summary.grouped) {
    const g = summary.grouped.groups;
    lines.push(
      `Groups: train ${int(g.train)}, validation ${int(g.valid)}, test ${int(g.test)} (no group in two parts)`,
    );
  }
  lines.push(...summary.warnings);
  return lines;
}
