/**
 * Bench-only page (built by bench/suites/mlp.ts with Vite, served by the real server under the app's
 * CSP): trains Benchtop's MLP in the real training worker (src/core/ml/trainClient.ts →
 * workers/train.worker.ts) on one TF.js backend per fresh worker, and reports the worker's per-epoch
 * progress times, the backend actually used (and the WebGPU adapter it saw) and predictions, as
 * `window.mlpBench`. The table goes to the worker as Arrow IPC, as the data worker would send it.
 */
import { tableToIPC } from 'apache-arrow';
import * as Comlink from 'comlink';
import { createTrainWorker } from '../../src/core/ml/trainClient.ts';
import type { Backend, BackendInfo, TrainProgress, TrainRequest } from '../../workers/train.api.ts';
import { buildArrowTable } from '../../workers/ingest/arrow.ts';
import { syntheticMlpData } from './mlpData.ts';

export interface MlpRunOptions {
  /** Rows in the table (train + validation + test). */
  rows: number;
  /** Shares of the rows (normalised): the train share sets the rows per epoch. */
  fractions: { train: number; valid: number; test: number };
  features: number;
  /** MLP params (src/core/ml/families/mlp.ts). */
  params: Record<string, unknown>;
  /** A first fit of this many epochs on the same worker before the measured one (0 = none). */
  warmupEpochs: number;
  /**
   * Rows of the warm-up fit's table (default `rows`). A few thousand suffice: same batch size, so the
   * same kernels and shaders get compiled, without a full epoch on the slow backends.
   */
  warmupRows?: number;
  /** Records (first rows of the table) to predict with the trained artifact. */
  predictRows: number;
}

export interface MlpRunResult {
  requested: Backend;
  info: BackendInfo;
  /** The backend the worker reports for the measured training. */
  backend: string;
  warmupMs: number;
  /** Progress events of the measured fit (one per epoch; elapsedMs from the worker's start of the run). */
  epochs: { step: number; elapsedMs: number; trainLoss?: number; validLoss?: number }[];
  totalMs: number;
  durationsMs: Record<string, number>;
  trainRows: number;
  predictions: number[];
  /** WebGL2 as seen by this page (`webglInfo`). */
  webgl?: { renderer: string; colorBufferFloat: boolean };
}

function table(opts: MlpRunOptions): {
  arrow: Uint8Array;
  records: Record<string, unknown>[];
  names: string[];
} {
  const d = syntheticMlpData(opts.rows, opts.features);
  const names = Array.from({ length: d.cols }, (_, j) => `x${j}`);
  const cols = names.map((name, j) => ({
    name,
    type: 'DOUBLE' as const,
    values: Float64Array.from({ length: d.rows }, (_, i) => d.x[i * d.cols + j]),
  }));
  cols.push({ name: 'y', type: 'DOUBLE', values: Float64Array.from(d.y) });
  const arrow = tableToIPC(buildArrowTable(cols), 'stream');
  const records = Array.from({ length: Math.min(opts.predictRows, d.rows) }, (_, i) =>
    Object.fromEntries(names.map((n, j) => [n, d.x[i * d.cols + j]])),
  );
  return { arrow, records, names };
}

/**
 * WebGL2 as this page sees it (the worker probes the same way through OffscreenCanvas): the renderer,
 * and whether float32 textures can be rendered to (EXT_color_buffer_float; without it TF.js's webgl
 * backend falls back to float16 textures).
 */
function webglInfo(): { renderer: string; colorBufferFloat: boolean } | undefined {
  const gl = new OffscreenCanvas(1, 1).getContext('webgl2');
  if (!gl) return undefined;
  const ext = gl.getExtension('WEBGL_debug_renderer_info');
  return {
    renderer: String(gl.getParameter(ext ? ext.UNMASKED_RENDERER_WEBGL : gl.RENDERER)),
    colorBufferFloat: gl.getExtension('EXT_color_buffer_float') !== null,
  };
}

async function run(backend: Backend, opts: MlpRunOptions): Promise<MlpRunResult> {
  const w = createTrainWorker();
  try {
    const info = await w.api.init(backend);
    const request = (runId: string, epochs: number, rows = opts.rows): TrainRequest => {
      const { arrow, names } = table({ ...opts, rows });
      return {
        runId,
        arrow,
        types: Object.fromEntries([...names, 'y'].map((n) => [n, 'DOUBLE'])),
        target: 'y',
        task: 'binary',
        featureColumns: names,
        split: { kind: 'random', seed: 1, fractions: opts.fractions },
        family: 'mlp',
        params: { ...opts.params, epochs },
        seed: 0,
      };
    };
    let warmupMs = 0;
    if (opts.warmupEpochs > 0) {
      const r = request('warmup', opts.warmupEpochs, opts.warmupRows ?? opts.rows);
      const t0 = performance.now();
      await w.api.train(Comlink.transfer(r, [r.arrow.buffer]));
      warmupMs = performance.now() - t0;
    }
    const epochs: MlpRunResult['epochs'] = [];
    const r = request('measured', Number(opts.params.epochs));
    const t0 = performance.now();
    const result = await w.api.train(
      Comlink.transfer(r, [r.arrow.buffer]),
      Comlink.proxy((p: TrainProgress) => {
        epochs.push({ step: p.step, elapsedMs: p.elapsedMs, trainLoss: p.trainLoss, validLoss: p.validLoss });
      }),
    );
    const totalMs = performance.now() - t0;
    const { records } = table(opts);
    const predictions = records.length
      ? (await w.api.predict(JSON.stringify(result.artifact), records)).map((x) => x.prediction.output[0])
      : [];
    return {
      requested: backend,
      info,
      backend: result.backend,
      warmupMs,
      epochs,
      totalMs,
      durationsMs: result.durationsMs,
      trainRows: result.artifact.provenance.split.rows.train,
      predictions,
      webgl: webglInfo(),
    };
  } finally {
    w.terminate();
  }
}

const bench = { run };

declare global {
  interface Window {
    mlpBench?: typeof bench;
  }
}
window.mlpBench = bench;
document.getElementById('status')!.textContent = 'ready';
