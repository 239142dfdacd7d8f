/**
 * Live progress of running evaluations, per evaluate cell (rune state): the stage the evaluation
 * worker reports (workers/eval.api.ts `EvalProgress`), shown by the evaluate view while the cell runs.
 */
import type { EvalProgress } from '../../../workers/eval.api.ts';

class EvalProgressState {
  live = $state<Record<string, EvalProgress | undefined>>({});

  set(cellId: string, p: EvalProgress): void {
    this.live[cellId] = { ...p };
  }

  clear(cellId: string): void {
    delete this.live[cellId];
  }
}

export const evalProgress = new EvalProgressState();
