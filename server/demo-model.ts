/**
 * The demo model for the README's curl commands: a GBDT regression of fuel economy (Miles_per_Gallon)
 * on vega-datasets' cars.json (bundled, 406 cars), trained in Node with the notebook's own train.ts.
 * The artifact carries one real training record as `example` (used by /openapi.json).
 *
 *   npx tsx server/demo-model.ts > cars-mpg.json
 */
import { readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { ModelArtifact } from '../src/core/ml/artifact.ts';
import { trainModel } from '../src/core/ml/train.ts';
import type { ColumnarTable } from '../src/core/ml/types.ts';

interface Car {
  Name: string;
  Miles_per_Gallon: number | null;
  Cylinders: number | null;
  Displacement: number | null;
  Horsepower: number | null;
  Weight_in_lbs: number | null;
  Acceleration: number | null;
  Year: string;
  Origin: string | null;
}

export async function trainDemoModel(): Promise<ModelArtifact & { example: Record<string, unknown> }> {
  const root = join(dirname(fileURLToPath(import.meta.url)), '..');
  const path = join(root, 'node_modules', 'vega-datasets', 'data', 'cars.json');
  const cars = (JSON.parse(readFileSync(path, 'utf8')) as Car[]).filter((c) => c.Miles_per_Gallon !== null);
  const num = (k: keyof Car) => cars.map((c) => (c[k] === null ? null : Number(c[k])));
  const table: ColumnarTable = {
    rowCount: cars.length,
    columns: {
      cylinders: num('Cylinders'),
      displacement: num('Displacement'),
      horsepower: num('Horsepower'),
      weight: num('Weight_in_lbs'),
      acceleration: num('Acceleration'),
      year: cars.map((c) => Number(c.Year.slice(0, 4))),
      origin: cars.map((c) => c.Origin),
      mpg: Float64Array.from(cars.map((c) => c.Miles_per_Gallon as number)),
    },
    types: {
      cylinders: 'BIGINT',
      displacement: 'DOUBLE',
      horsepower: 'BIGINT',
      weight: 'BIGINT',
      acceleration: 'DOUBLE',
      year: 'BIGINT',
      origin: 'VARCHAR',
      mpg: 'DOUBLE',
    },
  };
  const out = await trainModel(
    table,
    {
      target: 'mpg',
      task: 'regression',
      pipeline: {
        columns: [
          { name: 'cylinders', kind: 'numeric' },
          { name: 'displacement', kind: 'numeric' },
          { name: 'horsepower', kind: 'numeric' },
          { name: 'weight', kind: 'numeric' },
          { name: 'acceleration', kind: 'numeric' },
          { name: 'year', kind: 'numeric' },
          { name: 'origin', kind: 'categorical' },
        ],
      },
      split: { kind: 'random', seed: 1, fractions: { train: 0.7, valid: 0.15, test: 0.15 } },
      family: 'gbdt',
      params: { nEstimators: 200, minDataInLeaf: 5 },
      seed: 1,
      name: 'cars-mpg',
    },
    { backend: 'js' },
  );
  const first = cars[0];
  const example = {
    cylinders: first.Cylinders,
    displacement: first.Displacement,
    horsepower: first.Horsepower,
    weight: first.Weight_in_lbs,
    acceleration: first.Acceleration,
    year: Number(first.Year.slice(0, 4)),
    origin: first.Origin,
  };
  return { ...out.artifact, example };
}

if (import.meta.url === `file://${process.argv[1]}`) {
  trainDemoModel().then(
    (a) => process.stdout.write(`${JSON.stringify(a)}\n`),
    (e: unknown) => {
      console.error(e);
      process.exit(1);
    },
  );
}
