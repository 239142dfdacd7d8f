/**
 * Starting a worker_thread whose entry is a TypeScript module. The server runs under tsx, but an eval
 * worker does not inherit the parent's loader flags (measured: "Unknown file extension .ts"), so a
 * small CommonJS bootstrap registers tsx's ESM hooks in the worker first, then imports the entry.
 * Used by the audit model loader (server/auditLoader.ts) and the explanation pool
 * (server/explainPool.ts).
 */
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { Worker } from 'node:worker_threads';

const BOOTSTRAP = `
const { workerData } = require('node:worker_threads');
(async () => {
  const api = await import(workerData.tsx);
  (api.register ?? api.default.register)();
  await import(workerData.entry);
})();
`;

function tsxApiUrl(): string {
  // The ESM build of tsx/esm/api (require.resolve would give its CommonJS twin, which fails in a worker).
  const pkg = createRequire(import.meta.url).resolve('tsx/package.json');
  return pathToFileURL(join(dirname(pkg), 'dist', 'esm', 'api', 'index.mjs')).href;
}

/**
 * A worker running `entry` (a .ts file URL, e.g. `new URL('./x.worker.ts', import.meta.url)`).
 * `data` reaches the entry as `workerData` (its own fields; `entry` and `tsx` are the bootstrap's).
 */
export function spawnTsWorker(entry: URL, data: Record<string, unknown> = {}): Worker {
  return new Worker(BOOTSTRAP, { eval: true, workerData: { ...data, entry: entry.href, tsx: tsxApiUrl() } });
}
