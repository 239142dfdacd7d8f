import { copyFileSync, mkdirSync, readdirSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { brotliCompressSync, constants as zc, gzipSync } from 'node:zlib';
import { svelte } from '@sveltejs/vite-plugin-svelte';
import { defineConfig, type Plugin } from 'vite';

interface ManifestEntry {
  id: string;
  file: string;
}
const manifest = JSON.parse(readFileSync('datasets/manifest.json', 'utf8')) as { datasets: ManifestEntry[] };
const vegaDir = 'node_modules/vega-datasets/data';

/**
 * Bundled datasets: copy the files named in datasets/manifest.json out of the vega-datasets npm
 * package into dist/datasets/ (build) or serve them from node_modules (dev). The app fetches them from
 * its own origin, so nothing is downloaded from elsewhere at run time.
 */
function bundledDatasets(): Plugin {
  return {
    name: 'benchtop-datasets',
    configureServer(server) {
      server.middlewares.use('/datasets/', (req, res, next) => {
        const name = decodeURIComponent((req.url ?? '').replace(/^\//, '').split('?')[0]);
        if (name === 'manifest.json') {
          res.setHeader('content-type', 'application/json');
          res.end(readFileSync('datasets/manifest.json'));
          return;
        }
        const entry = manifest.datasets.find((d) => d.file === name);
        if (!entry) return next();
        res.end(readFileSync(join(vegaDir, entry.file)));
      });
    },
    writeBundle(options) {
      const out = join(options.dir ?? 'dist', 'datasets');
      mkdirSync(out, { recursive: true });
      copyFileSync('datasets/manifest.json', join(out, 'manifest.json'));
      for (const d of manifest.datasets) copyFileSync(join(vegaDir, d.file), join(out, d.file));
    },
  };
}

/**
 * Precompress large static files (.br and .gz beside each) so the server can send DuckDB's 34 MB wasm
 * as ~6 MB without compressing per request. server/static.ts picks the variant the browser accepts.
 */
function precompress(): Plugin {
  const exts = /\.(wasm|js|css|html|json|svg|csv|tsv|arrow)$/;
  let outDir = 'dist';
  return {
    name: 'benchtop-precompress',
    apply: 'build',
    // The output folder as resolved by Vite (`--outDir` included), so parallel builds into separate
    // folders (see tests/e2e/app.ts, BENCHTOP_E2E_DIST) do not compress each other's files.
    writeBundle(options) {
      outDir = options.dir ?? 'dist';
    },
    closeBundle() {
      const walk = (dir: string): string[] =>
        readdirSync(dir).flatMap((f) => {
          const p = join(dir, f);
          return statSync(p).isDirectory() ? walk(p) : [p];
        });
      for (const file of walk(outDir)) {
        if (!exts.test(file) || statSync(file).size < 1024) continue;
        const raw = readFileSync(file);
        writeFileSync(`${file}.gz`, gzipSync(raw, { level: 9 }));
        writeFileSync(
          `${file}.br`,
          brotliCompressSync(raw, {
            params: { [zc.BROTLI_PARAM_QUALITY]: 9, [zc.BROTLI_PARAM_SIZE_HINT]: raw.length },
          }),
        );
      }
    },
  };
}

export default defineConfig({
  plugins: [svelte(), bundledDatasets(), precompress()],
  // No COOP/COEP headers anywhere: under cross-origin isolation tfjs picks its threaded wasm build,
  // which hangs in a minified bundle (see ../shared/notes/toolchain.md).
  worker: { format: 'es' },
  optimizeDeps: { exclude: ['@duckdb/duckdb-wasm'] },
  build: { target: 'es2022', chunkSizeWarningLimit: 2000, sourcemap: true },
  server: { host: '127.0.0.1', port: 5173 },
});
