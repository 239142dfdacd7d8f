/**
 * Live training state, keyed by train-cell id: the run id, the backend, progress (step / total, time
 * left) and the loss curve as it grows. The train cell (src/cells/train.ts) writes it from the training
 * worker's progress events; the view (src/ui/cells/TrainView.svelte) draws it. Also a version counter
 * the runs table watches to reload after a run is stored, deleted or uploaded.
 */
import type { LossPoint } from '../core/ml/types.ts';
import type { BackendInfo, TrainProgress } from '../../workers/train.api.ts';

export type TrainingPhase = 'preparing' | 'training' | 'saving' | 'done' | 'cancelled' | 'error';

export interface LiveTraining {
  runId: string;
  phase: TrainingPhase;
  /** performance.now() when the cell started. */
  startedAt: number;
  /** ms the worker has been training (from its progress events). */
  elapsedMs: number;
  step: number;
  total: number;
  message?: string;
  /** During a hyperparameter search: the trial being fitted (1-based) and the number of trials. */
  trial?: number;
  trials?: number;
  backend?: BackendInfo;
  /** Loss curve of the current fit (of the current trial during a search). */
  points: LossPoint[];
}

class TrainingState {
  live = $state<Record<string, LiveTraining>>({});
  /** Bumped whenever the runs store changes. */
  runsVersion = $state(0);
  /** Cells whose next run must train even when an identical stored run exists (the Train button). */
  private force = new Set<string>();

  start(cellId: string, runId: string): void {
    this.live[cellId] = {
      runId,
      phase: 'preparing',
      startedAt: performance.now(),
      elapsedMs: 0,
      step: 0,
      total: 0,
      points: [],
    };
  }

  setBackend(cellId: string, backend: BackendInfo): void {
    const l = this.live[cellId];
    if (l) l.backend = backend;
  }

  setPhase(cellId: string, phase: TrainingPhase, message?: string): void {
    const l = this.live[cellId];
    if (!l) return;
    l.phase = phase;
    if (message !== undefined) l.message = message;
  }

  progress(cellId: string, p: TrainProgress): void {
    const l = this.live[cellId];
    if (!l || l.runId !== p.runId) return;
    l.phase = 'training';
    if (p.trial !== undefined && p.trial !== l.trial) l.points = [];
    l.trial = p.trial;
    l.trials = p.trials;
    l.step = p.step;
    l.total = p.total;
    l.elapsedMs = p.elapsedMs;
    if (p.message !== undefined) l.message = p.message;
    if (p.trainLoss !== undefined && Number.isFinite(p.trainLoss)) {
      const point: LossPoint = { step: p.step, train: p.trainLoss };
      if (p.validLoss !== undefined && Number.isFinite(p.validLoss)) point.valid = p.validLoss;
      const last = l.points.at(-1);
      if (last && last.step === p.step) l.points[l.points.length - 1] = point;
      else l.points.push(point);
    }
  }

  /** The Train button: the next run of this cell trains even if an identical run is stored. */
  requestTrain(cellId: string): void {
    this.force.add(cellId);
  }

  /** Consumed by the cell's run. */
  takeForce(cellId: string): boolean {
    return this.force.delete(cellId);
  }

  runsChanged(): void {
    this.runsVersion++;
  }
}

export const training = new TrainingState();

/** Estimated ms left from the steps done so far (an upper bound: early stopping may end sooner). */
export function timeLeftMs(l: LiveTraining): number | undefined {
  if (l.step <= 0 || l.total <= 0 || l.elapsedMs <= 0) return undefined;
  if (l.trial !== undefined && l.trials !== undefined && l.trials > 0) {
    // A search: the share done counts whole trials (a trial may stop early: an estimate).
    const done = (l.trial - 1 + Math.min(1, l.step / l.total)) / l.trials;
    return done > 0 && done < 1 ? (l.elapsedMs * (1 - done)) / done : undefined;
  }
  if (l.step >= l.total) return undefined;
  return (l.elapsedMs / l.step) * (l.total - l.step);
}
