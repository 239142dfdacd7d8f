/**
 * Node tests instantiate parquet-wasm from the package's .wasm bytes (the worker fetches the same file
 * from the build through a Vite `?url` import instead).
 */
import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { initSync } from 'parquet-wasm/esm';
import { setParquetWasm } from '../parquet.ts';

export function useParquetWasmInNode(): void {
  setParquetWasm(async () => {
    const path = createRequire(import.meta.url).resolve('parquet-wasm/esm/parquet_wasm_bg.wasm');
    initSync({ module: readFileSync(path) });
  });
}
