/**
 * The evaluation worker: `evaluateArtifact` (src/core/eval) on a table sent as Arrow, exposed over
 * comlink as `EvalApi` (./eval.api.ts). TF.js is loaded only for an MLP artifact, on its WASM backend
 * (single-threaded build, binaries served from our own build, as in the training worker), else CPU:
 * evaluation is batch inference, where WASM is the fast and predictable choice on any machine.
 */
import wasmPlain from '@tensorflow/tfjs-backend-wasm/dist/tfjs-backend-wasm.wasm?url';
import wasmSimd from '@tensorflow/tfjs-backend-wasm/dist/tfjs-backend-wasm-simd.wasm?url';
import wasmThreaded from '@tensorflow/tfjs-backend-wasm/dist/tfjs-backend-wasm-threaded-simd.wasm?url';
import * as Comlink from 'comlink';
import { evaluateArtifact } from '../src/core/eval/evaluate.ts';
import { foldBySource } from '../src/core/eval/explain.ts';
import { ModelCache } from '../src/core/eval/modelCache.ts';
import { type LoadedModel, loadArtifact } from '../src/core/ml/artifact.ts';
import { columnarFromArrow } from '../src/core/ml/arrowTable.ts';
import type { EvalApi, EvalProgress, RecordExplanation } from './eval.api.ts';

/** Stages `evaluateArtifact` reports through `onStage`, in order (for the step counter). */
const STAGES = [
  'loading the model',
  'predicting',
  'bootstrapping the metrics',
  'slicing',
  'explaining',
  'permutation importance',
];

let tfReady: Promise<void> | undefined;
let tfBackend = 'none';
/** TF.js for the MLP family (it imports '@tensorflow/tfjs' itself): WASM, else CPU. */
function ensureTf(): Promise<void> {
  tfReady ??= (async () => {
    const tf = await import('@tensorflow/tfjs');
    const { setWasmPaths } = await import('@tensorflow/tfjs-backend-wasm');
    tf.env().set('WASM_HAS_MULTITHREAD_SUPPORT', false);
    setWasmPaths({
      'tfjs-backend-wasm.wasm': wasmPlain,
      'tfjs-backend-wasm-simd.wasm': wasmSimd,
      'tfjs-backend-wasm-threaded-simd.wasm': wasmThreaded,
    });
    try {
      if (!(await tf.setBackend('wasm'))) throw new Error('wasm backend did not start');
      await tf.ready();
    } catch {
      await tf.setBackend('cpu');
      await tf.ready();
    }
    tfBackend = tf.getBackend();
  })();
  return tfReady;
}

const running = new Map<string, AbortController>();

const disposeModel = (m: LoadedModel) => (m.model as { dispose?: () => void }).dispose?.();
/** Loaded models of the predict panel's explanations, by artifact hash (see `explainRecords`). */
const models = new ModelCache<LoadedModel>(2, disposeModel);

const api: EvalApi = {
  async evaluate(request, onProgress) {
    if (running.has(request.id)) throw new Error(`Evaluation "${request.id}" is already running.`);
    const ctl = new AbortController();
    running.set(request.id, ctl);
    const t0 = performance.now();
    try {
      const { arrow, types, id, ...args } = request;
      if (args.artifact.model.family === 'mlp') await ensureTf();
      const table = columnarFromArrow(arrow, types);
      return await evaluateArtifact({
        ...args,
        table,
        signal: ctl.signal,
        onStage: (stage) => {
          const event: EvalProgress = {
            id,
            stage,
            step: STAGES.indexOf(stage) + 1 || STAGES.length,
            total: STAGES.length,
            elapsedMs: Math.round(performance.now() - t0),
          };
          // A comlink proxy: fire and forget (the page may have gone away).
          void Promise.resolve(onProgress?.(event)).catch(() => undefined);
        },
      });
    } catch (e) {
      if (ctl.signal.aborted) {
        const err = new Error('Evaluation cancelled');
        err.name = 'AbortError';
        throw err;
      }
      throw e;
    } finally {
      running.delete(request.id);
    }
  },
  async cancel(id) {
    const ctl = running.get(id);
    ctl?.abort();
    return Boolean(ctl);
  },
  async explainRecords(artifact, records, opts = {}) {
    if (artifact.model.family === 'mlp') await ensureTf();
    const key = opts.modelKey;
    const cached = key !== undefined && models.has(key);
    const tLoad = performance.now();
    const m =
      key !== undefined ? await models.get(key, () => loadArtifact(artifact)) : await loadArtifact(artifact);
    const loadMs = cached ? 0 : performance.now() - tLoad;
    if (!m.explainRecord) throw new Error(`The ${artifact.model.family} model has no explanation.`);
    const explainRecord = m.explainRecord.bind(m);
    const classIndex = opts.classIndex;
    const explain = (rec: Record<string, unknown>, o: { terms?: number }) =>
      explainRecord(rec, classIndex !== undefined ? { ...o, classIndex } : o);
    const warmup = Math.min(opts.warmup ?? 0, records.length);
    for (let i = 0; i < warmup; i++) await explain(records[i], { terms: opts.terms });
    const explanations: RecordExplanation[] = [];
    const msPerRecord: number[] = [];
    for (const rec of records) {
      const t0 = performance.now();
      const e = await explain(rec, { terms: opts.terms });
      msPerRecord.push(performance.now() - t0);
      explanations.push({
        base: e.base,
        contributions: foldBySource(e.features, e.values),
        ...(e.terms ? { terms: e.terms } : {}),
        ...(e.errorBound !== undefined ? { errorBound: e.errorBound } : {}),
      });
    }
    if (key === undefined) disposeModel(m);
    return {
      explanations,
      msPerRecord,
      backend: artifact.model.family === 'mlp' ? tfBackend : 'js',
      cached,
      loadMs,
    };
  },
};

Comlink.expose(api);
