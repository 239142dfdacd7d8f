/**
 * Main-thread handle on the data worker. One worker per page (module-level singleton): call
 * `startDataWorker()` first thing at startup so DuckDB-WASM instantiates while the UI renders.
 */
import * as Comlink from 'comlink';
import type { DataApi } from '../../../workers/data.api.ts';

let proxy: Comlink.Remote<DataApi> | undefined;

export function startDataWorker(): Comlink.Remote<DataApi> {
  proxy ??= Comlink.wrap<DataApi>(
    new Worker(new URL('../../../workers/data.worker.ts', import.meta.url), {
      type: 'module',
      name: 'benchtop-data',
    }),
  );
  return proxy;
}

/** The data worker proxy, starting the worker if nothing has yet. */
export function getData(): Comlink.Remote<DataApi> {
  return startDataWorker();
}
