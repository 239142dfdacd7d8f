/**
 * Test-only page: starts the data worker through the real dataClient and exposes it as
 * `window.benchtop.data`, the same name the app uses, so tests/e2e/data-worker.test.ts can drive
 * the worker before (and independently of) the UI. Served by the Vite dev server, never built.
 */
import { startDataWorker } from '../../../src/core/data/dataClient.ts';
import type { BenchtopAutomation } from '../../../src/automation.ts';

const data = startDataWorker();
// Only `data` exists here; the rest of the automation surface belongs to the app.
window.benchtop = { data } as unknown as BenchtopAutomation;
data.init().then(
  (info) => {
    document.getElementById('status')!.textContent = `ready ${info.bundle} ${info.version} ${info.ms} ms`;
  },
  (e: unknown) => {
    document.getElementById('status')!.textContent = `failed ${String(e)}`;
  },
);
