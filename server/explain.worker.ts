/**
 * worker_thread entry of server/explainPool.ts: keeps a few loaded models (by the pool's model id) and
 * explains the rows it is sent with the model family's own `explain`, exactly as the server thread
 * would. Answers each message's jobs in one message, values packed per job.
 */
import { parentPort } from 'node:worker_threads';
import { type LoadedModel, loadArtifact } from '../src/core/ml/artifact.ts';
import type { Matrix } from '../src/core/ml/types.ts';
import type { FromThread, ToThread, WireJob, WireResult } from './explainPool.ts';

/** Longest a finished job's answer waits for the rest of its message's jobs (ms). */
const REPLY_EVERY_MS = 0.3;

/** Models kept, most recently used last: a thread holds the few versions serving at once. */
const KEEP = 8;
const models = new Map<number, Promise<LoadedModel>>();

function touch(id: number): Promise<LoadedModel> | undefined {
  const m = models.get(id);
  if (m) {
    models.delete(id);
    models.set(id, m);
  }
  return m;
}

async function run(job: WireJob): Promise<WireResult> {
  const pending = touch(job.model);
  if (!pending) return { id: job.id, ok: false, missing: true, message: 'model not loaded in this thread' };
  try {
    const loaded = await pending;
    if (!loaded.model.explain) throw new Error(`The ${loaded.model.family} model has no explanations.`);
    const X: Matrix = { rows: job.rows, cols: job.cols, data: job.data, features: loaded.features };
    let values: Float64Array | undefined;
    let width = 0;
    const base = new Float64Array(job.rows);
    for (let i = 0; i < job.rows; i++) {
      const e = await loaded.model.explain!(X, i, { classIndex: job.classIndex[i] });
      if (!values) {
        width = e.values.length;
        values = new Float64Array(job.rows * width);
      }
      values.set(e.values, i * width);
      base[i] = e.base;
    }
    return { id: job.id, ok: true, base, values: values ?? new Float64Array(0), width };
  } catch (e) {
    return { id: job.id, ok: false, missing: false, message: e instanceof Error ? e.message : String(e) };
  }
}

const port = parentPort!;
port.on('message', async (msg: ToThread) => {
  switch (msg.type) {
    case 'drop':
      models.delete(msg.model);
      return;
    case 'explain': {
      for (const [id, artifact] of msg.artifacts) {
        const p = loadArtifact(artifact);
        p.catch(() => {}); // reported by the jobs that use it
        models.set(id, p);
        while (models.size > KEEP) models.delete(models.keys().next().value as number);
      }
      // Answers go back at least every REPLY_EVERY_MS: a message of 16 requests' rows takes ~8 ms, and
      // the first request must not wait for the last one's rows.
      let results: WireResult[] = [];
      let since = performance.now();
      const reply = () => {
        const transfer = results.flatMap((r) =>
          r.ok ? [r.base.buffer as ArrayBuffer, r.values.buffer as ArrayBuffer] : [],
        );
        port.postMessage({ type: 'done', results } satisfies FromThread, transfer);
        results = [];
        since = performance.now();
      };
      for (const job of msg.jobs) {
        results.push(await run(job));
        if (performance.now() - since >= REPLY_EVERY_MS) reply();
      }
      if (results.length) reply();
      return;
    }
    default:
      msg satisfies never;
  }
});
port.postMessage({ type: 'ready' } satisfies FromThread);
