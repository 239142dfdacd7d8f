/** Train / validation / test splits and k-fold cross-validation. */
export { describeSplit } from './describe.ts';
export { holdoutRows, kfoldRows, splitRows } from './split.ts';
export type {
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
