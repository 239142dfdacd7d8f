/** Test data for the audit: Amazon UK titles and the eBay category list from ../shared (read-only). */
import { existsSync } from 'node:fs';
import { resolve } from 'node:path';
import { DuckDBInstance } from '@duckdb/node-api';
import type { Category } from '../categoryIndex.ts';
import { decodeEntities } from '../normalize.ts';

const TAXONOMY = resolve(
  process.env.BENCHTOP_SHARED ?? resolve(process.cwd(), '..', 'shared'),
  'data',
  'taxonomy',
);
export const AMAZON_CSV = resolve(TAXONOMY, 'amazon_uk_products_sample.csv');
export const EBAY_CSV = resolve(TAXONOMY, 'ebay_categories.csv');
export const taxonomyAvailable = (): boolean => existsSync(AMAZON_CSV) && existsSync(EBAY_CSV);

async function readCsv(path: string, select: string): Promise<Record<string, unknown>[]> {
  const instance = await DuckDBInstance.create(':memory:');
  const conn = await instance.connect();
  try {
    await conn.run('SET autoinstall_known_extensions=false');
    await conn.run('SET autoload_known_extensions=false');
    const p = `'${path.replaceAll("'", "''")}'`;
    const r = await conn.runAndReadAll(`SELECT ${select} FROM read_csv(${p}, header=true, all_varchar=true)`);
    return r.getRowObjects() as Record<string, unknown>[];
  } finally {
    conn.closeSync();
    instance.closeSync();
  }
}

export interface AmazonItem {
  id: string;
  title: string;
  /** "A > B > C", or '' when blank. */
  path: string;
  manufacturer: string;
}

export async function loadAmazon(): Promise<AmazonItem[]> {
  const rows = await readCsv(
    AMAZON_CSV,
    'uniq_id, product_name, amazon_category_and_sub_category AS path, manufacturer',
  );
  return rows.map((r) => ({
    id: String(r.uniq_id ?? ''),
    title: String(r.product_name ?? ''),
    path: r.path == null ? '' : String(r.path).trim(),
    manufacturer: r.manufacturer == null ? '' : String(r.manufacturer),
  }));
}

/** Category list from distinct Amazon paths: every path is a leaf (id = the path), prefixes internal. */
export function amazonCategories(paths: Iterable<string>): Category[] {
  const leaves = new Set([...paths].filter(Boolean));
  const all = new Map<string, Category>();
  for (const p of leaves) {
    const parts = p.split(' > ').map((s) => s.trim());
    for (let d = 1; d <= parts.length; d++) {
      const id = parts.slice(0, d).join(' > ');
      const leaf = leaves.has(id);
      if (!all.has(id)) all.set(id, { id, name: parts[d - 1], path: parts.slice(0, d), leaf });
    }
  }
  return [...all.values()];
}

/** The eBay list (names entity-decoded? no: kept raw, as the index must cope with entities). */
export async function loadEbay(): Promise<Category[]> {
  const cols = ['CategoryID', 'CategoryName', 'LeafCategory'];
  for (let l = 1; l <= 7; l++) cols.push(`L${l}_name`);
  const rows = await readCsv(EBAY_CSV, cols.join(', '));
  return rows.map((r) => {
    const path: string[] = [];
    for (let l = 1; l <= 7; l++) {
      const v = r[`L${l}_name`];
      if (v != null && String(v) !== '') path.push(String(v));
    }
    const leaf = String(r.LeafCategory ?? '').toLowerCase();
    return {
      id: String(r.CategoryID),
      name: String(r.CategoryName),
      path,
      leaf: leaf === 'true' || leaf === '1' || leaf === 'yes',
    };
  });
}

export { decodeEntities };

/** Deterministic PRNG (mulberry32). */
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

/** `copies` copies of the list: copy c>0 gets a variant token in leaf names and a `Site<c>` root. */
const VARIANTS = ['Vintage', 'Pro', 'Mini', 'Deluxe', 'Classic', 'Kids'];

export function tileCategories(base: Category[], copies: number): Category[] {
  const out: Category[] = [...base];
  for (let c = 1; c < copies; c++) {
    const site = `Site${c}`;
    for (const cat of base) {
      const v = VARIANTS[(cat.id.length + c) % VARIANTS.length];
      const name = cat.leaf ? `${cat.name} ${v}` : cat.name;
      out.push({ id: `${cat.id}-${c}`, name, path: [site, ...cat.path.slice(0, -1), name], leaf: cat.leaf });
    }
  }
  return out;
}
