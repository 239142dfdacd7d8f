/**
 * Main-thread handle on the training worker (TF.js). Created lazily on first use, so the ~1 MB of
 * TF.js is fetched only when someone trains or predicts. One worker = one backend: to switch backend,
 * `restartWithBackend` terminates the worker and starts a fresh one (TF.js cannot switch reliably in
 * place). A running training is lost on restart.
 */
import * as Comlink from 'comlink';
import type {
  Backend,
  BackendInfo,
  TrainApi,
  TrainProgress,
  TrainRequest,
  TrainResult,
} from '../../../workers/train.api.ts';

export interface TrainWorker {
  api: Comlink.Remote<TrainApi>;
  terminate(): void;
}

/** A new, independent training worker (tests use several at once, one per backend). */
export function createTrainWorker(): TrainWorker {
  const worker = new Worker(new URL('../../../workers/train.worker.ts', import.meta.url), {
    type: 'module',
    name: 'benchtop-train',
  });
  const api = Comlink.wrap<TrainApi>(worker);
  return {
    api,
    terminate() {
      api[Comlink.releaseProxy]();
      worker.terminate();
    },
  };
}

let current: TrainWorker | undefined;
let preferred: Backend | undefined;

/** The shared training worker proxy, started on first use (backend chosen automatically or as last set). */
export function getTrainer(): Comlink.Remote<TrainApi> {
  current ??= createTrainWorker();
  return current.api;
}

/** Initialise (or read) the shared worker's backend. */
export function trainerBackend(): Promise<BackendInfo> {
  return getTrainer().init(preferred);
}

/**
 * Terminate the shared worker and start a fresh one on backend `b` (undefined = automatic choice).
 * Resolves with what the new worker chose (it may fall back, and says why).
 */
export async function restartWithBackend(b?: Backend): Promise<BackendInfo> {
  current?.terminate();
  current = undefined;
  preferred = b;
  return trainerBackend();
}

/**
 * Train on the shared worker: transfers the Arrow bytes (the caller's copy becomes empty) and proxies
 * the progress callback.
 */
export function train(request: TrainRequest, onProgress?: (p: TrainProgress) => void): Promise<TrainResult> {
  const api = getTrainer();
  return api.train(
    Comlink.transfer(request, [request.arrow.buffer]),
    onProgress ? Comlink.proxy(onProgress) : undefined,
  );
}

/** Cancel a run on the shared worker. */
export function cancelTraining(runId: string): Promise<boolean> {
  return getTrainer().cancel(runId);
}
