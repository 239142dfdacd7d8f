/**
 * The browser half of the MLP bench: builds bench/lib/mlpPage.html (Vite, production mode, into the
 * bench scratch dir), serves it from the real server beside the app (same CSP), opens it in the shared
 * headless Chromium (`--enable-unsafe-webgpu`) and trains in the real training worker on the backends
 * asked for, one fresh worker per backend (TF.js cannot switch backends inside one worker).
 */
import { join } from 'node:path';
import { build } from 'vite';
import type { Backend } from '../../workers/train.api.ts';
import type { MlpRunOptions, MlpRunResult } from './mlpPage.ts';
import { recordPageErrors, withTimeout } from './page.ts';
import type { BenchContext } from './types.ts';

const PREFIX = '/__bench/mlp/';

export interface BrowserMlp {
  run(backend: Backend, opts: MlpRunOptions, timeoutMs: number): Promise<MlpRunResult>;
  /** Page errors so far (to explain a failure). */
  errors: string[];
  close(): Promise<void>;
}

export async function openMlpPage(ctx: BenchContext): Promise<BrowserMlp> {
  const outDir = join(ctx.tmpDir, 'mlp-page');
  ctx.log('building the bench page (Vite, production)');
  await build({
    configFile: false,
    root: join(ctx.root, 'bench', 'lib'),
    base: PREFIX,
    logLevel: 'warn',
    worker: { format: 'es' },
    build: {
      outDir,
      emptyOutDir: true,
      target: 'es2022',
      chunkSizeWarningLimit: 5000,
      rollupOptions: { input: join(ctx.root, 'bench', 'lib', 'mlpPage.html') },
    },
  });
  const server = await ctx.startServer({ extraStatic: { [PREFIX]: outDir } });
  const browser = await ctx.browser();
  const context = await browser.newContext();
  const page = await context.newPage();
  const errors = recordPageErrors(page);
  await page.goto(`${server.url.replace(/\/$/, '')}${PREFIX}mlpPage.html`);
  try {
    await page.waitForFunction(() => window.mlpBench !== undefined, undefined, { timeout: 30_000 });
  } catch {
    throw new Error(`the MLP bench page did not start: ${errors.slice(0, 3).join(' | ') || 'no page error'}`);
  }
  return {
    errors,
    run: (backend, opts, timeoutMs) =>
      withTimeout(
        page.evaluate(([b, o]) => window.mlpBench!.run(b, o), [backend, opts] as const),
        timeoutMs,
        `MLP on ${backend} in Chromium`,
      ),
    close: () => context.close(),
  };
}
