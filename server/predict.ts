/**
 * Predictions with explanations for validated records, through the SAME `LoadedModel` the browser
 * uses (src/core/ml/artifact.ts): `encodeRecords` (pipeline.transformRecord per row), the family's
 * `predict` on the whole batch, and the family's `explain` (GBDT: TreeSHAP; linear: exact) per row.
 *
 * Contributions are per INPUT column: the encoded features' values are summed by `FeatureInfo.source`
 * (one-hot levels, `__missing` indicators, datetime parts, TF-IDF terms fold onto their column), so
 * `base + Σ contributions = the raw output` (log-odds for binary, the explained class's margin for
 * multiclass, the value for regression). The top k by absolute value are returned, plus `rest`, the sum
 * of the others, so the identity still holds.
 */
import { describePrediction } from '../src/core/ml/artifact.ts';
import type { RecordWarning } from '../src/core/ml/pipeline/index.ts';
import { type ExplainHint, inThreadExplainer, type RowExplainer } from './explainPool.ts';
import type { DeployedModel } from './store/store.ts';

export type PredictionBody =
  | { label: string; probability: number; probabilities: Record<string, number> }
  | { label: string; probabilities: Record<string, number> }
  | { value: number };

export interface Contribution {
  feature: string;
  value: number;
}

export interface ExplanationBody {
  /** The model's expected raw output (over the training data). */
  base: number;
  /** `log-odds` (binary), `margin` (multiclass: of `class`), `value` (regression). */
  space: 'log-odds' | 'margin' | 'value';
  /** Multiclass: the class explained (the predicted one). */
  class?: string;
  /** Top k input columns by |contribution|, signed, largest first. */
  contributions: Contribution[];
  /** Sum of the contributions not listed. */
  rest: number;
}

export interface RowResult {
  prediction: PredictionBody;
  explanation?: ExplanationBody;
  warnings: RecordWarning[];
}

export interface PredictOutcome {
  results: RowResult[];
  /** Raw model outputs per row (for the monitor and metrics). */
  outputs: number[][];
}

/** Sum per-encoded-feature values onto their source columns, in input-schema order. */
export function foldContributions(
  values: ArrayLike<number>,
  sources: readonly string[],
  inputs: readonly string[],
): Map<string, number> {
  const out = new Map<string, number>(inputs.map((n) => [n, 0]));
  for (let j = 0; j < values.length; j++) out.set(sources[j], (out.get(sources[j]) ?? 0) + values[j]);
  return out;
}

export function topContributions(
  folded: Map<string, number>,
  k: number,
): { contributions: Contribution[]; rest: number } {
  const all = [...folded].map(([feature, value]) => ({ feature, value }));
  all.sort(byMagnitude);
  const contributions = all.slice(0, k);
  let rest = 0;
  for (const c of all.slice(k)) rest += c.value;
  return { contributions, rest };
}

/** Largest |value| first; ties by name, so equal contributions always list in the same order. */
const byMagnitude = (a: Contribution, b: Contribution): number =>
  Math.abs(b.value) - Math.abs(a.value) || a.feature.localeCompare(b.feature);

/**
 * Per model version, derived once (not per request): each encoded feature's input column and the
 * column names. Like `foldContributions`: every input is listed (0 when nothing folds onto it), and a
 * source that is not an input (not expected from a loaded artifact) is kept after them.
 */
interface FoldPlan {
  inputs: string[];
  /** Encoded feature j → its column in `inputs` (input names, then any other source names in order). */
  column: Int32Array;
}

const plans = new WeakMap<DeployedModel['loaded'], FoldPlan>();

function foldPlan(m: DeployedModel): FoldPlan {
  let plan = plans.get(m.loaded);
  if (plan) return plan;
  const inputs = m.artifact.inputSchema.map((f) => f.name);
  const index = new Map(inputs.map((n, i) => [n, i]));
  const extra: string[] = [];
  const column = Int32Array.from(m.loaded.features, (f) => {
    let i = index.get(f.source);
    if (i === undefined) {
      i = inputs.length + extra.length;
      index.set(f.source, i);
      extra.push(f.source);
    }
    return i;
  });
  plan = { inputs: [...inputs, ...extra], column };
  plans.set(m.loaded, plan);
  return plan;
}

/** foldContributions + topContributions without the Map: same values, same order, same `rest`. */
function explainTop(
  plan: FoldPlan,
  values: ArrayLike<number>,
  k: number,
): { contributions: Contribution[]; rest: number } {
  const folded = new Float64Array(plan.inputs.length);
  const column = plan.column;
  for (let j = 0; j < values.length; j++) folded[column[j]] += values[j];
  const all: Contribution[] = plan.inputs.map((feature, i) => ({ feature, value: folded[i] }));
  all.sort(byMagnitude);
  let rest = 0;
  for (let i = k; i < all.length; i++) rest += all[i].value;
  all.length = Math.min(k, all.length);
  return { contributions: all, rest };
}

/**
 * `explainer`: where the explanations are computed (server/explainPool.ts: worker threads for GBDT, or
 * this thread), `hint` what the caller knows of the load; the values are the same either way.
 */
export async function predictRows(
  m: DeployedModel,
  rows: Record<string, unknown>[],
  topK: number,
  explainer: RowExplainer = inThreadExplainer,
  hint: ExplainHint = {},
): Promise<PredictOutcome> {
  const { loaded, artifact } = m;
  const { X, warnings } = loaded.encodeRecords(rows);
  const p = await loaded.predictMatrix(X);
  const results: RowResult[] = [];
  const outputs: number[][] = [];
  const classIndex = new Int32Array(rows.length);
  for (let i = 0; i < rows.length; i++) {
    const d = describePrediction(artifact.task, p, i, artifact.classes);
    outputs.push(d.output);
    let prediction: PredictionBody;
    if (artifact.task === 'regression') prediction = { value: d.value! };
    else if (artifact.task === 'binary') {
      prediction = { label: d.label!, probability: d.output[0], probabilities: d.probabilities! };
    } else {
      prediction = { label: d.label!, probabilities: d.probabilities! };
      classIndex[i] = artifact.classes!.indexOf(d.label!);
    }
    results.push({ prediction, warnings: warnings[i] });
  }
  if (topK > 0 && loaded.model.explain) {
    const explanations = await explainer.explain(m, X, classIndex, hint);
    const plan = foldPlan(m);
    const space =
      artifact.task === 'binary' ? 'log-odds' : artifact.task === 'multiclass' ? 'margin' : 'value';
    for (let i = 0; i < rows.length; i++) {
      const e = explanations[i];
      const { contributions, rest } = explainTop(plan, e.values, topK);
      results[i].explanation = {
        base: e.base,
        space,
        ...(artifact.task === 'multiclass'
          ? { class: (results[i].prediction as { label: string }).label }
          : {}),
        contributions,
        rest,
      };
    }
  }
  return { results, outputs };
}

/**
 * One explained prediction of the model's own example, before the model takes traffic: builds the
 * per-model caches (fold plan, TreeSHAP leaf tables, in this thread and in the explainer's threads) and
 * warms the JIT, so the first requests after a deploy are not the slow ones. A failure is left for real
 * requests to report.
 */
export async function warmUp(m: DeployedModel, explainer: RowExplainer = inThreadExplainer): Promise<void> {
  try {
    await predictRows(m, [m.example], 1);
    if (m.loaded.model.explain) await explainer.warm(m, m.loaded.encodeRecords([m.example]).X);
  } catch {
    /* the same error reaches the first request that hits it */
  }
}
