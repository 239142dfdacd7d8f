/**
 * Chromium for the benches: the project's launcher (tools/chromium.ts, flags from
 * shared/notes/toolchain.md), and the bench pages in this folder built, served and opened in it.
 */
import { join } from 'node:path';
import type { BrowserContext, Page } from 'playwright-core';
import { recordPageErrors } from './page.ts';
import type { BenchContext } from './types.ts';

export { CHROMIUM_ARGS, launchChromium } from '../../tools/chromium.ts';

export interface BenchPage {
  page: Page;
  /** Close it when done (the browser is shared by the suites). */
  context: BrowserContext;
  /** Page and console errors so far (to explain a failure better than "timed out"). */
  errors: string[];
}

/**
 * Build bench/lib/`<name>`Page.html (Vite, production mode, like the app) into the bench scratch dir,
 * serve it from the real server beside the app (same CSP) under /__bench/`<name>`/, open it in the
 * shared headless Chromium and wait until the page has installed `window[global]`.
 */
export async function openBenchPage(ctx: BenchContext, name: string, global: string): Promise<BenchPage> {
  // Loaded on first use: the suites that need no page do not pay for Vite.
  const { build } = await import('vite');
  const prefix = `/__bench/${name}/`;
  const outDir = join(ctx.tmpDir, `${name}-page`);
  ctx.log(`building the ${name} bench page (Vite, production)`);
  await build({
    configFile: false,
    root: join(ctx.root, 'bench', 'lib'),
    base: prefix,
    logLevel: 'warn',
    worker: { format: 'es' },
    build: {
      outDir,
      emptyOutDir: true,
      target: 'es2022',
      chunkSizeWarningLimit: 5000,
      rollupOptions: { input: join(ctx.root, 'bench', 'lib', `${name}Page.html`) },
    },
  });
  const server = await ctx.startServer({ extraStatic: { [prefix]: outDir } });
  const browser = await ctx.browser();
  const context = await browser.newContext();
  const page = await context.newPage();
  const errors = recordPageErrors(page);
  try {
    await page.goto(`${server.url.replace(/\/$/, '')}${prefix}${name}Page.html`);
    const installed = (g: string) => (window as unknown as Record<string, unknown>)[g] !== undefined;
    await page.waitForFunction(installed, global, { timeout: 30_000 });
  } catch (e) {
    await context.close();
    throw new Error(
      `the ${name} bench page did not start (${(e as Error).message.split('\n')[0]}): ${errors.slice(0, 3).join(' | ') || 'no page error'}`,
    );
  }
  return { page, context, errors };
}
