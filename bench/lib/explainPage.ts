/**
 * Bench-only page (built by bench/suites/explain.ts with Vite, served by the real server under the
 * app's CSP): explains raw records in the real evaluation worker (src/core/eval/evalClient.ts →
 * workers/eval.worker.ts, the worker that explains evaluated rows in the product) and reports the
 * worker's wall time per record, as `window.explainBench`.
 */
import { createEvalWorker } from '../../src/core/eval/evalClient.ts';
import type { ModelArtifact } from '../../src/core/ml/artifact.ts';

export interface ExplainRunResult {
  msPerRecord: number[];
  backend: string;
  /** Wall time of the whole call seen from the page (load + warm-up + timed records), ms. */
  callMs: number;
  /** base + Σ contributions of the first record (a sanity check against Node). */
  firstOutput: number;
}

const bench = {
  async run(
    artifactJson: string,
    records: Record<string, unknown>[],
    warmup: number,
  ): Promise<ExplainRunResult> {
    const w = createEvalWorker();
    try {
      const t0 = performance.now();
      const artifact = JSON.parse(artifactJson) as ModelArtifact;
      const r = await w.api.explainRecords(artifact, records, { warmup });
      const e = r.explanations[0];
      return {
        msPerRecord: r.msPerRecord,
        backend: r.backend,
        callMs: performance.now() - t0,
        firstOutput: e.base + Object.values(e.contributions).reduce((a, b) => a + b, 0),
      };
    } finally {
      w.terminate();
    }
  },
};

declare global {
  interface Window {
    explainBench?: typeof bench;
  }
}
window.explainBench = bench;
document.getElementById('status')!.textContent = 'ready';
