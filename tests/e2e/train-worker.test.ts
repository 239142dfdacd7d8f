/**
 * The training worker in real headless Chromium (Vite dev server, harness page
 * tests/e2e/harness/train-harness.html): automatic backend choice on a machine whose only WebGPU
 * adapter is SwiftShader (→ wasm, saying why), a small logistic model trained on webgpu, wasm and cpu
 * (one fresh worker each) giving the same predictions, and cancel stopping a training within a second.
 */
import { join } from 'node:path';
import type { Browser, Page } from 'playwright-core';
import { createServer, type ViteDevServer } from 'vite';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { launchChromium } from '../../tools/chromium.ts';

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

  it('a logistic model trained on webgpu, wasm and cpu predicts the same', async () => {
    const out: Record<string, { p: number[]; auc: number; ms: number; backend: string }> = {};
    for (const b of ['webgpu', 'wasm', 'cpu'] as const) {
      const r = await page.evaluate(async (b) => {
        const h = window.trainHarness!;
        h.create(b);
        const info = await h.init(b, b);
        const { result, predictions, ms } = await h.train(b, `run-${b}`, 400);
        const progress = h.progress(`run-${b}`).length;
        h.terminate(b);
        return {
          info,
          backend: result.backend,
          recorded: result.artifact.provenance.backend,
          progress,
          auc: result.artifact.metrics.test.auc,
          p: predictions.map((x) => x.prediction.output[0]),
          ms,
        };
      }, b);
      console.log(
        `${b}: trained in ${Math.round(r.ms)} ms, test AUC ${r.auc.toFixed(4)}, ${r.progress} progress events`,
      );
      expect(r.info.backend).toBe(b);
      expect(r.backend).toBe(b);
      expect(r.recorded).toBe(b);
      expect(r.progress).toBeGreaterThan(0);
      expect(r.auc).toBeGreaterThan(0.8);
      out[b] = { p: r.p, auc: r.auc, ms: r.ms, backend: r.backend };
    }
    let maxDiff = 0;
    for (let i = 0; i < out.cpu.p.length; i++) {
      maxDiff = Math.max(
        maxDiff,
        Math.abs(out.webgpu.p[i] - out.cpu.p[i]),
        Math.abs(out.wasm.p[i] - out.cpu.p[i]),
      );
    }
    const d = (a: number[], b: number[]) => Math.max(...a.map((v, i) => Math.abs(v - b[i])));
    console.log(
      `largest prediction difference across backends: ${maxDiff.toExponential(2)} (webgpu−cpu ${d(out.webgpu.p, out.cpu.p).toExponential(2)}, wasm−cpu ${d(out.wasm.p, out.cpu.p).toExponential(2)})`,
    );
    expect(out.cpu.p.length).toBe(50);
    expect(maxDiff).toBeLessThan(1e-4);
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
