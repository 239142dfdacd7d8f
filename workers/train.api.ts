/**
 * The training worker's contract (comlink). One worker = one TF.js backend for its whole life: TF.js
 * cannot reliably switch backends inside a worker (after WebGPU it silently falls back), so to change
 * backend the UI terminates the worker and creates a new one (`restartWithBackend` in
 * src/core/ml/trainClient.ts).
 *
 * The training table arrives as Arrow IPC bytes (from the data worker's `query`), transferred, not
 * copied; progress comes back through a comlink-proxied callback; the result is the model artifact
 * (plain JSON) plus loss curve, baseline metrics, split summary and durations.
 */
import type { RecordResult } from '../src/core/ml/artifact.ts';
import type { TrainOutput, TrainSpec } from '../src/core/ml/train.ts';
import type { Progress } from '../src/core/ml/types.ts';

export type Backend = 'webgpu' | 'webgl' | 'wasm' | 'cpu';

export interface BackendInfo {
  backend: Backend;
  /** One sentence: why this backend (e.g. the WebGPU adapter is a software fallback, so WASM). */
  reason: string;
  /** The WebGPU adapter seen, if any. */
  adapter?: { isFallbackAdapter: boolean; description?: string };
}

export interface TrainRequest extends TrainSpec {
  /** Id used by `cancel` and echoed in progress events. */
  runId: string;
  /** The training table as Arrow IPC bytes (stream or file format). Transfer it. */
  arrow: Uint8Array;
  /** DuckDB type per column (the data worker's `QueryResult.columns`); datetimes become epoch ms. */
  types?: Record<string, string>;
}

export interface TrainProgress extends Progress {
  runId: string;
  /** ms since the run started. */
  elapsedMs: number;
}

export interface TrainResult extends TrainOutput {
  runId: string;
  backend: Backend;
}

export interface TrainApi {
  /**
   * Choose and initialise the TF.js backend (idempotent: later calls return the first answer).
   * Default choice: WebGPU on a hardware adapter; else WebGL when it is hardware-accelerated; else WASM
   * (always when the only WebGPU adapter is a software fallback such as SwiftShader: ~20× slower than
   * WASM); else CPU. `prefer` forces a backend when it can start (for tests and the settings panel).
   * Calling again with a different `prefer` rejects: create a new worker instead.
   */
  init(prefer?: Backend): Promise<BackendInfo>;
  /**
   * Train one model. Rejects with an error named `AbortError` ("Training cancelled") after `cancel`.
   * `onProgress` must be wrapped with `Comlink.proxy` by the caller.
   */
  train(request: TrainRequest, onProgress?: (p: TrainProgress) => void): Promise<TrainResult>;
  /** Cancel a running training by id; resolves true if one was running. Takes effect between batches. */
  cancel(runId: string): Promise<boolean>;
  /** Predict raw records with a model artifact (JSON string or object), as the server does. */
  predict(artifactJson: string | object, records: Record<string, unknown>[]): Promise<RecordResult[]>;
}
