/**
 * Main-thread handle on the evaluation worker (workers/eval.worker.ts): `evaluateInWorker` sends the
 * table (Arrow bytes, transferred) and the artifact, relays stage progress, and honours Cancel by
 * terminating the worker at once (a stage such as 1,000 bootstrap resamples runs synchronously in the
 * worker, so a cooperative flag alone would wait for it). A finished worker is kept for the next
 * evaluation (TF.js stays loaded); a cancelled one is replaced by a fresh one next time. Concurrent
 * evaluations get one worker each, so cancelling one does not stop another.
 */
import * as Comlink from 'comlink';
import type { EvalApi, EvalProgress, EvalRequest } from '../../../workers/eval.api.ts';
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
