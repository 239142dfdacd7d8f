/**
 * Inputs of the audit e2e tests, written with native DuckDB from the Amazon UK sample in
 * ../shared/data/taxonomy: items (id, title, label), optionally with a few labels moved to another
 * category and a "checked" ground-truth column on a sample, and the category list (every distinct path).
 */
import { createHash } from 'node:crypto';
import { readFile } from 'node:fs/promises';
import { join, resolve } from 'node:path';
import { DuckDBInstance } from '@duckdb/node-api';
import type { NotebookDoc } from '../../src/core/notebook/types.ts';

export const AMAZON = resolve('../shared/data/taxonomy/amazon_uk_products_sample.csv');

export interface AuditInputs {
  items: string;
  categories: string;
}

/** The Amazon sample's distinct category paths as (id, name = last segment, path) rows from `src`. */
export const amazonCategoriesSql = (src: string): string =>
  `SELECT DISTINCT amazon_category_and_sub_category AS id,
          trim(list_last(string_split(amazon_category_and_sub_category, '>'))) AS name,
          amazon_category_and_sub_category AS path
   FROM ${src} WHERE trim(coalesce(amazon_category_and_sub_category, '')) <> ''`;

export async function writeAuditInputs(
  dir: string,
  opts: { items: number; planted?: boolean; extra?: number } = { items: 2000 },
): Promise<AuditInputs> {
  const items = join(dir, 'items.csv');
  const categories = join(dir, 'categories.csv');
  const db = await DuckDBInstance.create(':memory:');
  const con = await db.connect();
  await con.run('SET autoinstall_known_extensions=false; SET autoload_known_extensions=false');
  const src = `read_csv('${AMAZON}', header=true, sample_size=-1, all_varchar=true)`;
  await con.run(`CREATE TABLE cats AS ${amazonCategoriesSql(src)} ORDER BY 1`);
  await con.run(`COPY cats TO '${categories}' (HEADER)`);
  await con.run(
    `CREATE TABLE base AS SELECT row_number() OVER () AS rn, uniq_id, product_name,
            amazon_category_and_sub_category AS truth FROM ${src} LIMIT ${opts.items}`,
  );
  if (opts.planted) {
    // Every 20th labelled item gets another category's label; every 3rd item is "checked" (ground truth).
    await con.run(
      `CREATE TABLE ids AS SELECT row_number() OVER (ORDER BY id) - 1 AS k, id FROM cats;
       COPY (SELECT uniq_id, product_name,
               CASE WHEN rn % 20 = 0 AND truth IS NOT NULL
                    THEN (SELECT id FROM ids WHERE k = (rn * 7) % (SELECT count(*) FROM ids)) ELSE truth END
                 AS amazon_category_and_sub_category,
               CASE WHEN rn % 3 = 0 THEN truth END AS checked
             FROM base ORDER BY rn) TO '${items}' (HEADER)`,
    );
  } else {
    await con.run(
      `COPY (SELECT uniq_id, product_name, truth AS amazon_category_and_sub_category FROM base ORDER BY rn)
         TO '${items}' (HEADER)`,
    );
  }
  con.closeSync();
  return { items, categories };
}

export async function fileRef(path: string, name: string) {
  const bytes = await readFile(path);
  return {
    ref: {
      type: 'file' as const,
      name,
      size: bytes.byteLength,
      sha256: createHash('sha256').update(bytes).digest('hex'),
    },
    b64: bytes.toString('base64'),
  };
}

/** Items + categories sources, a SQL cell `cats` over the categories, and the audit cell `a`. */
export function auditNotebook(
  id: string,
  refs: { items: Awaited<ReturnType<typeof fileRef>>; categories: Awaited<ReturnType<typeof fileRef>> },
  audit: Record<string, unknown> = {},
): NotebookDoc {
  const now = new Date().toISOString();
  return {
    format: 'benchtop-notebook',
    version: 1,
    id,
    title: 'Audit',
    createdAt: now,
    updatedAt: now,
    cells: [
      { id: 'i', kind: 'source', config: { name: 'items', ref: refs.items.ref } },
      { id: 'c', kind: 'source', config: { name: 'categories', ref: refs.categories.ref } },
      { id: 's', kind: 'sql', config: { name: 'cats', sql: 'SELECT * FROM categories' } },
      {
        id: 'a',
        kind: 'audit',
        config: {
          items: 'items',
          idColumn: 'uniq_id',
          titleColumn: 'product_name',
          labelColumn: 'amazon_category_and_sub_category',
          categories: 'cats',
          categoryIdColumn: 'id',
          categoryNameColumn: 'name',
          pathColumn: 'path',
          name: 'audit',
          judge: 'none',
          ...audit,
        },
      },
    ],
  } as NotebookDoc;
}
