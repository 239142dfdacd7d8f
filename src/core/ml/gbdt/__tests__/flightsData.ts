/**
 * Flight-delay sample for the GBDT test and benchmark: rows of vega-datasets' flights-3m.parquet
 * read with native DuckDB. Target: delay > 15 min. Features: month, day of week, hour, distance
 * (numeric) and origin, destination (categorical codes, ordered by airport name over the whole file,
 * plus one "unseen" code).
 */
import { DuckDBInstance } from '@duckdb/node-api';
import type { Dataset, FeatureInfo } from '../../types.ts';

export const FLIGHTS_PARQUET = 'node_modules/vega-datasets/data/flights-3m.parquet';

export interface FlightsSample {
  /** Rows in time order (date, then file order). */
  data: Dataset;
  /** Epoch ms of each row. */
  date: Float64Array;
}

/**
 * `rows` rows sampled evenly over the file (every k-th row, so all months are covered),
 * in date order.
 */
export async function loadFlights(rows: number, path = FLIGHTS_PARQUET): Promise<FlightsSample> {
  const instance = await DuckDBInstance.create(':memory:');
  const conn = await instance.connect();
  try {
    await conn.run('SET autoinstall_known_extensions=false');
    await conn.run('SET autoload_known_extensions=false');
    const p = `'${path.replaceAll("'", "''")}'`;
    await conn.run(`CREATE TABLE f AS SELECT row_number() OVER () AS rn, * FROM read_parquet(${p})`);
    const airports = (
      await conn.runAndReadAll('SELECT DISTINCT origin AS a FROM f UNION SELECT DISTINCT destination FROM f')
    )
      .getRowObjects()
      .map((r) => String(r.a))
      .sort();
    await conn.run(
      `CREATE TABLE ap AS SELECT unnest(?::VARCHAR[]) AS a, generate_subscripts(?::VARCHAR[], 1) - 1 AS code`.replaceAll(
        '?',
        `['${airports.join("','")}']`,
      ),
    );
    const total = Number((await conn.runAndReadAll('SELECT count(*) AS n FROM f')).getRowObjects()[0].n);
    const step = Math.max(1, Math.floor(total / rows));
    const reader = await conn.runAndReadAll(`
      SELECT epoch_ms(date)::DOUBLE AS t, month(date)::DOUBLE AS month, dayofweek(date)::DOUBLE AS dow,
             hour(date)::DOUBLE AS hour, distance::DOUBLE AS distance,
             o.code::DOUBLE AS origin, d.code::DOUBLE AS dest, (delay > 15)::DOUBLE AS y
      FROM f JOIN ap o ON o.a = f.origin JOIN ap d ON d.a = f.destination
      WHERE (rn - 1) % ${step} = 0
      ORDER BY date, rn LIMIT ${rows}`);
    const cols = reader.getColumns() as unknown as number[][];
    const n = cols[0].length;
    const nf = 6;
    const X = new Float32Array(n * nf);
    const y = new Float32Array(n);
    const date = new Float64Array(n);
    for (let i = 0; i < n; i++) {
      date[i] = cols[0][i];
      for (let f = 0; f < nf; f++) X[i * nf + f] = cols[f + 1][i];
      y[i] = cols[7][i];
    }
    const cats = airports.length + 1;
    const features: FeatureInfo[] = [
      { name: 'month', source: 'date', kind: 'numeric' },
      { name: 'dow', source: 'date', kind: 'numeric' },
      { name: 'hour', source: 'date', kind: 'numeric' },
      { name: 'distance', source: 'distance', kind: 'numeric' },
      { name: 'origin', source: 'origin', kind: 'categorical', categories: cats },
      { name: 'destination', source: 'destination', kind: 'categorical', categories: cats },
    ];
    return { data: { X: { rows: n, cols: nf, data: X, features }, y }, date };
  } finally {
    conn.closeSync();
    instance.closeSync();
  }
}

/** Rows [from, to) of a dataset. */
export function sliceDataset(d: Dataset, from: number, to: number): Dataset {
  const c = d.X.cols;
  return {
    X: { rows: to - from, cols: c, data: d.X.data.slice(from * c, to * c), features: d.X.features },
    y: d.y.slice(from, to),
    weight: d.weight?.slice(from, to),
  };
}

/** ROC-AUC by the rank formula (ties get average ranks). */
export function rocAuc(y: ArrayLike<number>, score: ArrayLike<number>): number {
  const n = y.length;
  const order = Array.from({ length: n }, (_, i) => i).sort((a, b) => score[a] - score[b]);
  let pos = 0;
  let rankSum = 0;
  for (let i = 0; i < n; ) {
    let j = i;
    while (j + 1 < n && score[order[j + 1]] === score[order[i]]) j++;
    const avg = (i + j) / 2 + 1;
    for (let t = i; t <= j; t++) {
      if (y[order[t]] === 1) {
        pos++;
        rankSum += avg;
      }
    }
    i = j + 1;
  }
  const neg = n - pos;
  return (rankSum - (pos * (pos + 1)) / 2) / (pos * neg);
}
