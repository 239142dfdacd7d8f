/** What a model artifact records about its inputs: the input schema and training distributions. */
import type { ColumnDistribution, FittedPipeline, InputField, SummaryStats } from './types.ts';

/** Input schema per original column (the model artifact's contract with callers). */
export function inputSchema(fitted: FittedPipeline): InputField[] {
  return fitted.columns.map((c) => {
    const f: InputField = { name: c.name, kind: c.kind, type: c.type, nullable: c.missingCount > 0 };
    if (c.kind === 'categorical') f.categories = c.levels.slice(0, 1000);
    if ((c.kind === 'numeric' || c.kind === 'datetime') && c.min !== null && c.max !== null) {
      f.min = c.min;
      f.max = c.max;
    }
    return f;
  });
}

/** Training distribution summaries, for drift monitoring. */
export function summaryStats(fitted: FittedPipeline, topK = 20): SummaryStats {
  const columns = fitted.columns.map((c): ColumnDistribution => {
    const rows = Math.max(1, c.rows);
    const missing = c.missingCount / rows;
    switch (c.kind) {
      case 'numeric':
      case 'datetime':
        return { name: c.name, kind: c.kind, ...structuredClone(c.dist) };
      case 'categorical': {
        const top = c.levels.slice(0, topK).map((level, i) => ({ level, share: c.counts[i] / rows }));
        const inTop = top.reduce((a, t) => a + t.share, 0);
        return { name: c.name, kind: 'categorical', top, other: Math.max(0, 1 - missing - inTop), missing };
      }
      case 'boolean':
        return { name: c.name, kind: 'boolean', trueRate: c.trueRate, missing };
      default:
        return { name: c.name, kind: 'text', meanTokens: c.meanTokens, missing };
    }
  });
  return { rows: fitted.trainRows, columns };
}
