/**
 * Start DuckDB-WASM inside the data worker. The wasm and DuckDB's own worker scripts are served from
 * our build (Vite `?url` imports), never from a CDN. DuckDB's worker is nested inside ours.
 */
import { AsyncDuckDB, type DuckDBBundles, selectBundle, VoidLogger } from '@duckdb/duckdb-wasm';
import ehWorker from '@duckdb/duckdb-wasm/dist/duckdb-browser-eh.worker.js?url';
import mvpWorker from '@duckdb/duckdb-wasm/dist/duckdb-browser-mvp.worker.js?url';
import ehWasm from '@duckdb/duckdb-wasm/dist/duckdb-eh.wasm?url';
import mvpWasm from '@duckdb/duckdb-wasm/dist/duckdb-mvp.wasm?url';
import type { InitInfo } from '../data.api.ts';

const BUNDLES: DuckDBBundles = {
  mvp: { mainModule: mvpWasm, mainWorker: mvpWorker },
  eh: { mainModule: ehWasm, mainWorker: ehWorker },
};

/**
 * Extension autoload would make DuckDB fetch from extensions.duckdb.org when a query needs Parquet,
 * JSON or ICU: that fails offline with confusing errors and leaks a request to a third party. Turn it
 * off and lock the configuration so user SQL cannot turn it back on.
 */
const LOCKDOWN = [
  'SET autoload_known_extensions=false',
  'SET autoinstall_known_extensions=false',
  'SET lock_configuration=true',
];

export interface Booted {
  db: AsyncDuckDB;
  info: InitInfo;
}

export async function bootDuckDb(): Promise<Booted> {
  const t0 = performance.now();
  const bundle = await selectBundle(BUNDLES);
  const worker = new Worker(bundle.mainWorker!);
  const db = new AsyncDuckDB(new VoidLogger(), worker);
  await db.instantiate(bundle.mainModule, bundle.pthreadWorker);
  await db.open({});
  const conn = await db.connect();
  try {
    for (const sql of LOCKDOWN) await conn.query(sql);
  } finally {
    await conn.close();
  }
  const version = await db.getVersion();
  return {
    db,
    info: {
      version,
      bundle: bundle.mainModule === ehWasm ? 'eh' : 'mvp',
      ms: Math.round(performance.now() - t0),
    },
  };
}
