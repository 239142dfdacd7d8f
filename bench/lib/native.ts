/** Native DuckDB (@duckdb/node-api) as the reference the WASM numbers are divided by. */
import { type DuckDBConnection, DuckDBInstance } from '@duckdb/node-api';
import { median } from './stats.ts';

export interface Samples {
  samplesMs: number[];
  medianMs: number;
  rowCount: number;
}

const sqlString = (s: string): string => `'${s.replaceAll("'", "''")}'`;

export class NativeDuckDB {
  private constructor(
    private readonly instance: DuckDBInstance,
    private readonly conn: DuckDBConnection,
    readonly version: string,
    readonly threads: number,
  ) {}

  /** In-memory database; `threads` undefined = DuckDB's default (all cores). */
  static async open(threads?: number): Promise<NativeDuckDB> {
    const instance = await DuckDBInstance.create(':memory:');
    const conn = await instance.connect();
    // Parquet and CSV are built in; never let a benchmark reach for the network.
    await conn.run('SET autoinstall_known_extensions=false');
    await conn.run('SET autoload_known_extensions=false');
    if (threads !== undefined) await conn.run(`SET threads=${threads}`);
    const v = (await conn.runAndReadAll('SELECT version() AS v')).getRowObjects()[0].v;
    const t = (await conn.runAndReadAll("SELECT current_setting('threads') AS t")).getRowObjects()[0].t;
    return new NativeDuckDB(instance, conn, String(v), Number(t));
  }

  /** `CREATE OR REPLACE TABLE table AS SELECT * FROM reader(path)`, `runs` times. */
  async ingest(
    table: string,
    reader: 'read_parquet' | 'read_csv',
    path: string,
    runs: number,
  ): Promise<Samples> {
    const samplesMs: number[] = [];
    for (let i = 0; i < runs; i++) {
      const t0 = performance.now();
      await this.conn.run(`CREATE OR REPLACE TABLE ${table} AS SELECT * FROM ${reader}(${sqlString(path)})`);
      samplesMs.push(performance.now() - t0);
    }
    const n = (await this.conn.runAndReadAll(`SELECT count(*) AS n FROM ${table}`)).getRowObjects()[0].n;
    return { samplesMs, medianMs: median(samplesMs), rowCount: Number(n) };
  }

  /** One untimed warm-up, then `runs` timed executions including reading the rows into JS. */
  async query(sql: string, runs: number): Promise<Samples> {
    await this.conn.runAndReadAll(sql);
    const samplesMs: number[] = [];
    let rowCount = 0;
    for (let i = 0; i < runs; i++) {
      const t0 = performance.now();
      const reader = await this.conn.runAndReadAll(sql);
      rowCount = reader.getRows().length;
      samplesMs.push(performance.now() - t0);
    }
    return { samplesMs, medianMs: median(samplesMs), rowCount };
  }

  async describe(table: string): Promise<Array<{ name: string; type: string }>> {
    const rows = (await this.conn.runAndReadAll(`DESCRIBE ${table}`)).getRowObjects();
    return rows.map((r) => ({ name: String(r.column_name), type: String(r.column_type) }));
  }

  close(): void {
    this.conn.closeSync();
    this.instance.closeSync();
  }
}
