/**
 * Test double of explain.worker.ts for explainPool.test.ts: declines one-row jobs (a model's warm-up:
 * the pool then explains those in its own thread and marks this one ready), and dies on the first
 * larger one.
 */
import { parentPort } from 'node:worker_threads';
import type { FromThread, ToThread } from '../explainPool.ts';

parentPort!.on('message', (m: ToThread) => {
  if (m.type !== 'explain') return;
  if (m.jobs.some((j) => j.rows > 1)) process.exit(3);
  const results = m.jobs.map((j) => ({
    id: j.id,
    ok: false as const,
    missing: false,
    message: 'test double',
  }));
  parentPort!.postMessage({ type: 'done', results } satisfies FromThread);
});
parentPort!.postMessage({ type: 'ready' } satisfies FromThread);
