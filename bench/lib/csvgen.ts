/**
 * A deterministic synthetic CSV (seeded PRNG), generated once into the temp dir and reused: the same
 * bytes on every run and machine, so ingest timings compare across runs.
 */
import {
  closeSync,
  existsSync,
  openSync,
  readFileSync,
  renameSync,
  statSync,
  writeFileSync,
  writeSync,
} from 'node:fs';
import { join } from 'node:path';

/** Bump when the generator changes, so a cached file from an older generator is not reused. */
const GENERATOR_VERSION = 1;

export const CSV_COLUMNS = ['id', 'ts', 'category', 'amount', 'score', 'qty', 'flag', 'note'] as const;
/** 50 levels: a realistic GROUP BY key. */
export const CATEGORY_LEVELS = 50;

const WORDS = [
  'alpha',
  'bravo',
  'charlie',
  'delta',
  'echo',
  'foxtrot',
  'golf',
  'hotel',
  'india',
  'juliet',
  'kilo',
  'lima',
  'mike',
  'november',
  'oscar',
  'papa',
  'quebec',
  'romeo',
  'sierra',
  'tango',
  'uniform',
  'victor',
  'whiskey',
  'xray',
  'yankee',
  'zulu',
  'red',
  'green',
  'blue',
  'amber',
  'slate',
  'ivory',
];

/** mulberry32: tiny, fast, and good enough for test data. */
function mulberry32(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

export interface GeneratedCsv {
  path: string;
  bytes: number;
  rows: number;
  /** True when this call wrote the file (false: reused from an earlier run). */
  generated: boolean;
}

/** Write (or reuse) a CSV of at least `targetBytes` bytes in `dir`. */
export function ensureCsv(dir: string, targetBytes = 100_000_000, seed = 42): GeneratedCsv {
  const base = `gen-${Math.round(targetBytes / 1e6)}mb-s${seed}-v${GENERATOR_VERSION}`;
  const path = join(dir, `${base}.csv`);
  const metaPath = join(dir, `${base}.json`);
  if (existsSync(path) && existsSync(metaPath)) {
    const meta = JSON.parse(readFileSync(metaPath, 'utf8')) as { bytes: number; rows: number };
    if (statSync(path).size === meta.bytes) return { path, ...meta, generated: false };
  }

  const rand = mulberry32(seed);
  // Written to a temp name and renamed, so an interrupted run never leaves a short file to reuse.
  const tmp = `${path}.${process.pid}.tmp`;
  const fd = openSync(tmp, 'w');
  let bytes = 0;
  let rows = 0;
  const t0 = Date.UTC(2024, 0, 1);
  try {
    const header = `${CSV_COLUMNS.join(',')}\n`;
    writeSync(fd, header);
    bytes += Buffer.byteLength(header);
    while (bytes < targetBytes) {
      const lines: string[] = [];
      for (let i = 0; i < 10_000; i++, rows++) {
        const ts = new Date(t0 + rows * 7_000 + Math.floor(rand() * 5_000)).toISOString();
        const cat = `cat_${String(Math.floor(rand() * CATEGORY_LEVELS)).padStart(2, '0')}`;
        const amount = (rand() * 10_000 - 2_000).toFixed(2);
        const score = rand().toFixed(6);
        const qty = Math.floor(rand() * 1000);
        const flag = rand() < 0.3 ? 'true' : 'false';
        const note = `${WORDS[Math.floor(rand() * WORDS.length)]} ${WORDS[Math.floor(rand() * WORDS.length)]}`;
        lines.push(
          `${rows + 1},${ts.slice(0, 10)} ${ts.slice(11, 19)},${cat},${amount},${score},${qty},${flag},${note}`,
        );
      }
      const chunk = `${lines.join('\n')}\n`;
      writeSync(fd, chunk);
      bytes += Buffer.byteLength(chunk);
    }
  } finally {
    closeSync(fd);
  }
  renameSync(tmp, path);
  writeFileSync(metaPath, JSON.stringify({ bytes, rows }));
  return { path, bytes, rows, generated: true };
}
