/**
 * GBDT state ⇄ JSON. The state holds only plain numbers/arrays/strings, so `JSON.stringify` /
 * `JSON.parse` round-trips it exactly (doubles print with enough digits to read back bit-equal),
 * and a loaded model predicts identically.
 */
import type { LossPoint, Task } from '../types.ts';
import type { Tree } from './tree.ts';

export interface GbdtState {
  format: 'benchtop-gbdt';
  version: 1;
  task: Task;
  /** Trees per round: classes for multiclass, else 1. Tree t belongs to class t % k. */
  k: number;
  nFeatures: number;
  featureNames: string[];
  /** Initial raw score per class (log-odds / log prior / mean). */
  init: number[];
  trees: Tree[];
  /** Boosting rounds kept (best iteration with early stopping). */
  rounds: number;
  lossCurve: LossPoint[];
  /** The hyperparameters it was trained with (informational). */
  params: Record<string, unknown>;
}

const TREE_KEYS = ['feature', 'threshold', 'defaultLeft', 'left', 'right', 'value', 'cover'] as const;

/** Check a parsed state's shape; throws with a precise message when it is not a GBDT state. */
export function validateState(s: unknown): GbdtState {
  const st = s as Partial<GbdtState> | null;
  if (st?.format !== 'benchtop-gbdt') throw new Error('Not a Benchtop GBDT state');
  if (st.version !== 1) throw new Error(`Unsupported GBDT state version ${String(st.version)}`);
  if (!Array.isArray(st.trees) || !Array.isArray(st.init)) throw new Error('GBDT state: missing trees/init');
  if (typeof st.k !== 'number' || st.init.length !== st.k) throw new Error('GBDT state: bad k/init');
  st.trees.forEach((t, i) => {
    const n = t?.feature?.length;
    if (typeof n !== 'number' || n < 1) throw new Error(`GBDT state: tree ${i} has no nodes`);
    for (const key of TREE_KEYS) {
      if (!Array.isArray(t[key]) || t[key].length !== n) throw new Error(`GBDT state: tree ${i}.${key}`);
    }
    if (!Array.isArray(t.catLeft) || t.catLeft.length !== n) throw new Error(`GBDT state: tree ${i}.catLeft`);
    for (let j = 0; j < n; j++) {
      const l = t.left[j];
      const r = t.right[j];
      if (l >= 0 && (l >= n || r < 0 || r >= n || l <= j || r <= j)) {
        throw new Error(`GBDT state: tree ${i} node ${j} has bad children`);
      }
    }
  });
  return st as GbdtState;
}

export function stateToJson(state: GbdtState): string {
  return JSON.stringify(state);
}

export function stateFromJson(json: string): GbdtState {
  return validateState(JSON.parse(json));
}
