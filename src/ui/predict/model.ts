/**
 * Pure helpers of the predict panel (no DOM): the record a form edits, one prediction with its
 * explanation folded onto input columns (as server/predict.ts does), the waterfall steps
 * (base → each input's contribution → output, in raw-output space) and the `curl` command for the
 * companion server.
 */
import type { RecordExplanation } from '../../../workers/eval.api.ts';
import type { LoadedModel, ModelArtifact, RecordPrediction } from '../../core/ml/artifact.ts';
import type { TextTerms } from '../../core/eval/terms.ts';
import type { InputField, RecordWarning } from '../../core/ml/pipeline/index.ts';

export interface WaterfallStep {
  /** Input column (or `base` / `output`; for a `term` step: `column: 'term'`). */
  label: string;
  /** Signed contribution (for `base` / `output`: the value itself). */
  value: number;
  /** Running total before and after this step. */
  start: number;
  end: number;
  /**
   * `term`: one part of the text column just above it (a present term, or the other / absent terms);
   * term steps split that column's bar (they run from its start to its end) and do not add to the total.
   */
  kind: 'base' | 'up' | 'down' | 'output' | 'term';
  /** `term` steps: the text column they belong to, and the term (absent for the remainder rows). */
  column?: string;
  term?: string;
}

export interface Waterfall {
  /** `log-odds` (binary), `margin` (multiclass: of `class`), `value` (regression). */
  space: 'log-odds' | 'margin' | 'value';
  class?: string;
  base: number;
  /** Per input column, largest |value| first. */
  contributions: { feature: string; value: number }[];
  /** Text columns split per term (src/core/eval/terms.ts); absent when the model has no text column. */
  terms?: TextTerms[];
  /** base + Σ contributions. */
  output: number;
  steps: WaterfallStep[];
}

export interface PanelResult {
  prediction: RecordPrediction;
  warnings: RecordWarning[];
  waterfall?: Waterfall;
}

/** A raw value from the data worker (Arrow → JS) → a JSON value the server accepts for this field. */
export function fromTable(field: InputField, v: unknown): unknown {
  if (v === null || v === undefined) return null;
  if (typeof v === 'bigint') return Number(v);
  if (v instanceof Date) {
    if (Number.isNaN(v.getTime())) return null;
    return /^DATE$/i.test(field.type) ? v.toISOString().slice(0, 10) : v.toISOString();
  }
  if (typeof v === 'number' && !Number.isFinite(v)) return null;
  if (
    field.kind === 'categorical' &&
    typeof v !== 'string' &&
    typeof v !== 'number' &&
    typeof v !== 'boolean'
  )
    return String(v);
  if (field.kind === 'text' && typeof v !== 'string') return String(v);
  return v;
}

/** A starting record: the middle of each numeric range, the most frequent category, … */
export function defaultRecord(schema: InputField[]): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const f of schema) {
    if (f.kind === 'numeric') {
      const mid = f.min !== undefined && f.max !== undefined ? (f.min + f.max) / 2 : (f.min ?? f.max ?? 0);
      out[f.name] = /INT/i.test(f.type) ? Math.round(mid) : Number(mid.toPrecision(6));
    } else if (f.kind === 'categorical') out[f.name] = f.categories?.[0] ?? (f.nullable ? null : '');
    else if (f.kind === 'boolean') out[f.name] = false;
    else if (f.kind === 'datetime') {
      const t = f.min !== undefined && f.max !== undefined ? (f.min + f.max) / 2 : Date.UTC(2020, 0, 1);
      out[f.name] = /^DATE$/i.test(f.type)
        ? new Date(t).toISOString().slice(0, 10)
        : new Date(t).toISOString();
    } else out[f.name] = '';
  }
  return out;
}

/** Keep only the schema's fields (in schema order), filling absent ones from `fallback`. */
export function alignRecord(
  schema: InputField[],
  record: Record<string, unknown> | undefined,
  fallback: Record<string, unknown>,
): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const f of schema)
    out[f.name] = record && Object.hasOwn(record, f.name) ? record[f.name] : fallback[f.name];
  return out;
}

/**
 * The request body the server would get: null fields that training never saw missing are left out
 * (the server requires them; `refused` lists them so the panel can say so).
 */
export function requestRecord(
  schema: InputField[],
  record: Record<string, unknown>,
): { body: Record<string, unknown>; refused: string[] } {
  const body: Record<string, unknown> = {};
  const refused: string[] = [];
  for (const f of schema) {
    const v = record[f.name];
    if (v === null || v === undefined || (typeof v === 'number' && !Number.isFinite(v))) {
      if (f.nullable) body[f.name] = null;
      else refused.push(f.name);
      continue;
    }
    body[f.name] = v;
  }
  return { body, refused };
}

/** Sum per-encoded-feature values onto their input columns (schema order). */
export function foldOntoInputs(
  values: ArrayLike<number>,
  sources: readonly string[],
  inputs: readonly string[],
): Map<string, number> {
  const out = new Map<string, number>(inputs.map((n) => [n, 0]));
  for (let j = 0; j < values.length; j++) out.set(sources[j], (out.get(sources[j]) ?? 0) + values[j]);
  return out;
}

/** Quote a term for a label: `'space'` (char n-grams show their padding as `·`). */
export const quoteTerm = (t: string): string =>
  `'${t.replace(/ /g, (_m, i: number, all: string) => (i === 0 || i === all.length - 1 ? '·' : ' '))}'`;

/**
 * Waterfall steps: base → each input column (largest |value| first) → output. A text column with
 * `terms` is followed by up to `termsShown` steps for its largest present terms, then one for the other
 * present terms and one for the terms not in the text (each when not zero), all within that column's
 * bar: they start where the column starts and end where it ends.
 */
export function waterfallOf(
  base: number,
  folded: Map<string, number>,
  space: Waterfall['space'],
  cls?: string,
  terms?: TextTerms[],
  termsShown = 5,
): Waterfall {
  const contributions = [...folded]
    .map(([feature, value]) => ({ feature, value }))
    .sort((a, b) => Math.abs(b.value) - Math.abs(a.value) || a.feature.localeCompare(b.feature));
  const steps: WaterfallStep[] = [{ label: 'base', value: base, start: 0, end: base, kind: 'base' }];
  let acc = base;
  const byColumn = new Map((terms ?? []).map((t) => [t.column, t]));
  for (const c of contributions) {
    steps.push({
      label: c.feature,
      value: c.value,
      start: acc,
      end: acc + c.value,
      kind: c.value >= 0 ? 'up' : 'down',
    });
    const t = byColumn.get(c.feature);
    if (t) {
      let sub = acc;
      const shown = t.terms.slice(0, termsShown);
      for (const term of shown) {
        steps.push({
          label: `${c.feature}: ${quoteTerm(term.term)}`,
          value: term.value,
          start: sub,
          end: sub + term.value,
          kind: 'term',
          column: c.feature,
          term: term.term,
        });
        sub += term.value;
      }
      // The rest, so the term rows end where the column's bar ends: the present terms not shown, then
      // the vocabulary terms the text does not contain (their absence counts too).
      const hidden = t.present - shown.length;
      const rest = [
        [hidden > 0 ? `${hidden} more term${hidden > 1 ? 's' : ''}` : '', c.value - (sub - acc) - t.absent],
        ['terms not in the text', t.absent],
      ] as const;
      for (const [what, value] of rest) {
        if (!what || Math.abs(value) <= 1e-12 * Math.max(1, Math.abs(c.value))) continue;
        steps.push({
          label: `${c.feature}: ${what}`,
          value,
          start: sub,
          end: sub + value,
          kind: 'term',
          column: c.feature,
        });
        sub += value;
      }
    }
    acc += c.value;
  }
  steps.push({ label: 'output', value: acc, start: 0, end: acc, kind: 'output' });
  return {
    space,
    ...(cls !== undefined ? { class: cls } : {}),
    base,
    contributions,
    ...(terms?.length ? { terms } : {}),
    output: acc,
    steps,
  };
}

/** Predict one record with a loaded model (the same call the server makes); no explanation. */
export async function predictRecord(
  model: LoadedModel,
  record: Record<string, unknown>,
): Promise<PanelResult> {
  const [r] = await model.predictRecords([record]);
  return { prediction: r.prediction, warnings: r.warnings };
}

/**
 * Explains one record elsewhere (the evaluation worker: src/core/eval/evalClient.ts `explainInWorker`),
 * answering contributions already folded onto input columns.
 */
export type RecordExplainer = (
  artifact: ModelArtifact,
  record: Record<string, unknown>,
  opts: { classIndex: number; terms: number },
) => Promise<RecordExplanation>;

/**
 * The waterfall of one predicted record, or undefined when the family has no explanation. With
 * `explainer` the explanation is computed there (the panel does so for MLPs, whose sampled SHAP takes
 * seconds); else here with `model.explainRecord`. Both fold the same per-feature values in the same order.
 */
export async function explainOne(
  model: LoadedModel,
  record: Record<string, unknown>,
  prediction: RecordPrediction,
  explainer?: RecordExplainer,
): Promise<Waterfall | undefined> {
  if (!model.explainRecord) return undefined;
  const a = model.artifact;
  const classIndex = Math.max(
    0,
    a.task === 'multiclass' && prediction.label !== undefined
      ? (a.classes ?? []).indexOf(prediction.label)
      : 0,
  );
  const inputs = a.inputSchema.map((f) => f.name);
  let base: number;
  let folded: Map<string, number>;
  let terms: TextTerms[] | undefined;
  if (explainer) {
    const e = await explainer(a, record, { classIndex, terms: 10 });
    base = e.base;
    folded = new Map(inputs.map((n) => [n, e.contributions[n] ?? 0]));
    terms = e.terms;
  } else {
    const e = await model.explainRecord(record, { classIndex, terms: 10 });
    base = e.base;
    folded = foldOntoInputs(
      e.values,
      e.features.map((f) => f.source),
      inputs,
    );
    terms = e.terms;
  }
  const space = a.task === 'binary' ? 'log-odds' : a.task === 'multiclass' ? 'margin' : 'value';
  return waterfallOf(base, folded, space, a.task === 'multiclass' ? prediction.label : undefined, terms);
}

/** Predict and explain one record with a loaded model, both here (the same calls the server makes). */
export async function predictOne(model: LoadedModel, record: Record<string, unknown>): Promise<PanelResult> {
  const out = await predictRecord(model, record);
  const waterfall = await explainOne(model, record, out.prediction);
  return waterfall ? { ...out, waterfall } : out;
}

/** Quote for a POSIX shell: '…' with embedded ' as '\''. */
export const shellQuote = (s: string): string => `'${s.replace(/'/g, `'\\''`)}'`;

export function curlCommand(origin: string, name: string, body: Record<string, unknown>): string {
  const url = `${origin.replace(/\/+$/, '')}/v1/models/${encodeURIComponent(name)}/predict`;
  return `curl -X POST ${url} -H 'Content-Type: application/json' -d ${shellQuote(JSON.stringify(body))}`;
}

/** Parse the curl command this module writes back into url + body (for tests and sanity checks). */
export function parseCurl(cmd: string): { url: string; body: string } | undefined {
  const m = /^curl -X POST (\S+) -H 'Content-Type: application\/json' -d '((?:[^']|'\\'')*)'$/.exec(cmd);
  return m ? { url: m[1], body: m[2].replace(/'\\''/g, "'") } : undefined;
}
