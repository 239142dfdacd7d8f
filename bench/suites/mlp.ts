/**
 * MLP training speed per TF.js backend: epochs per second of Benchtop's MLP family
 * (src/core/ml/families/mlp.ts) on a dense 20 → 64 → 64 → 1 network, 50k training rows × 20 numeric
 * features (seeded synthetic binary task, bench/lib/mlpData.ts), batch 512. Other params are the
 * family's defaults (Adam 1e-3, ReLU, dropout 0.1); no early stopping, no explain background.
 *
 * Node half (the family's `fit` directly, 3 epochs after a 1-epoch warm-up fit on the same backend):
 * - `cpu`: @tensorflow/tfjs's plain-JS backend.
 * - `wasm`: @tensorflow/tfjs-backend-wasm, single-threaded (as the worker forces), SIMD when available.
 * - `webgpu`: only when the npm package `webgpu` (Dawn for Node) is installed — it is not a dependency,
 *   so normally skipped with a note; if present it runs on SwiftShader (`VK_ICD_FILENAMES`), last,
 *   because TF.js cannot switch away from webgpu reliably in one process.
 *
 * Browser half (bench/lib/mlpBrowser.ts): a page built from bench/lib/mlpPage.ts, served by the real
 * server under the app's CSP, in headless Chromium with `--enable-unsafe-webgpu`, trains through the
 * real training worker (`trainModel`: split, pipeline, fit, metrics) on webgpu, webgl, wasm and cpu —
 * one fresh worker per backend, each asked for that backend (`init(prefer)`); the backend the worker
 * actually used, its reason and the WebGPU adapter's `isFallbackAdapter` are recorded. The table has
 * 55k rows split 50k / 2.5k / 2.5k (random), so each epoch sees 50k rows plus a validation loss on
 * 2.5k. Seconds per epoch = the median gap between the worker's per-epoch progress events after the
 * first epoch (the first also holds the split and pipeline), after a 1-epoch warm-up fit on 5.5k rows in
 * the same worker (same batch size: compiles the same kernels and shaders; wasm start-up). The load
 * average is recorded: the machine is shared, and the wall times move with it.
 *
 * Agreement (the issue: WebGPU, WASM and CPU within 1e-4), the approach of
 * tests/e2e/train-worker.test.ts applied to the MLP: a small seeded fit (3,000 rows, 3 epochs, dropout
 * on) on each browser backend in its own worker, then the artifact's predictions for 50 records through
 * the worker's `predict`; the largest difference from cpu of the predictions and of the final train loss,
 * over webgpu, webgl and wasm (target 1e-4). webgl used to land ~1e-2 away: TF.js's default Adam ε is
 * 1e-4 on webgl (elsewhere 1e-7) even with float32 textures, so the families now set ε explicitly
 * (ADAM_EPSILON in src/core/ml/families/linear.ts); the WebGL2 renderer and EXT_color_buffer_float are
 * still recorded beside webgl's own difference.
 *
 * No speed targets: this records where each backend stands.
 */
import { existsSync } from 'node:fs';
import { loadavg } from 'node:os';
import { join } from 'node:path';
import * as tf from '@tensorflow/tfjs';
import '@tensorflow/tfjs-backend-wasm';
import { mlpFamily } from '../../src/core/ml/families/mlp.ts';
import type { Dataset, FeatureInfo } from '../../src/core/ml/types.ts';
import type { Backend } from '../../workers/train.api.ts';
import { openMlpPage } from '../lib/mlpBrowser.ts';
import { syntheticMlpData } from '../lib/mlpData.ts';
import type { MlpRunResult } from '../lib/mlpPage.ts';
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

/** The bench data as the family's Dataset (features x0…). */
function syntheticData(rows: number, cols: number): Dataset {
  const d = syntheticMlpData(rows, cols);
  const features: FeatureInfo[] = Array.from({ length: cols }, (_, j) => ({
    name: `x${j}`,
    source: `x${j}`,
    kind: 'numeric',
  }));
  return { X: { rows, cols, data: d.x, features }, y: d.y };
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
    'MLP (20→64→64→1, 50k rows, batch 512) seconds per epoch per TF.js backend: in Node (cpu, wasm) and in headless Chromium through the training worker (webgpu, webgl, wasm, cpu), plus cross-backend agreement',
  async run(ctx: BenchContext): Promise<SuiteResult> {
    const errors: string[] = [];
    const measurements: Measurement[] = [];
    const runs: BackendRun[] = [];
    const skipped: Record<string, string> = { webgl: 'no WebGL in Node (measured in the browser half)' };
    const details: Record<string, unknown> = {
      rows: ROWS,
      features: FEATURES,
      params: PARAMS,
      tfjs: tf.version.tfjs,
      runs,
      skipped,
      browser: {} as Record<string, unknown>,
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
    await browserHalf(ctx, measurements, details.browser as Record<string, unknown>, errors);
    return { measurements, details, errors };
  },
};

const BROWSER_BACKENDS: Backend[] = ['webgpu', 'webgl', 'wasm', 'cpu'];
const BROWSER_EPOCHS = Number(process.env.BENCH_MLP_BROWSER_EPOCHS ?? 3);
/** Per backend: the slowest (webgpu on SwiftShader) takes ~20 s an epoch on the 2-core machine. */
const BROWSER_TIMEOUT_MS = 600_000;

interface BrowserRun {
  requested: Backend;
  backend: string;
  reason: string;
  adapter?: { isFallbackAdapter: boolean; description?: string };
  isFallbackAdapter: boolean | null;
  webgl?: { renderer: string; colorBufferFloat: boolean };
  trainRows: number;
  warmupSeconds: number;
  /** Wall seconds of each epoch after the first (gaps between the worker's progress events). */
  epochSeconds: number[];
  firstEpochSeconds: number;
  sPerEpoch: number;
  finalTrainLoss: number;
}

function browserRun(r: MlpRunResult): BrowserRun {
  const epochs = r.epochs.filter((e) => e.trainLoss !== undefined);
  const gaps = epochs.slice(1).map((e, i) => (e.elapsedMs - epochs[i].elapsedMs) / 1000);
  return {
    requested: r.requested,
    backend: r.backend,
    reason: r.info.reason,
    ...(r.info.adapter ? { adapter: r.info.adapter } : {}),
    isFallbackAdapter: r.info.adapter ? r.info.adapter.isFallbackAdapter : null,
    ...(r.requested === 'webgl' && r.webgl ? { webgl: r.webgl } : {}),
    trainRows: r.trainRows,
    warmupSeconds: r.warmupMs / 1000,
    epochSeconds: gaps,
    firstEpochSeconds: (epochs[0]?.elapsedMs ?? Number.NaN) / 1000,
    sPerEpoch: median(gaps),
    finalTrainLoss: epochs.at(-1)?.trainLoss ?? Number.NaN,
  };
}

async function browserHalf(
  ctx: BenchContext,
  measurements: Measurement[],
  details: Record<string, unknown>,
  errors: string[],
): Promise<void> {
  let page: Awaited<ReturnType<typeof openMlpPage>>;
  try {
    page = await openMlpPage(ctx);
  } catch (e) {
    errors.push(`browser: ${errorText(e)}`);
    return;
  }
  const runs: BrowserRun[] = [];
  const skipped: Record<string, string> = {};
  details.epochs = BROWSER_EPOCHS;
  details.table = { rows: Math.round(ROWS * 1.1), split: 'random 50k / 2.5k / 2.5k' };
  details.runs = runs;
  details.skipped = skipped;
  // The machine is shared: the load average says how much to trust the wall times below.
  details.loadAverageAtStart = loadavg().map((x) => round(x, 2));
  try {
    for (const b of BROWSER_BACKENDS) {
      try {
        ctx.log(`browser ${b}: warm-up epoch, then ${BROWSER_EPOCHS} epochs`);
        const r = await page.run(
          b,
          {
            rows: Math.round(ROWS * 1.1),
            fractions: { train: ROWS, valid: ROWS * 0.05, test: ROWS * 0.05 },
            features: FEATURES,
            params: { ...PARAMS, epochs: BROWSER_EPOCHS },
            warmupEpochs: 1,
            warmupRows: 5_500,
            predictRows: 0,
          },
          BROWSER_TIMEOUT_MS,
        );
        const run = browserRun(r);
        if (run.backend !== b) {
          // The worker could not start this backend and fell back: say so, do not count it as b.
          skipped[b] = `${b} could not start in the training worker; it used ${run.backend}: ${run.reason}`;
          ctx.log(`browser ${b}: not available (${run.backend} instead)`);
          continue;
        }
        runs.push(run);
        ctx.log(
          `browser ${b}: ${run.sPerEpoch.toFixed(2)} s/epoch, loss ${run.finalTrainLoss.toFixed(5)}${b === 'webgpu' && run.isFallbackAdapter ? ' (software fallback adapter)' : ''}`,
        );
      } catch (e) {
        errors.push(
          `browser ${b}: ${errorText(e)}${page.errors.length ? ` (${page.errors.slice(-3).join(' | ')})` : ''}`,
        );
      }
    }
    for (const b of BROWSER_BACKENDS) {
      const run = runs.find((r) => r.backend === b);
      if (!run && skipped[b]) continue;
      const adapter =
        b === 'webgpu' && run?.isFallbackAdapter === true ? ', software (fallback) WebGPU adapter' : '';
      measurements.push(
        {
          name: `mlp.browser.${b}.sPerEpoch`,
          value: run ? round(run.sPerEpoch, 3) : null,
          unit: 's/epoch',
          note: `Chromium training worker, median of epochs 2–${BROWSER_EPOCHS} after a warm-up fit${adapter}`,
        },
        {
          name: `mlp.browser.${b}.epochsPerSecond`,
          value: run ? round(1 / run.sPerEpoch, 3) : null,
          unit: 'epoch/s',
        },
        {
          name: `mlp.browser.${b}.finalTrainLoss`,
          value: run ? round(run.finalTrainLoss, 5) : null,
          unit: 'logloss',
        },
      );
    }

    // Agreement across backends (small data, dropout on, seeded): predictions and final loss vs cpu.
    const agree: Record<string, { backend: string; predictions: number[]; finalTrainLoss: number }> = {};
    for (const b of BROWSER_BACKENDS) {
      if (skipped[b]) continue;
      try {
        const r = await page.run(
          b,
          {
            rows: 3000,
            fractions: { train: 0.8, valid: 0.1, test: 0.1 },
            features: FEATURES,
            params: { ...PARAMS, batchSize: 128, epochs: 3 },
            warmupEpochs: 0,
            predictRows: 50,
          },
          BROWSER_TIMEOUT_MS,
        );
        if (r.backend !== b) throw new Error(`ran on ${r.backend}`);
        agree[b] = {
          backend: r.backend,
          predictions: r.predictions,
          finalTrainLoss: r.epochs.filter((e) => e.trainLoss !== undefined).at(-1)?.trainLoss ?? Number.NaN,
        };
      } catch (e) {
        errors.push(`browser agreement ${b}: ${errorText(e)}`);
      }
    }
    const ref = agree.cpu;
    const diffs: Record<string, { maxPredictionDiff: number; finalLossDiff: number }> = {};
    for (const [b, a] of Object.entries(agree)) {
      if (!ref || b === 'cpu') continue;
      diffs[b] = {
        maxPredictionDiff: Math.max(...a.predictions.map((p, i) => Math.abs(p - ref.predictions[i]))),
        finalLossDiff: Math.abs(a.finalTrainLoss - ref.finalTrainLoss),
      };
    }
    details.agreement = {
      rows: 3000,
      epochs: 3,
      batchSize: 128,
      reference: 'cpu',
      backends: Object.keys(agree),
      finalTrainLoss: Object.fromEntries(Object.entries(agree).map(([b, a]) => [b, a.finalTrainLoss])),
      diffs,
    };
    // Every browser backend is held to the target (webgl too, since the explicit Adam ε).
    const required = Object.keys(diffs);
    const worst = (k: 'maxPredictionDiff' | 'finalLossDiff', backends: string[]) =>
      ref && backends.length ? Math.max(...backends.map((b) => diffs[b][k])) : null;
    const webgl = runs.find((r) => r.backend === 'webgl')?.webgl;
    measurements.push(
      {
        name: 'mlp.browser.agreement.maxPredictionDiff',
        value: worst('maxPredictionDiff', required),
        unit: 'probability',
        target: { op: '<=', value: 1e-4 },
        note: `largest |p − p_cpu| over 50 records, ${required.join(', ')} vs cpu`,
      },
      {
        name: 'mlp.browser.agreement.maxFinalLossDiff',
        value: worst('finalLossDiff', required),
        unit: 'logloss',
        target: { op: '<=', value: 1e-4 },
        note: `largest |final train loss − cpu's|, ${required.join(', ')}`,
      },
    );
    if (diffs.webgl) {
      measurements.push({
        name: 'mlp.browser.agreement.webgl.maxPredictionDiff',
        value: diffs.webgl.maxPredictionDiff,
        unit: 'probability',
        note:
          `webgl vs cpu, also in the target above (final loss diff ${diffs.webgl.finalLossDiff.toExponential(2)}); ` +
          `WebGL2 renderer ${webgl?.renderer ?? 'unknown'}, EXT_color_buffer_float ${webgl?.colorBufferFloat ?? 'unknown'}`,
      });
    }
    details.loadAverageAtEnd = loadavg().map((x) => round(x, 2));
  } finally {
    await page.close();
  }
}
