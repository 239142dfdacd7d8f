/**
 * The initial payload: what index.html makes the browser download before the app can run (entry
 * module, its modulepreloads and static imports, stylesheets), measured as gzip bytes.
 */
import { existsSync, readFileSync } from 'node:fs';
import { join, posix, resolve, sep } from 'node:path';
import { gzipSync } from 'node:zlib';

export interface PayloadFile {
  url: string;
  kind: 'entry' | 'modulepreload' | 'static-import' | 'stylesheet';
  rawBytes: number;
  gzipBytes: number;
  /** Names of heavy libraries whose code this file contains (should be none). */
  heavy: string[];
}

export interface EntryPayload {
  files: PayloadFile[];
  jsGzipBytes: number;
  cssGzipBytes: number;
  totalGzipBytes: number;
}

/**
 * Strings that survive minification and only occur inside these libraries' own code, so finding one
 * in a main-thread chunk means the library was bundled there instead of into its worker.
 */
export const HEAVY_MARKERS: Record<string, string[]> = {
  'duckdb-wasm': ['REGISTER_FILE_BUFFER'],
  tfjs: ['Conv2DBackpropInput'],
};

export function heavyLibrariesIn(code: string): string[] {
  return Object.entries(HEAVY_MARKERS)
    .filter(([, markers]) => markers.some((m) => code.includes(m)))
    .map(([lib]) => lib);
}

const attr = (tag: string, name: string): string | undefined =>
  new RegExp(`\\b${name}\\s*=\\s*["']([^"']*)["']`, 'i').exec(tag)?.[1];

/** Static `import ... from "./x.js"` / `import "./x.js"` in a vite chunk (not dynamic `import(`). */
const STATIC_IMPORT = /\bimport\s*(?:[\w$*{}\s,]*?\bfrom\s*)?["'](\.{1,2}\/[^"']+\.js)["']/g;

export function entryPayload(distDir: string): EntryPayload {
  const html = readFileSync(join(distDir, 'index.html'), 'utf8');
  const found = new Map<string, PayloadFile['kind']>();
  for (const tag of html.match(/<script\b[^>]*>/gi) ?? []) {
    const src = attr(tag, 'src');
    if (src && attr(tag, 'type') === 'module') found.set(src, 'entry');
  }
  for (const tag of html.match(/<link\b[^>]*>/gi) ?? []) {
    const rel = attr(tag, 'rel')?.toLowerCase();
    const href = attr(tag, 'href');
    if (!href) continue;
    if (rel === 'modulepreload') found.set(href, found.get(href) ?? 'modulepreload');
    if (rel === 'stylesheet') found.set(href, 'stylesheet');
  }

  // Follow static imports too, in case a build ever stops emitting modulepreload links.
  const queue = [...found.keys()].filter((u) => u.endsWith('.js'));
  while (queue.length > 0) {
    const url = queue.shift()!;
    const file = join(distDir, url);
    if (!existsSync(file)) continue;
    for (const m of readFileSync(file, 'utf8').matchAll(STATIC_IMPORT)) {
      const dep = posix.join(posix.dirname(url), m[1]);
      if (!found.has(dep)) {
        found.set(dep, 'static-import');
        queue.push(dep);
      }
    }
  }

  const files: PayloadFile[] = [];
  for (const [url, kind] of found) {
    const file = join(distDir, url);
    // index.html is our own build output, but a stray `../` in it must still not count outside files.
    if (!resolve(file).startsWith(resolve(distDir) + sep) || !existsSync(file)) continue;
    const raw = readFileSync(file);
    files.push({
      url,
      kind,
      rawBytes: raw.length,
      gzipBytes: gzipSync(raw, { level: 9 }).length,
      heavy: url.endsWith('.js') ? heavyLibrariesIn(raw.toString('utf8')) : [],
    });
  }
  const sum = (pred: (f: PayloadFile) => boolean) => files.filter(pred).reduce((s, f) => s + f.gzipBytes, 0);
  const jsGzipBytes = sum((f) => f.url.endsWith('.js'));
  const cssGzipBytes = sum((f) => f.url.endsWith('.css'));
  return { files, jsGzipBytes, cssGzipBytes, totalGzipBytes: jsGzipBytes + cssGzipBytes };
}
