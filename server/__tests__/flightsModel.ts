/**
 * Real data for the server's parity test and the serving benchmark: every Nth row of vega-datasets'
 * flights-3m.parquet (read with native DuckDB, extensions off) as a ColumnarTable with the target
 * `delayed` (delay > 15 min), and the training spec both use for a binary GBDT on it.
 */
import { DuckDBInstance } from '@duckdb/node-api';
import type { TrainSpec } from '../../src/core/ml/train.ts';
import type { ColumnarTable } from '../../src/core/ml/types.ts';

export const FLIGHTS_PARQUET = 'node_modules/vega-datasets/data/flights-3m.parquet';

/** One flight as loaded (date in epoch ms). */
export interface Flight {
  date: number;
  origin: string;
  destination: string;
  distance: number;
  delayed: number;
}

/** Every `every`-th row of the file, in file order. */
export async function loadFlights(every: number, parquet = FLIGHTS_PARQUET): Promise<Flight[]> {
  const instance = await DuckDBInstance.create(':memory:');
  const conn = await instance.connect();
  try {
    await conn.run('SET autoinstall_known_extensions=false');
    await conn.run('SET autoload_known_extensions=false');
    const reader = await conn.runAndReadAll(`
      SELECT epoch_ms(date)::DOUBLE AS date, origin, destination, distance::DOUBLE AS distance,
             (delay > 15)::DOUBLE AS delayed
      FROM (SELECT row_number() OVER () AS rn, * FROM read_parquet('${parquet.replaceAll("'", "''")}'))
      WHERE rn % ${every} = 0 ORDER BY rn`);
    return reader.getRowObjects() as unknown as Flight[];
  } finally {
    conn.closeSync();
    instance.closeSync();
  }
}

export function flightsTable(flights: Flight[]): ColumnarTable {
  return {
    rowCount: flights.length,
    columns: {
      date: Float64Array.from(flights.map((f) => f.date)),
      origin: flights.map((f) => f.origin),
      destination: flights.map((f) => f.destination),
      distance: Float64Array.from(flights.map((f) => f.distance)),
      delayed: Float64Array.from(flights.map((f) => f.delayed)),
    },
    types: {
      date: 'TIMESTAMP',
      origin: 'VARCHAR',
      destination: 'VARCHAR',
      distance: 'DOUBLE',
      delayed: 'DOUBLE',
    },
  };
}

/** A binary GBDT predicting `delayed` from date, origin, destination and distance. */
export function flightsSpec(o: {
  seed: number;
  splitSeed: number;
  params: Record<string, unknown>;
  name?: string;
}): TrainSpec {
  return {
    target: 'delayed',
    task: 'binary',
    pipeline: {
      columns: [
        { name: 'date', kind: 'datetime' },
        { name: 'origin', kind: 'categorical' },
        { name: 'destination', kind: 'categorical' },
        { name: 'distance', kind: 'numeric' },
      ],
    },
    split: { kind: 'random', seed: o.splitSeed, fractions: { train: 0.8, valid: 0.1, test: 0.1 } },
    family: 'gbdt',
    params: o.params,
    seed: o.seed,
    ...(o.name ? { name: o.name } : {}),
  };
}
