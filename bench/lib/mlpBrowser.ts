/**
 * The browser half of the MLP bench: builds bench/lib/mlpPage.html (Vite, production mode, into the
 * bench scratch dir), serves it from the real server beside the app (same CSP), opens it in the shared
 * headless Chromium (`--enable-unsafe-webgpu`) and trains in the real training worker on the backends
 * asked for, one fresh worker per backend (TF.js cannot switch backends inside one worker).
 */
import type { Backend } from '../../workers/train.api.ts';
import { openBenchPage } from './browser.ts';
import type { MlpRunOptions, MlpRunResult } from './mlpPage.ts';
import { withTimeout } from './page.ts';
import type { BenchContext } from './types.ts';

export interface BrowserMlp {
  run(backend: Backend, opts: MlpRunOptions, timeoutMs: number): Promise<MlpRunResult>;
  /** Page errors so far (to explain a failure). */
  errors: string[];
  close(): Promise<void>;
}

export async function openMlpPage(ctx: BenchContext): Promise<BrowserMlp> {
  const { page, context, errors } = await openBenchPage(ctx, 'mlp', 'mlpBench');
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
