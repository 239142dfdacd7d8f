/**
 * The data worker: owns the only DuckDB-WASM instance and exposes `DataApi` over comlink.
 * DuckDB starts booting as soon as this module loads, so the page's first query does not pay for it.
 */
import * as Comlink from 'comlink';
import type { DataApi, QueryResult } from './data.api.ts';
import { bootDuckDb } from './db/boot.ts';
import { DataService } from './db/service.ts';

const service = new DataService(bootDuckDb);
// Eager start; a failure here is reported again to whoever calls init() (the promise is memoised).
service.init().catch(() => undefined);

/** Hand Arrow bytes over without copying: the buffer moves to the main thread. */
const moveResult = (r: QueryResult): QueryResult => Comlink.transfer(r, [r.arrow.buffer]);

const api: DataApi = {
  init: () => service.init(),
  registerFile: (req) => service.registerFile(req),
  query: async (sql, queryId) => moveResult(await service.query(sql, queryId)),
  createTableAs: (name, sql, queryId) => service.createTableAs(name, sql, queryId),
  describe: (table) => service.describe(table),
  listTables: () => service.listTables(),
  dropTable: (table) => service.dropTable(table),
  setColumnType: (table, column, type) => service.setColumnType(table, column, type),
  page: async (req) => moveResult(await service.page(req)),
  exportCsv: async (table) => {
    const bytes = await service.exportCsv(table);
    return Comlink.transfer(bytes, [bytes.buffer]);
  },
  cancel: (queryId) => service.cancel(queryId),
};

Comlink.expose(api);
