/** Test fixtures for the profiler: a seeded PRNG, native DuckDB as the `run` function, table builders. */
import { type DuckDBConnection, DuckDBInstance } from '@duckdb/node-api';
import type { RunSql } from '../profile.ts';

/** mulberry32: small, seeded, good enough for fixtures. */
export function rng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/** Standard normal via Box–Muller. */
export function normal(r: () => number): number {
  return Math.sqrt(-2 * Math.log(1 - r())) * Math.cos(2 * Math.PI * r());
}

export interface Db {
  con: DuckDBConnection;
  run: RunSql;
  close(): void;
}

export async function openDb(): Promise<Db> {
  const db = await DuckDBInstance.create(':memory:');
  const con = await db.connect();
  await con.run('SET autoinstall_known_extensions=false; SET autoload_known_extensions=false');
  return {
    con,
    run: async (sql) => (await con.runAndReadAll(sql)).getRowObjectsJS() as Record<string, unknown>[],
    close: () => con.closeSync(),
  };
}

export type Value = number | string | boolean | null | { date: string } | { ts: string };

function literal(v: Value): string {
  if (v === null) return 'NULL';
  if (typeof v === 'number') {
    if (Number.isNaN(v)) return "'NaN'::DOUBLE";
    return String(v);
  }
  if (typeof v === 'boolean') return v ? 'true' : 'false';
  if (typeof v === 'string') return `'${v.replaceAll("'", "''")}'`;
  if ('date' in v) return `DATE '${v.date}'`;
  return `TIMESTAMP '${v.ts}'`;
}

/** CREATE TABLE name (schema) and insert rows (arrays in schema order). */
export async function createTable(
  db: Db,
  name: string,
  schema: [string, string][],
  rows: Value[][],
): Promise<void> {
  await db.con.run(`CREATE OR REPLACE TABLE "${name}" (${schema.map(([c, t]) => `"${c}" ${t}`).join(', ')})`);
  for (let i = 0; i < rows.length; i += 500) {
    const chunk = rows.slice(i, i + 500).map((r) => `(${r.map(literal).join(', ')})`);
    await db.con.run(`INSERT INTO "${name}" VALUES ${chunk.join(', ')}`);
  }
}

export const iso = (ms: number) => new Date(ms).toISOString().slice(0, 10);
export const isoTs = (ms: number) => new Date(ms).toISOString().replace('T', ' ').slice(0, 19);
