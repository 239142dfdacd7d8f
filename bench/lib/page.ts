/** Driving the real app in a page through `window.benchtop` (src/automation.ts). */
import type { Page } from 'playwright-core';
// `window.benchtop` is typed by the global declaration in src/automation.ts (same tsconfig program).

/** Reject after `ms` so a hung page call fails the measurement instead of hanging the bench. */
export function withTimeout<T>(p: Promise<T>, ms: number, what: string): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`${what}: no result after ${Math.round(ms / 1000)} s`)), ms);
  });
  return Promise.race([p, timeout]).finally(() => clearTimeout(timer));
}

/** Collect page errors and console errors, to explain a failure better than "timed out". */
export function recordPageErrors(page: Page): string[] {
  const errors: string[] = [];
  page.on('pageerror', (e) => errors.push(`pageerror: ${e.message}`));
  page.on('console', (m) => {
    if (m.type() === 'error') errors.push(`console.error: ${m.text().slice(0, 500)}`);
  });
  return errors;
}

/**
 * Wait for the automation surface and for DuckDB to be up. A missing `window.benchtop` after 30 s
 * means the build does not install it (or the app crashed first), which is worth saying plainly.
 */
export async function waitForBenchtop(
  page: Page,
  pageErrors: readonly string[],
  timeoutMs = 30_000,
): Promise<number> {
  try {
    await page.waitForFunction(() => window.benchtop !== undefined, undefined, { timeout: timeoutMs });
  } catch {
    const hint = pageErrors.length ? ` Page errors: ${pageErrors.slice(0, 5).join(' | ')}` : '';
    throw new Error(
      `window.benchtop did not appear within ${timeoutMs / 1000} s at ${page.url()}: the built app must install the automation surface (src/automation.ts).${hint}`,
    );
  }
  return withTimeout(
    page.evaluate(async () => {
      const t0 = performance.now();
      await window.benchtop!.ready();
      return performance.now() - t0;
    }),
    120_000,
    'window.benchtop.ready()',
  );
}
