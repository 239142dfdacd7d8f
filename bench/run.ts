/**
 * `npm run bench [suite ...]`: run benchmark suites against the built app and write
 * bench/results/<suite>.json plus a table on stdout. `--list` names the suites.
 *
 * Adding a benchmark: create bench/suites/<name>.ts exporting `suite: Suite` (lib/types.ts) and add
 * one line to SUITES below. Suites get a shared headless Chromium and real servers (server/start.ts)
 * from the context; run.ts closes both.
 */
import { existsSync, mkdirSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { Browser } from 'playwright-core';
import { type RunningServer, startServer } from '../server/start.ts';
import { launchChromium } from './lib/browser.ts';
import { machineInfo } from './lib/machine.ts';
import { evaluate, formatTable, writeResult } from './lib/report.ts';
import type { BenchContext, Suite, SuiteResult } from './lib/types.ts';

const SUITES: Record<string, () => Promise<Suite>> = {
  ingest: async () => (await import('./suites/ingest.ts')).suite,
  profile: async () => (await import('./suites/profile.ts')).suite,
  gbdt: async () => (await import('./suites/gbdt.ts')).suite,
  serve: async () => (await import('./suites/serve.ts')).suite,
  explain: async () => (await import('./suites/explain.ts')).suite,
  audit: async () => (await import('./suites/audit.ts')).suite,
  mlp: async () => (await import('./suites/mlp.ts')).suite,
  olist: async () => (await import('./suites/olist.ts')).suite,
  eval: async () => (await import('./suites/eval.ts')).suite,
};

const root = resolve(dirname(fileURLToPath(import.meta.url)), '..');
const resultsDir = join(root, 'bench', 'results');

async function main(argv: string[]): Promise<number> {
  if (argv.includes('--list')) {
    for (const [name, load] of Object.entries(SUITES)) console.log(`${name}: ${(await load()).description}`);
    return 0;
  }
  const unknown = argv.filter((a) => !(a in SUITES));
  if (unknown.length) {
    console.error(`unknown suite(s): ${unknown.join(', ')}. Known: ${Object.keys(SUITES).join(', ')}`);
    return 2;
  }
  const names = argv.length ? argv : Object.keys(SUITES);

  const distDir = resolve(process.env.BENCHTOP_DIST ?? join(root, 'dist'));
  if (!existsSync(join(distDir, 'index.html'))) {
    console.error(
      `No built app at ${distDir}: run \`npm run bench\` (it builds first) or \`npm run build\`.`,
    );
    return 2;
  }
  const tmpDir = join(tmpdir(), 'benchtop-bench');
  mkdirSync(tmpDir, { recursive: true });

  const machine = machineInfo();
  let browser: Promise<Browser> | undefined;
  let servers: RunningServer[] = [];
  const ctx: BenchContext = {
    root,
    distDir,
    tmpDir,
    machine,
    log: (m) => console.log(`  · ${m}`),
    browser: () => {
      browser ??= launchChromium().then((b) => {
        machine.chromium = b.version();
        return b;
      });
      return browser;
    },
    startServer: async (opts) => {
      const s = await startServer({ distDir, host: '127.0.0.1', port: 0, ...opts });
      servers.push(s);
      return s;
    },
  };

  let failed = false;
  try {
    for (const name of names) {
      const suite = await SUITES[name]();
      console.log(`\n▶ ${name}: ${suite.description}`);
      let result: SuiteResult;
      try {
        result = await suite.run(ctx);
      } catch (e) {
        result = {
          measurements: [],
          details: {},
          errors: [e instanceof Error ? (e.stack ?? e.message) : String(e)],
        };
      } finally {
        await Promise.all(servers.map((s) => s.close()));
        servers = [];
      }
      result.measurements = result.measurements.map(evaluate);
      failed ||= result.errors.length > 0;
      const path = writeResult(resultsDir, {
        suite: name,
        description: suite.description,
        date: new Date().toISOString(),
        machine,
        measurements: result.measurements,
        errors: result.errors,
        details: result.details,
      });
      console.log(`\n${formatTable(name, result)}\n→ ${path}`);
    }
  } finally {
    if (browser) await (await browser).close();
  }
  // Errors (a half that could not run) fail the command; a missed target is a result, not an error.
  return failed ? 1 : 0;
}

main(process.argv.slice(2)).then(
  (code) => process.exit(code),
  (e: unknown) => {
    console.error(e);
    process.exit(1);
  },
);
