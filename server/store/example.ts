/**
 * An example request record for a model, used by /openapi.json. An artifact may carry one real
 * training record as a top-level `example` (kept when it validates); otherwise one is synthesised from
 * the training summary: the median (the 50 % quantile edge) of numeric and datetime columns, the most
 * frequent level of categoricals, the majority of booleans, a placeholder for text.
 */
import type { ModelArtifact } from '../../src/core/ml/artifact.ts';

export function synthesiseExample(artifact: ModelArtifact): Record<string, unknown> {
  const summary = new Map(artifact.trainingSummary.columns.map((c) => [c.name, c] as const));
  const out: Record<string, unknown> = {};
  for (const f of artifact.inputSchema) {
    const s = summary.get(f.name) as
      | { edges?: number[]; trueRate?: number; top?: { level: string }[] }
      | undefined;
    const median = s?.edges && s.edges.length >= 11 ? s.edges[5] : undefined;
    switch (f.kind) {
      case 'numeric': {
        const v = median ?? (f.min !== undefined && f.max !== undefined ? (f.min + f.max) / 2 : 0);
        out[f.name] = Number.isFinite(v) ? Number(v.toPrecision(6)) : 0;
        break;
      }
      case 'datetime': {
        const v = median ?? f.min ?? Date.UTC(2024, 0, 1);
        out[f.name] = new Date(Number.isFinite(v) ? v : Date.UTC(2024, 0, 1)).toISOString();
        break;
      }
      case 'categorical':
        out[f.name] = f.categories?.[0] ?? s?.top?.[0]?.level ?? 'example';
        break;
      case 'boolean':
        out[f.name] = (s?.trueRate ?? 0) >= 0.5;
        break;
      default:
        out[f.name] = 'example text';
    }
  }
  return out;
}
