/** The contract between bench/run.ts and the suites in bench/suites/. */
import type { Browser } from 'playwright-core';
import type { RunningServer, StartOptions } from '../../server/start.ts';
import type { MachineInfo } from './machine.ts';

export interface Target {
  /** `value op target` must hold to pass, e.g. ratio <= 3 (or speed-up >= 20). */
  op: '<=' | '<' | '>=';
  value: number;
}

export interface Measurement {
  /** Stable key, e.g. `ingest.csv100mb.ratio`; later runs are compared by it. */
  name: string;
  /** null when the measurement could not be taken (see the suite's errors). */
  value: number | null;
  unit: string;
  target?: Target;
  /** Filled by run.ts from value and target; null when there is no value. */
  pass?: boolean | null;
  note?: string;
}

export interface SuiteResult {
  measurements: Measurement[];
  /** Raw samples and anything else worth keeping in the JSON. */
  details: Record<string, unknown>;
  /** Parts that failed; the rest of the suite's numbers are still reported. */
  errors: string[];
}

export interface BenchContext {
  /** Repository root. */
  root: string;
  /** The built app. */
  distDir: string;
  /** Scratch space that survives between runs (generated inputs are cached here). */
  tmpDir: string;
  log(message: string): void;
  /** Shared headless Chromium, launched on first use and closed by run.ts. */
  browser(): Promise<Browser>;
  /** A real server (server/start.ts) on 127.0.0.1:0; run.ts closes it after the suite. */
  startServer(opts?: Pick<StartOptions, 'extraStatic'>): Promise<RunningServer>;
  machine: MachineInfo;
}

export interface Suite {
  /** One line for `--list` and the JSON. */
  description: string;
  run(ctx: BenchContext): Promise<SuiteResult>;
}
