/**
 * Per-term contributions of text columns, pure (no DOM; imports only types, so the model artifact
 * module can use it without a runtime cycle).
 *
 * A text column is encoded as one TF-IDF feature per vocabulary term (`FeatureInfo.term`,
 * `FeatureInfo.source` = the column). An explainer that works per encoded feature (TreeSHAP, the exact
 * linear contributions, the MLP's permutation SHAP) gives one value per term; the column's
 * contribution is their sum. Here they are split into:
 * - the terms PRESENT in the row (non-zero TF-IDF weight), largest |value| first, the top `top` listed;
 * - `otherPresent`: the sum over the present terms not listed;
 * - `absent`: the sum over vocabulary terms the row does not contain. Their absence moves the output
 *   too — a tree splits on "weight of 'space' ≤ t", a linear model is centred on the training mean of
 *   each term's weight — so leaving it out would break the identity
 *   Σ terms + otherPresent + absent = the column's contribution (exactly: the same numbers summed).
 */
import type { FeatureInfo } from '../ml/types.ts';

export interface TermContribution {
  /** The term as shown (`space`, `space opera`; char n-grams keep their padding spaces). */
  term: string;
  /** `char` for character n-grams, `word` for word n-grams. */
  kind: 'word' | 'char';
  /** Signed contribution to the raw output (same space as the column's contribution). */
  value: number;
  /** The term's TF-IDF weight in the row (the encoded value). */
  weight: number;
}

export interface TextTerms {
  /** The text input column. */
  column: string;
  /** The column's contribution: Σ terms + otherPresent + absent. */
  total: number;
  /** Present terms, |value| descending (ties: by term), at most `top`. */
  terms: TermContribution[];
  /** Number of vocabulary terms present in the row. */
  present: number;
  /** Sum over the present terms not listed in `terms`. */
  otherPresent: number;
  /** Sum over the vocabulary terms absent from the row. */
  absent: number;
}

/** Whether an encoded feature is a TF-IDF term of a text column. */
export const isTermFeature = (f: FeatureInfo): boolean => f.term !== undefined;

/**
 * Per-term contributions of each text column of one row.
 * `features`/`values`: the encoded features and one contribution per feature (same order);
 * `row`: the row's encoded values (presence = non-zero weight). Columns in first-seen feature order.
 */
export function termContributions(
  features: readonly FeatureInfo[],
  values: ArrayLike<number>,
  row: ArrayLike<number>,
  opts: { top?: number } = {},
): TextTerms[] {
  if (values.length !== features.length || row.length !== features.length)
    throw new Error(
      `termContributions: ${features.length} features, but ${values.length} values and ${row.length} row values.`,
    );
  const top = opts.top ?? 10;
  const byColumn = new Map<string, { all: TermContribution[]; absent: number }>();
  features.forEach((f, j) => {
    if (f.term === undefined) return;
    let c = byColumn.get(f.source);
    if (!c) {
      c = { all: [], absent: 0 };
      byColumn.set(f.source, c);
    }
    const w = row[j];
    if (w !== 0 && !Number.isNaN(w)) {
      const kind = f.name.startsWith(`${f.source}:char:`) ? 'char' : 'word';
      c.all.push({ term: f.term, kind, value: values[j], weight: w });
    } else c.absent += values[j];
  });
  const out: TextTerms[] = [];
  for (const [column, c] of byColumn) {
    c.all.sort((a, b) => Math.abs(b.value) - Math.abs(a.value) || a.term.localeCompare(b.term));
    const terms = c.all.slice(0, Math.max(0, top));
    let otherPresent = 0;
    for (const t of c.all.slice(terms.length)) otherPresent += t.value;
    let total = c.absent + otherPresent;
    for (const t of terms) total += t.value;
    out.push({ column, total, terms, present: c.all.length, otherPresent, absent: c.absent });
  }
  return out;
}
