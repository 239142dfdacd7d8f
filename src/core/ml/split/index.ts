/** Train / validation / test splits and k-fold cross-validation. */
export { describeSplit } from './describe.ts';
export { holdoutRows, kfoldRows, modelParts, splitColumn, splitRows } from './split.ts';
export type {
  AnySplitSpec,
  Fold,
  KFoldResult,
  KFoldSpec,
  KFoldSummary,
  PartSummary,
  SplitFractions,
  SplitResult,
  SplitSpec,
  SplitSummary,
  TargetDescription,
} from './types.ts';
