/**
 * Headless notebook runner:
 *
 *   npm run notebook -- run path/to/notebook.benchtop.json --data orders=path/orders.csv ... --out results/
 *
 * Starts the real server over the built app (dist/), opens it in headless Chromium, loads the
 * notebook, provides the data files, runs every cell, and writes each cell's outputs to --out:
 * tables as CSV, cell metadata and metrics as JSON, charts as SVG, plus `summary.json`. Exits 1,
 * naming the cell, if any cell fails; exits 2 for bad arguments. Same code path as the UI.
 */
import { mkdir, readFile, writeFile } from 'node:fs/promises';
import { basename, join, resolve } from 'node:path';
import { parseArgs } from 'node:util';
import type { CellRunState } from '../src/automation.ts';
import { parseNotebook } from '../src/core/notebook/schema.ts';
import type { NotebookDoc } from '../src/core/notebook/types.ts';
import { launchChromium } from './chromium.ts';

export interface RunOptions {
  notebook: string;
  /** name → path; `name` is the file name the notebook references, or the table name of its source cell. */
  data: Record<string, string>;
  out: string;
  /** Built app to serve (default ./dist). */
  dist?: string;
  log?: (line: string) => void;
}

export interface RunSummary {
  ok: boolean;
  notebook: string;
  cells: {
    index: number;
    id: string;
    kind: string;
    status: string;
    ms?: number;
    error?: string;
    files: string[];
  }[];
  failed?: { index: number; id: string; kind: string; error: string };
}

function usage(): never {
  console.error(
    'usage: npm run notebook -- run NOTEBOOK.benchtop.json [--data NAME=PATH ...] [--out DIR]\n' +
      '  NAME is the file name the notebook references (e.g. orders.csv) or its table name (e.g. orders).',
  );
  process.exit(2);
}

/** Map a --data name onto the file name a source cell references. */
function resolveDataName(doc: NotebookDoc, name: string): string {
  for (const c of doc.cells) {
    const ref = c.config.ref as { type?: string; name?: string } | undefined;
    if (c.kind !== 'source' || ref?.type !== 'file') continue;
    if (ref.name === name || c.config.name === name) return ref.name!;
  }
  return name;
}

function safeName(s: string): string {
  return s.replace(/[^\w.-]+/g, '_').slice(0, 80);
}

export async function runNotebook(opts: RunOptions): Promise<RunSummary> {
  const log = opts.log ?? ((l: string) => console.log(l));
  const doc = parseNotebook(JSON.parse(await readFile(opts.notebook, 'utf8')));
  const { startServer } = await import('../server/start.ts');
  const server = await startServer({ distDir: resolve(opts.dist ?? 'dist'), port: 0 });
  const browser = await launchChromium();
  try {
    const page = await browser.newPage();
    const pageErrors: string[] = [];
    page.on('pageerror', (e) => pageErrors.push(e.message));
    await page.goto(server.url);
    await page.waitForFunction(() => window.benchtop !== undefined, undefined, { timeout: 60_000 });
    await page.evaluate(() => window.benchtop!.ready());
    await page.evaluate((d) => window.benchtop!.openNotebook(d), doc);
    for (const [name, path] of Object.entries(opts.data)) {
      const fileName = resolveDataName(doc, name);
      const bytes = await readFile(path);
      log(`data: ${fileName} ← ${path} (${bytes.byteLength.toLocaleString('en-US')} bytes)`);
      // Send as base64: page.evaluate serialises arguments as JSON.
      await page.evaluate(
        async ([n, b64]) => {
          const bin = atob(b64);
          const u8 = new Uint8Array(bin.length);
          for (let i = 0; i < bin.length; i++) u8[i] = bin.charCodeAt(i);
          await window.benchtop!.provideFile(n, u8);
        },
        [fileName, bytes.toString('base64')] as const,
      );
    }
    log(`running ${doc.cells.length} cells of "${doc.title}"`);
    const states = (await page.evaluate(() => window.benchtop!.runAll())) as Record<string, CellRunState>;
    await mkdir(opts.out, { recursive: true });
    const summary: RunSummary = { ok: true, notebook: doc.title, cells: [] };
    for (const [i, cell] of doc.cells.entries()) {
      const st = states[cell.id] ?? { status: 'idle' };
      const prefix = `${String(i + 1).padStart(2, '0')}-${cell.kind}`;
      const files: string[] = [];
      if (st.status === 'ok' && st.result) {
        const outputs = new Set<string>();
        for (const t of st.result.tables ?? []) {
          // A table view shows a table another cell made: write only tables this cell defines.
          if (cell.kind === 'table') continue;
          outputs.add(t.name);
          const csv = (await page.evaluate(async (name) => {
            const b = await window.benchtop!.exportCsv(name);
            let s = '';
            for (let k = 0; k < b.length; k += 0x8000) s += String.fromCharCode(...b.subarray(k, k + 0x8000));
            return btoa(s);
          }, t.name)) as string;
          const f = `${prefix}-${safeName(t.name)}.csv`;
          await writeFile(join(opts.out, f), Buffer.from(csv, 'base64'));
          files.push(f);
        }
        for (const c of st.result.charts ?? []) {
          const f = `${prefix}-${safeName(c.name)}.svg`;
          await writeFile(join(opts.out, f), c.svg);
          files.push(f);
        }
        if (st.result.html) {
          const f = `${prefix}.html`;
          await writeFile(join(opts.out, f), st.result.html);
          files.push(f);
        }
      }
      const meta = {
        index: i + 1,
        id: cell.id,
        kind: cell.kind,
        config: cell.config,
        status: st.status,
        ms: st.ms,
        error: st.error,
        tables: st.result?.tables,
        meta: st.result?.meta,
      };
      const f = `${prefix}.json`;
      await writeFile(join(opts.out, f), `${JSON.stringify(meta, null, 2)}\n`);
      files.push(f);
      summary.cells.push({
        index: i + 1,
        id: cell.id,
        kind: cell.kind,
        status: st.status,
        ms: st.ms,
        error: st.error,
        files,
      });
      log(
        `  ${st.status === 'ok' ? '✓' : '✗'} cell ${i + 1} (${cell.kind})${st.ms !== undefined ? ` ${st.ms} ms` : ''}${st.error ? `: ${st.error}` : ''}`,
      );
      if (st.status !== 'ok' && !summary.failed) {
        summary.ok = false;
        summary.failed = { index: i + 1, id: cell.id, kind: cell.kind, error: st.error ?? st.status };
      }
    }
    if (pageErrors.length) log(`page errors: ${pageErrors.join('; ')}`);
    await writeFile(join(opts.out, 'summary.json'), `${JSON.stringify(summary, null, 2)}\n`);
    return summary;
  } finally {
    await browser.close();
    await server.close();
  }
}

async function main(): Promise<void> {
  const [cmd, ...rest] = process.argv.slice(2);
  if (cmd !== 'run') usage();
  let parsed: ReturnType<typeof parseArgs>;
  try {
    parsed = parseArgs({
      args: rest,
      allowPositionals: true,
      options: {
        data: { type: 'string', multiple: true, default: [] },
        out: { type: 'string', default: 'results' },
        dist: { type: 'string', default: 'dist' },
      },
    });
  } catch (e) {
    console.error((e as Error).message);
    usage();
  }
  const nb = parsed.positionals[0];
  if (!nb) usage();
  const data: Record<string, string> = {};
  for (const d of (parsed.values.data as string[]) ?? []) {
    const eq = d.indexOf('=');
    const name = eq > 0 ? d.slice(0, eq) : basename(d);
    data[name] = eq > 0 ? d.slice(eq + 1) : d;
  }
  const summary = await runNotebook({
    notebook: nb,
    data,
    out: String(parsed.values.out),
    dist: String(parsed.values.dist),
  });
  if (!summary.ok && summary.failed) {
    console.error(
      `FAILED: cell ${summary.failed.index} (${summary.failed.kind}, id ${summary.failed.id}): ${summary.failed.error}`,
    );
    process.exit(1);
  }
  console.log(`ok: ${summary.cells.length} cells, outputs in ${parsed.values.out}`);
}

if (process.argv[1] && resolve(process.argv[1]) === resolve(import.meta.filename)) {
  main().catch((e: Error) => {
    console.error(e.message);
    process.exit(1);
  });
}
