/**
 * The training worker in real headless Chromium (Vite dev server, harness page
 * tests/e2e/harness/train-harness.html): automatic backend choice on a machine whose only WebGPU
 * adapter is SwiftShader (→ wasm, saying why), a small logistic model trained on webgpu, webgl, wasm and
 * cpu and a small MLP (dropout on) on webgl, wasm and cpu (one fresh worker each) giving the same
 * predictions within 1e-4 (webgl only where WebGL2 renders to float32 textures), and cancel stopping a
 * training within a second.
 */
import { join } from 'node:path';
import type { Browser, Page } from 'playwright-core';
import { createServer, type ViteDevServer } from 'vite';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { launchChromium } from '../../tools/chromium.ts';
import type { Backend, TrainRequest } from '../../workers/train.api.ts';

const ROOT = join(import.meta.dirname, '../..');

let server: ViteDevServer;
let browser: Browser;
let page: Page;
let origin: string;
const foreign: string[] = [];
const errors: string[] = [];

beforeAll(async () => {
  server = await createServer({
    root: ROOT,
    logLevel: 'error',
    // No HMR and no file watching: other edits in the working tree must not reload the page mid-test.
    server: { port: 0, host: '127.0.0.1', hmr: false, watch: null },
    // Pre-bundle up front: a dependency discovered mid-test would make Vite reload the page.
    optimizeDeps: {
      include: [
        '@tensorflow/tfjs',
        '@tensorflow/tfjs-backend-wasm',
        '@tensorflow/tfjs-backend-webgpu',
        'comlink',
        'apache-arrow',
        'zod',
      ],
    },
  });
  await server.listen();
  const addr = server.httpServer!.address() as { port: number };
  origin = `http://127.0.0.1:${addr.port}`;
  browser = await launchChromium();
  const context = await browser.newContext();
  context.on('request', (r) => {
    const u = r.url();
    if (!u.startsWith(origin) && !u.startsWith('data:') && !u.startsWith('blob:')) foreign.push(u);
  });
  page = await context.newPage();
  page.on('pageerror', (e) => errors.push(String(e)));
  await page.goto(`${origin}/tests/e2e/harness/train-harness.html`);
  await page.waitForFunction(() => window.trainHarness !== undefined);
});

afterAll(async () => {
  await browser?.close();
  await server?.close();
});

describe('training worker', () => {
  it('chooses wasm over a software (fallback) WebGPU adapter and says why', async () => {
    const info = await page.evaluate(async () => {
      window.trainHarness!.create('auto');
      return window.trainHarness!.init('auto');
    });
    console.log(`auto backend: ${info.backend} — ${info.reason}`);
    expect(info.backend).toBe('wasm');
    expect(info.reason).toMatch(/fallback adapter/);
    expect(info.adapter?.isFallbackAdapter).toBe(true);
    // The same worker refuses to switch: a new worker is needed.
    await expect(page.evaluate(() => window.trainHarness!.init('auto', 'cpu'))).rejects.toThrow(/new worker/);
  });

  /**
   * One fresh worker per backend, the same seeded request, then the artifact's predictions for 50
   * records (the harness's first rows) and the last epoch's train loss.
   */
  const trainOn = async (b: Backend, rows: number, extra?: Partial<TrainRequest>) => {
    const r = await page.evaluate(
      async ([b, rows, extra]) => {
        const h = window.trainHarness!;
        h.create(b);
        const info = await h.init(b, b);
        const { result, predictions, ms } = await h.train(b, `run-${b}-${rows}`, rows, extra);
        const progress = h.progress(`run-${b}-${rows}`);
        h.terminate(b);
        return {
          info,
          backend: result.backend,
          recorded: result.artifact.provenance.backend,
          progress: progress.length,
          trainLoss: progress.at(-1)?.trainLoss,
          auc: result.artifact.metrics.test.auc,
          p: predictions.map((x) => x.prediction.output[0]),
          ms,
        };
      },
      [b, rows, extra ?? {}] as const,
    );
    console.log(
      `${b}: trained in ${Math.round(r.ms)} ms, test AUC ${r.auc.toFixed(4)}, ${r.progress} progress events`,
    );
    expect(r.info.backend).toBe(b);
    expect(r.backend).toBe(b);
    expect(r.recorded).toBe(b);
    expect(r.progress).toBeGreaterThan(0);
    expect(r.auc).toBeGreaterThan(0.8);
    expect(r.p).toHaveLength(50);
    return r;
  };
  /** Largest |prediction − cpu's| per backend (and of the last train loss). */
  const diffsFromCpu = (out: Record<string, { p: number[]; trainLoss?: number }>) => {
    const d: Record<string, { p: number; loss: number }> = {};
    for (const [b, r] of Object.entries(out)) {
      if (b === 'cpu') continue;
      d[b] = {
        p: Math.max(...r.p.map((v, i) => Math.abs(v - out.cpu.p[i]))),
        loss: Math.abs((r.trainLoss ?? Number.NaN) - (out.cpu.trainLoss ?? Number.NaN)),
      };
    }
    return d;
  };
  /**
   * WebGL2 with float32 render targets, as the worker would get it (TF.js's webgl backend needs both to
   * train in float32). Headless Chromium has it (SwiftShader); where it does not, webgl is left out.
   */
  const webglOk = () =>
    page.evaluate(() => {
      const gl = new OffscreenCanvas(1, 1).getContext('webgl2');
      return gl !== null && gl.getExtension('EXT_color_buffer_float') !== null;
    });

  it('a logistic model trained on webgpu, webgl, wasm and cpu predicts the same', async () => {
    const backends: Backend[] = ['webgpu', 'wasm', 'cpu'];
    if (await webglOk()) backends.unshift('webgl');
    else console.log('webgl left out: no WebGL2 with EXT_color_buffer_float here');
    const out: Record<string, { p: number[]; trainLoss?: number }> = {};
    for (const b of backends) out[b] = await trainOn(b, 400);
    const d = diffsFromCpu(out);
    console.log(
      `logistic, largest prediction difference from cpu: ${Object.entries(d)
        .map(([b, x]) => `${b} ${x.p.toExponential(2)}`)
        .join(', ')}`,
    );
    for (const x of Object.values(d)) expect(x.p).toBeLessThan(1e-4);
  });

  // The MLP goes through more TF.js kernels (matMul, relu, dropout, Adam): webgl used to land ~1e-2 away
  // because TF.js's default Adam ε is 1e-4 there (see ADAM_EPSILON in src/core/ml/families/linear.ts).
  it('an MLP (dropout on) trained on webgl, wasm and cpu predicts the same', async () => {
    const backends: Backend[] = ['wasm', 'cpu'];
    if (await webglOk()) backends.unshift('webgl');
    else console.log('webgl left out: no WebGL2 with EXT_color_buffer_float here');
    const extra: Partial<TrainRequest> = {
      family: 'mlp',
      params: { hiddenLayers: [32, 32], dropout: 0.2, epochs: 4, batchSize: 64, explainBackground: 0 },
    };
    const out: Record<string, { p: number[]; trainLoss?: number }> = {};
    for (const b of backends) out[b] = await trainOn(b, 1500, extra);
    const d = diffsFromCpu(out);
    console.log(
      `MLP, largest difference from cpu (predictions / last train loss): ${Object.entries(d)
        .map(([b, x]) => `${b} ${x.p.toExponential(2)} / ${x.loss.toExponential(2)}`)
        .join(', ')}`,
    );
    for (const x of Object.values(d)) {
      expect(x.p).toBeLessThan(1e-4);
      expect(x.loss).toBeLessThan(1e-4);
    }
  });

  it('cancel stops a training within a second', async () => {
    const r = await page.evaluate(async () => {
      const h = window.trainHarness!;
      h.create('cancel');
      await h.init('cancel', 'wasm');
      const run = h.train('cancel', 'long', 3000, {
        family: 'mlp',
        params: { hiddenLayers: [64, 64], epochs: 10_000, batchSize: 32, earlyStoppingPatience: 0 },
      });
      const outcome = run.then(
        () => ({ message: 'finished', name: '', at: performance.now() }),
        (e: Error) => ({ message: e.message, name: e.name, at: performance.now() }),
      );
      // Wait for the first epoch, then cancel.
      while (h.progress('long').length === 0) await new Promise((res) => setTimeout(res, 20));
      const t0 = performance.now();
      const cancelled = await h.cancel('cancel', 'long');
      const o = await outcome;
      const again = await h.cancel('cancel', 'long');
      h.terminate('cancel');
      return {
        cancelled,
        again,
        message: o.message,
        name: o.name,
        ms: o.at - t0,
        epochs: h.progress('long').length,
      };
    });
    console.log(`cancel took effect after ${Math.round(r.ms)} ms (${r.epochs} epochs done)`);
    expect(r.cancelled).toBe(true);
    expect(r.again).toBe(false);
    expect(r.message).toMatch(/cancelled/);
    expect(r.ms).toBeLessThan(1000);
  });

  it('no page errors and nothing requested from another origin', () => {
    expect(errors).toEqual([]);
    expect(foreign).toEqual([]);
  });
});
