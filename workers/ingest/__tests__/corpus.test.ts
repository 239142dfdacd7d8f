/**
 * The whole bad-file corpus (tests/fixtures/bad) through the pure ingest path in Node: every file
 * must be rejected with its expected message (file name, and line/column where known). The good
 * fixtures must decode with the expected row counts and types. The browser e2e test repeats this
 * through DuckDB-WASM.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { type Table, tableFromIPC } from 'apache-arrow';
import { describe, expect, it } from 'vitest';
import { duckTypeOfArrow } from '../duckTypes.ts';
import { checkFileSize } from '../precheck.ts';
import { prepareIngest } from '../prepare.ts';
import { useParquetWasmInNode } from './parquetWasmNode.ts';

useParquetWasmInNode();

const root = join(import.meta.dirname, '../../../tests/fixtures');
interface BadCase {
  file: string;
  pattern: string;
  sizeOnly?: number;
}
const bad = JSON.parse(readFileSync(join(root, 'bad/expected.json'), 'utf8')) as { cases: BadCase[] };
const good = JSON.parse(readFileSync(join(root, 'good/expected.json'), 'utf8')) as Record<
  string,
  { rows: number; types: Record<string, string> }
>;

async function ingestMessage(name: string, bytes: Uint8Array, defer = false): Promise<string> {
  try {
    const p = prepareIngest(name, bytes, undefined, { deferCsvChecks: defer });
    if (p.kind === 'arrow') for await (const _ of p.tables);
    else {
      p.checkStart();
      p.check();
    }
    return 'no error';
  } catch (e) {
    return e instanceof Error ? e.message : String(e);
  }
}

describe('bad corpus', () => {
  it('has at least 22 cases', () => expect(bad.cases.length).toBeGreaterThanOrEqual(22));
  for (const c of bad.cases) {
    it(c.file, async () => {
      if (c.sizeOnly !== undefined) {
        expect(() => checkFileSize(c.file, c.sizeOnly!)).toThrow(new RegExp(c.pattern));
        return;
      }
      const bytes = new Uint8Array(readFileSync(join(root, 'bad', c.file)));
      expect(await ingestMessage(c.file, bytes)).toMatch(new RegExp(c.pattern));
      // The worker defers the linear CSV checks (to run them while DuckDB reads): same messages.
      expect(await ingestMessage(c.file, bytes, true)).toMatch(new RegExp(c.pattern));
    });
  }
});

describe('good fixtures', () => {
  for (const [file, want] of Object.entries(good)) {
    it(file, async () => {
      const p = prepareIngest(file, new Uint8Array(readFileSync(join(root, 'good', file))));
      if (p.kind === 'csv') {
        expect(p.check().dataRows).toBe(want.rows);
        expect(p.check().header).toEqual(Object.keys(want.types));
        return;
      }
      const tables: Table[] = [];
      for await (const t of p.tables) tables.push(t instanceof Uint8Array ? tableFromIPC(t) : t);
      expect(tables.reduce((n, t) => n + t.numRows, 0)).toBe(want.rows);
      const types = Object.fromEntries(tables[0].schema.fields.map((f) => [f.name, duckTypeOfArrow(f.type)]));
      // Casts the worker applies after insert (Parquet millisecond timestamps become TIMESTAMP).
      for (const c of p.casts) types[c.column] = c.type;
      expect(types).toEqual(want.types);
    });
  }
});
