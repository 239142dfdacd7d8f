/**
 * MLP training speed per TF.js backend: seconds per epoch of Benchtop's MLP family
 * (src/core/ml/families/mlp.ts, the code the training worker runs) on a dense 20 → 64 → 64 → 1 network,
 * 50k rows × 20 numeric features (seeded synthetic binary task), batch 512, 3 epochs, after a 1-epoch
 * warm-up fit on the same backend. Other params are the family's defaults (Adam 1e-3, ReLU, dropout 0.1);
 * no validation set, no early stopping, no explain background.
 *
 * Runs in Node, not in the browser: the built app exposes only `window.benchtop` (src/automation.ts),
 * not the training worker, so the browser backends (webgl, webgpu on SwiftShader) are not measured here;
 * shared/notes/toolchain.md has one measurement of those in a module worker.
 * - `cpu`: @tensorflow/tfjs's plain-JS backend.
 * - `wasm`: @tensorflow/tfjs-backend-wasm, single-threaded (as the worker forces), SIMD when available.
 * - `webgpu`: only when the npm package `webgpu` (Dawn for Node) is installed — it is not a dependency,
 *   so normally skipped with a note; if present it runs on SwiftShader (`VK_ICD_FILENAMES`), last,
 *   because TF.js cannot switch away from webgpu reliably in one process.
 * - `webgl`: no WebGL in Node; skipped.
 *
 * Measurements: `mlp.<backend>.sPerEpoch` (median of the 3 epochs' wall seconds; an epoch is every
 * mini-batch step plus the epoch's loss read-back), CPU seconds per epoch (process CPU / 3, the shared
 * 2-core machine makes wall time noisy), and the final train loss (backends should agree closely).
 * No targets: this records where each backend stands.
 */
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import * as tf from '@tensorflow/tfjs';
import '@tensorflow/tfjs-backend-wasm';
import { mlpFamily } from '../../src/core/ml/families/mlp.ts';
import type { Dataset, FeatureInfo } from '../../src/core/ml/types.ts';
import { median, round } from '../lib/stats.ts';
import type { BenchContext, Measurement, Suite, SuiteResult } from '../lib/types.ts';

const ROWS = Number(process.env.BENCH_MLP_ROWS ?? 50_000);
const FEATURES = 20;
const EPOCHS = 3;
const PARAMS = {
  ...mlpFamily.defaults,
  hiddenLayers: [64, 64],
  batchSize: 512,
  epochs: EPOCHS,
  earlyStoppingPatience: 0,
  explainBackground: 0,
};

interface BackendRun {
  backend: string;
  epochSeconds: number[];
  sPerEpoch: number;
  cpuSPerEpoch: number;
  warmupSeconds: number;
  finalTrainLoss: number;
  flags?: Record<string, unknown>;
}

const errorText = (e: unknown): string => (e instanceof Error ? e.message : String(e));

/** Seeded synthetic binary task: y = [x·w + 0.5·x₀x₁ + noise > 0]. */
function syntheticData(rows: number, cols: number): Dataset {
  let s = 0x9e3779b9;
  const uniform = () => {
    s = (Math.imul(s, 1664525) + 1013904223) >>> 0;
    return (s + 0.5) / 2 ** 32;
  };
  const normal = () => Math.sqrt(-2 * Math.log(uniform())) * Math.cos(2 * Math.PI * uniform());
  const w = Array.from({ length: cols }, () => normal());
  const data = new Float32Array(rows * cols);
  const y = new Float32Array(rows);
  for (let i = 0; i < rows; i++) {
    let z = 0;
    for (let j = 0; j < cols; j++) {
      const v = normal();
      data[i * cols + j] = v;
      z += v * w[j];
    }
    z += 0.5 * data[i * cols] * data[i * cols + 1] + normal();
    y[i] = z > 0 ? 1 : 0;
  }
  const features: FeatureInfo[] = Array.from({ length: cols }, (_, j) => ({
    name: `x${j}`,
    source: `x${j}`,
    kind: 'numeric',
  }));
  return { X: { rows, cols, data, features }, y };
}

async function measure(backend: string, data: Dataset): Promise<BackendRun> {
  const tw = performance.now();
  const warm = await mlpFamily.fit(data, { ...PARAMS, epochs: 1 }, { task: 'binary', seed: 0 });
  (warm as { dispose?: () => void }).dispose?.();
  const warmupSeconds = (performance.now() - tw) / 1000;

  const marks: number[] = [];
  const c0 = process.cpuUsage();
  const t0 = performance.now();
  const model = await mlpFamily.fit(data, PARAMS, {
    task: 'binary',
    seed: 0,
    onProgress: () => {
      marks.push(performance.now());
    },
  });
  const cpu = process.cpuUsage(c0);
  (model as { dispose?: () => void }).dispose?.();
  const epochSeconds = marks.map((m, i) => (m - (i === 0 ? t0 : marks[i - 1])) / 1000);
  return {
    backend,
    epochSeconds,
    sPerEpoch: median(epochSeconds),
    cpuSPerEpoch: (cpu.user + cpu.system) / 1e6 / Math.max(1, marks.length),
    warmupSeconds,
    finalTrainLoss: model.lossCurve[model.lossCurve.length - 1]?.train ?? Number.NaN,
  };
}

export const suite: Suite = {
  description:
    'MLP (20→64→64→1, 50k rows, batch 512) seconds per epoch per TF.js backend, in Node: cpu, wasm (webgpu only if the `webgpu` npm package is installed; browser webgl/webgpu not measured)',
  async run(ctx: BenchContext): Promise<SuiteResult> {
    const errors: string[] = [];
    const measurements: Measurement[] = [];
    const runs: BackendRun[] = [];
    const skipped: Record<string, string> = {
      webgl:
        'no WebGL in Node; the browser worker is not reachable from the built app (only window.benchtop)',
    };
    const details: Record<string, unknown> = {
      rows: ROWS,
      features: FEATURES,
      params: PARAMS,
      tfjs: tf.version.tfjs,
      runs,
      skipped,
    };
    ctx.log(`synthetic data: ${ROWS} rows × ${FEATURES}`);
    const data = syntheticData(ROWS, FEATURES);
    tf.env().set('WASM_HAS_MULTITHREAD_SUPPORT', false);

    const backends: { name: string; init(): Promise<Record<string, unknown> | undefined> }[] = [
      { name: 'cpu', init: async () => undefined },
      {
        name: 'wasm',
        init: async () => ({
          simd: await tf.env().getAsync('WASM_HAS_SIMD_SUPPORT'),
          threads: false,
        }),
      },
    ];
    const webgpuPkg = join(ctx.root, 'node_modules', 'webgpu');
    if (existsSync(webgpuPkg)) {
      backends.push({
        name: 'webgpu',
        init: async () => {
          process.env.VK_ICD_FILENAMES ??= '/usr/lib/chromium/vk_swiftshader_icd.json';
          const pkg = 'webgpu';
          const { create } = (await import(pkg)) as { create(flags: string[]): unknown };
          (globalThis as { navigator?: unknown }).navigator = { gpu: create([]) };
          await import('@tensorflow/tfjs-backend-webgpu');
          return { vkIcd: process.env.VK_ICD_FILENAMES };
        },
      });
    } else {
      skipped.webgpu = 'npm package `webgpu` (Dawn for Node) not installed; not a dependency of the project';
    }

    for (const b of backends) {
      try {
        const flags = await b.init();
        if (!(await tf.setBackend(b.name))) throw new Error(`setBackend('${b.name}') returned false`);
        await tf.ready();
        if (tf.getBackend() !== b.name) throw new Error(`backend is ${tf.getBackend()}, not ${b.name}`);
        ctx.log(`${b.name}: warm-up epoch, then ${EPOCHS} epochs`);
        const run = await measure(b.name, data);
        run.flags = flags;
        runs.push(run);
        ctx.log(
          `${b.name}: ${run.sPerEpoch.toFixed(2)} s/epoch (CPU ${run.cpuSPerEpoch.toFixed(2)} s/epoch), loss ${run.finalTrainLoss.toFixed(5)}`,
        );
      } catch (e) {
        errors.push(`${b.name}: ${errorText(e)}`);
      }
    }

    for (const name of ['cpu', 'wasm', 'webgpu']) {
      const run = runs.find((r) => r.backend === name);
      if (!run && skipped[name]) continue;
      measurements.push(
        {
          name: `mlp.${name}.sPerEpoch`,
          value: run ? round(run.sPerEpoch, 3) : null,
          unit: 's/epoch',
          note: 'median of 3 warm epochs, wall',
        },
        {
          name: `mlp.${name}.cpuSPerEpoch`,
          value: run ? round(run.cpuSPerEpoch, 3) : null,
          unit: 's CPU/epoch',
        },
        {
          name: `mlp.${name}.epochsPerSecond`,
          value: run ? round(1 / run.sPerEpoch, 3) : null,
          unit: 'epoch/s',
        },
        {
          name: `mlp.${name}.finalTrainLoss`,
          value: run ? round(run.finalTrainLoss, 5) : null,
          unit: 'logloss',
        },
      );
    }
    return { measurements, details, errors };
  },
};
