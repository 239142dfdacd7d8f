/** Evaluation: metrics with bootstrap intervals, slices, explanations, trust summary (pure, no DOM). */
export * from './bootstrap.ts';
export * from './evaluate.ts';
export * from './explain.ts';
export * from './kernelShap.ts';
export * from './metrics.ts';
export * from './modelCache.ts';
export * from './onTable.ts';
export * from './report.ts';
export * from './slices.ts';
export * from './terms.ts';
export * from './trust.ts';
