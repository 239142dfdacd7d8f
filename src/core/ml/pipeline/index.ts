/** Feature pipeline: fitted on the training rows only, applied to tables and single records. */
export { oofFold, binIndex } from './encode.ts';
export { DEFAULT_TEXT, fitPipeline, resolveOptions, stripTrainingState } from './fit.ts';
export { type InferredColumn, inferKinds } from './infer.ts';
export { inputSchema, summaryStats } from './schema.ts';
export { STOPWORDS, tokenize } from './text.ts';
export { featuresOf, transform, transformRecord } from './transform.ts';
export type {
  ColumnDistribution,
  FittedColumn,
  FittedPipeline,
  InputField,
  ModelKind,
  PipelineColumn,
  PipelineSpec,
  RecordWarning,
  ResolvedOptions,
  SemanticKind,
  SummaryStats,
  TextOptions,
  TransformOptions,
} from './types.ts';
