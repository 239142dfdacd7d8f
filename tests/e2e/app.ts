/**
 * Shared set-up for the end-to-end tests: a real server over the built app on 127.0.0.1, real
 * headless Chromium, and a record of every request the page makes (to prove nothing leaves the
 * origin).
 */
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Browser, BrowserContext, Page } from 'playwright-core';
import { type RunningServer, type StartOptions, startServer } from '../../server/start.ts';
import { launchChromium } from '../../tools/chromium.ts';

export interface E2E {
  server: RunningServer;
  browser: Browser;
  /** The server's model directory when started with `tempModels` (removed by `close`). */
  modelsDir?: string;
  close(): Promise<void>;
}

/**
 * `serverOpts`: extra server options (e.g. a deploy `token`). `tempModels`: give the server a fresh
 * model directory under the OS temp folder (deploys then go to disk as in production), removed on
 * `close`; without it the server keeps models in memory unless `serverOpts.modelsDir` names one.
 */
export async function startE2E(
  serverOpts: Partial<StartOptions> & { tempModels?: boolean } = {},
): Promise<E2E> {
  // BENCHTOP_E2E_DIST: test a build in another folder (`vite build --outDir …`), so that several
  // checkouts or people can build and test side by side without overwriting one dist/.
  const distDir = process.env.BENCHTOP_E2E_DIST || 'dist';
  if (!existsSync(`${distDir}/index.html`))
    throw new Error(`Build the app first (npm run build): ${distDir}/ is missing`);
  const { tempModels, ...opts } = serverOpts;
  const modelsDir = tempModels ? mkdtempSync(join(tmpdir(), 'benchtop-e2e-models-')) : opts.modelsDir;
  const server = await startServer({ ...opts, modelsDir, distDir, port: 0 });
  const browser = await launchChromium();
  return {
    server,
    browser,
    modelsDir,
    async close() {
      await browser.close();
      await server.close();
      if (tempModels && modelsDir) rmSync(modelsDir, { recursive: true, force: true });
    },
  };
}

export interface TrackedPage {
  page: Page;
  context: BrowserContext;
  /** Every URL the page and its workers requested. */
  requests: string[];
  /** Uncaught page errors. */
  errors: string[];
}

export async function openApp(e2e: E2E, path = '', context?: BrowserContext): Promise<TrackedPage> {
  const ctx = context ?? (await e2e.browser.newContext({ viewport: { width: 1280, height: 900 } }));
  const page = await ctx.newPage();
  const requests: string[] = [];
  const errors: string[] = [];
  ctx.on('request', (r) => requests.push(r.url()));
  page.on('pageerror', (e) => errors.push(e.message));
  await page.goto(e2e.server.url + path);
  await page.waitForFunction(() => window.benchtop !== undefined, undefined, { timeout: 60_000 });
  await page.evaluate(() => window.benchtop!.ready());
  return { page, context: ctx, requests, errors };
}

/** Wait until no cell is queued or running. */
export async function settle(page: Page, timeout = 120_000): Promise<void> {
  await page.waitForFunction(
    () => {
      const s = window.benchtop!.states();
      return Object.values(s).every((r) => r.status !== 'running' && r.status !== 'queued');
    },
    undefined,
    { timeout, polling: 100 },
  );
}

/**
 * Hand the page the bytes of files a notebook references (what a user does by dropping them back in):
 * `files` maps file name → base64 bytes. The app checks each against the notebook's size and SHA-256.
 */
export async function provideFiles(page: Page, files: Record<string, string>): Promise<void> {
  for (const [name, b64] of Object.entries(files))
    await page.evaluate(
      ([n, b]) =>
        window.benchtop!.provideFile(
          n,
          Uint8Array.from(atob(b), (ch) => ch.charCodeAt(0)),
        ),
      [name, b64] as const,
    );
}

export const OLIST_DIR = '../shared/data/olist';
