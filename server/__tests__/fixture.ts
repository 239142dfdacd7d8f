/** A tiny built app in a temp dir, so server tests need no `npm run build`. */
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { brotliCompressSync, gzipSync } from 'node:zlib';

export const INDEX_HTML = `<!doctype html>
<html lang="en"><head><meta charset="UTF-8" />
<meta http-equiv="Content-Security-Policy" content="default-src 'self'; script-src 'self' 'wasm-unsafe-eval'" />
<title>Benchtop</title><script type="module" crossorigin src="/assets/index-abc123.js"></script></head>
<body><div id="app"></div></body></html>
`;

/** Bytes that are obviously different per encoding, so a test can tell which file was sent. */
export const WASM = new Uint8Array([
  0x00,
  0x61,
  0x73,
  0x6d,
  0x01,
  0x00,
  0x00,
  0x00,
  ...new Array(2000).fill(7),
]);

export interface Fixture {
  /** The dist dir. */
  dist: string;
  /** Parent of dist: holds a "secret" package.json that must never be served. */
  root: string;
  cleanup(): void;
}

export function makeDist(): Fixture {
  const root = mkdtempSync(join(tmpdir(), 'benchtop-server-test-'));
  const dist = join(root, 'dist');
  mkdirSync(join(dist, 'assets'), { recursive: true });
  mkdirSync(join(dist, 'datasets'), { recursive: true });
  writeFileSync(join(root, 'package.json'), '{"secret":"outside-dist"}');
  writeFileSync(join(dist, 'index.html'), INDEX_HTML);
  writeFileSync(join(dist, 'assets', 'index-abc123.js'), 'console.log("entry");\n');
  writeFileSync(join(dist, 'assets', 'index-abc123.js.map'), '{"version":3}');
  writeFileSync(join(dist, 'assets', 'duckdb-eh.wasm'), WASM);
  writeFileSync(join(dist, 'assets', 'duckdb-eh.wasm.br'), brotliCompressSync(WASM));
  writeFileSync(join(dist, 'assets', 'duckdb-eh.wasm.gz'), gzipSync(WASM));
  writeFileSync(join(dist, 'assets', 'worker.mjs'), 'export {};\n');
  writeFileSync(join(dist, 'datasets', 'stocks.csv'), 'symbol,price\nA,1\n');
  writeFileSync(join(dist, 'datasets', 'unemployment.tsv'), 'id\trate\n1\t0.1\n');
  writeFileSync(join(dist, 'datasets', 'flights.parquet'), 'PAR1....PAR1');
  writeFileSync(join(dist, 'datasets', 'flights.arrow'), 'ARROW1');
  writeFileSync(join(dist, 'datasets', 'manifest.json'), '{"datasets":[]}');
  writeFileSync(join(dist, 'favicon.svg'), '<svg xmlns="http://www.w3.org/2000/svg"/>');
  writeFileSync(join(dist, '.env'), 'SECRET=1');
  return { dist, root, cleanup: () => rmSync(root, { recursive: true, force: true }) };
}
