/**
 * Test-only page: creates training workers through the real trainClient and exposes them as
 * `window.trainHarness`, so tests/e2e/train-worker.test.ts can start one worker per backend, train,
 * predict and cancel. The training table is built here as Arrow IPC, as the data worker would send it.
 * Served by the Vite dev server, never built.
 */
import { tableFromArrays, tableToIPC } from 'apache-arrow';
import * as Comlink from 'comlink';
import type { RecordResult } from '../../../src/core/ml/artifact.ts';
import { createRng } from '../../../src/core/ml/random.ts';
import { createTrainWorker, type TrainWorker } from '../../../src/core/ml/trainClient.ts';
import type {
  Backend,
  BackendInfo,
  TrainProgress,
  TrainRequest,
  TrainResult,
} from '../../../workers/train.api.ts';

/** A synthetic binary problem as Arrow IPC: x1, x2 numeric, a category, a label. */
function synthArrow(n: number, seed: number): { arrow: Uint8Array; records: Record<string, unknown>[] } {
  const r = createRng(seed);
  const x1 = new Float64Array(n);
  const x2 = new Float64Array(n);
  const cat: string[] = [];
  const label: string[] = [];
  for (let i = 0; i < n; i++) {
    x1[i] = r.normal();
    x2[i] = r.normal();
    const c = ['a', 'b', 'c'][r.int(3)];
    cat.push(c);
    const z = 1.5 * x1[i] - x2[i] + (c === 'a' ? 1 : 0) + 0.5 * r.normal();
    label.push(z > 0 ? 'yes' : 'no');
  }
  const arrow = tableToIPC(tableFromArrays({ x1, x2, cat, label }), 'stream');
  const records = Array.from({ length: 50 }, (_, i) => ({ x1: x1[i], x2: x2[i], cat: cat[i] }));
  return { arrow, records };
}

const workers = new Map<string, TrainWorker>();
const progress = new Map<string, TrainProgress[]>();

const harness = {
  create(id: string): void {
    workers.get(id)?.terminate();
    workers.set(id, createTrainWorker());
  },
  init(id: string, prefer?: Backend): Promise<BackendInfo> {
    return workers.get(id)!.api.init(prefer);
  },
  /** Train on the synthetic table; `extra` overrides request fields (family, params, …). */
  async train(
    id: string,
    runId: string,
    rows: number,
    extra: Partial<TrainRequest> = {},
  ): Promise<{ result: TrainResult; predictions: RecordResult[]; ms: number }> {
    const { arrow, records } = synthArrow(rows, 1);
    const list: TrainProgress[] = [];
    progress.set(runId, list);
    const request: TrainRequest = {
      runId,
      arrow,
      types: { x1: 'DOUBLE', x2: 'DOUBLE', cat: 'VARCHAR', label: 'VARCHAR' },
      target: 'label',
      split: { kind: 'random', seed: 3, fractions: { train: 0.7, valid: 0.15, test: 0.15 } },
      family: 'linear',
      params: {},
      seed: 1,
      ...extra,
    };
    const t0 = performance.now();
    const api = workers.get(id)!.api;
    const result = await api.train(
      Comlink.transfer(request, [arrow.buffer]),
      Comlink.proxy((p: TrainProgress) => {
        list.push(p);
      }),
    );
    const ms = performance.now() - t0;
    const predictions = await api.predict(JSON.stringify(result.artifact), records);
    return { result, predictions, ms };
  },
  progress(runId: string): TrainProgress[] {
    return progress.get(runId) ?? [];
  },
  cancel(id: string, runId: string): Promise<boolean> {
    return workers.get(id)!.api.cancel(runId);
  },
  terminate(id: string): void {
    workers.get(id)?.terminate();
    workers.delete(id);
  },
};

declare global {
  interface Window {
    trainHarness?: typeof harness;
  }
}
window.trainHarness = harness;
document.getElementById('status')!.textContent = 'ready';
