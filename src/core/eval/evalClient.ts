/**
 * Main-thread handle on the evaluation worker (workers/eval.worker.ts): `evaluateInWorker` sends the
 * table (Arrow bytes, transferred) and the artifact, relays stage progress, and honours Cancel by
 * terminating the worker at once (a stage such as 1,000 bootstrap resamples runs synchronously in the
 * worker, so a cooperative flag alone would wait for it). A finished worker is kept for the next
 * evaluation (TF.js stays loaded); a cancelled one is replaced by a fresh one next time. Concurrent
 * evaluations get one worker each, so cancelling one does not stop another.
 */
import * as Comlink from 'comlink';
import type { EvalApi, EvalProgress, EvalRequest, RecordExplanation } from '../../../workers/eval.api.ts';
import { sha256Hex } from '../data/hash.ts';
import type { ModelArtifact } from '../ml/artifact.ts';
import type { Evaluation } from './evaluate.ts';

export interface EvalWorker {
  api: Comlink.Remote<EvalApi>;
  /** Rejects when the worker fails outside a call (a script error, out of memory): comlink would wait forever. */
  failed: Promise<never>;
  isBroken(): boolean;
  terminate(): void;
}

/** A new evaluation worker (the bench drives one directly). */
export function createEvalWorker(): EvalWorker {
  const worker = new Worker(new URL('../../../workers/eval.worker.ts', import.meta.url), {
    type: 'module',
    name: 'benchtop-eval',
  });
  const api = Comlink.wrap<EvalApi>(worker);
  const failed = new Promise<never>((_, reject) => {
    worker.addEventListener('error', (e) => {
      e.preventDefault();
      reject(new Error(`The evaluation worker failed: ${e.message || 'unknown error (out of memory?)'}`));
    });
  });
  let broken = false;
  failed.catch(() => {
    broken = true;
  });
  return {
    api,
    failed,
    isBroken: () => broken,
    terminate() {
      api[Comlink.releaseProxy]();
      worker.terminate();
    },
  };
}

/** At most one idle worker is kept. */
let idle: EvalWorker | undefined;

function abortError(): Error {
  const e = new Error('Evaluation cancelled');
  e.name = 'AbortError';
  return e;
}

/** Evaluate in a worker; rejects with an `AbortError` as soon as `signal` aborts. */
export async function evaluateInWorker(
  request: EvalRequest,
  opts: { signal?: AbortSignal; onProgress?: (p: EvalProgress) => void } = {},
): Promise<Evaluation> {
  const { signal, onProgress } = opts;
  if (signal?.aborted) throw abortError();
  const w = idle ?? createEvalWorker();
  idle = undefined;
  let onAbort: (() => void) | undefined;
  const aborted = new Promise<never>((_, reject) => {
    onAbort = () => {
      w.terminate();
      reject(abortError());
    };
    signal?.addEventListener('abort', onAbort, { once: true });
  });
  try {
    const result = await Promise.race([
      w.api.evaluate(
        Comlink.transfer(request, [request.arrow.buffer]),
        onProgress ? Comlink.proxy(onProgress) : undefined,
      ),
      aborted,
      w.failed,
    ]);
    if (idle) w.terminate();
    else idle = w;
    return result;
  } catch (e) {
    // A failed evaluation leaves a healthy worker, unless the worker itself failed; a cancelled one
    // was terminated.
    const broken = w.isBroken();
    if (!signal?.aborted && !broken && !idle) idle = w;
    else if (!signal?.aborted) w.terminate();
    throw e;
  } finally {
    if (onAbort) signal?.removeEventListener('abort', onAbort);
  }
}

/**
 * The predict panel's explainer: one worker kept for explaining single records (apart from the
 * evaluation workers, so an explanation never waits behind an evaluation). An MLP's sampled SHAP is
 * synchronous TF.js work in the worker, so `signal` (a newer edit) terminates the worker: the stale
 * explanation stops at once and the next one starts on a fresh worker.
 */
let explainer: EvalWorker | undefined;

/** Content hash per artifact object: the explainer worker's model-cache key (hashed once per object). */
const artifactKeys = new WeakMap<ModelArtifact, Promise<string>>();
export function artifactKey(artifact: ModelArtifact): Promise<string> {
  let k = artifactKeys.get(artifact);
  if (!k) {
    k = sha256Hex(new TextEncoder().encode(JSON.stringify(artifact)));
    artifactKeys.set(artifact, k);
  }
  return k;
}

/**
 * Explain one raw record with the artifact's own explainer, in a worker; `AbortError` on `signal`.
 * The worker keeps the loaded model (by content hash) for the next record of the same model.
 */
export async function explainInWorker(
  artifact: ModelArtifact,
  record: Record<string, unknown>,
  opts: { classIndex?: number; terms?: number; signal?: AbortSignal } = {},
): Promise<RecordExplanation> {
  const { signal, ...rest } = opts;
  if (signal?.aborted) throw abortError();
  if (explainer?.isBroken()) {
    explainer.terminate();
    explainer = undefined;
  }
  explainer ??= createEvalWorker();
  const w = explainer;
  let onAbort: (() => void) | undefined;
  const aborted = new Promise<never>((_, reject) => {
    onAbort = () => {
      if (explainer === w) explainer = undefined;
      w.terminate();
      reject(abortError());
    };
    signal?.addEventListener('abort', onAbort, { once: true });
  });
  try {
    const { explanations } = await Promise.race([
      artifactKey(artifact).then((modelKey) =>
        w.api.explainRecords(artifact, [record], { ...rest, modelKey }),
      ),
      aborted,
      w.failed,
    ]);
    return explanations[0];
  } finally {
    if (onAbort) signal?.removeEventListener('abort', onAbort);
  }
}
