/**
 * Cell kind → the Svelte component that edits and shows it. The pure definitions live in src/cells/;
 * a new kind adds one line here. Unknown kinds get a read-only fallback so a notebook from a newer
 * Benchtop still opens.
 */
import type { Component } from 'svelte';
import type { CellRunState } from '../../automation.ts';
import type { CellDoc } from '../../core/notebook/types.ts';
import ChartView from './ChartView.svelte';
import EvaluateView from './EvaluateView.svelte';
import MarkdownView from './MarkdownView.svelte';
import ProfileView from './ProfileView.svelte';
import SourceView from './SourceView.svelte';
import SqlView from './SqlView.svelte';
import TableCellView from './TableCellView.svelte';
import TrainView from './TrainView.svelte';
import UnknownView from './UnknownView.svelte';

export interface CellViewProps {
  cell: CellDoc;
  run: CellRunState | undefined;
}

const views: Record<string, Component<CellViewProps>> = {
  markdown: MarkdownView,
  source: SourceView,
  sql: SqlView,
  table: TableCellView,
  profile: ProfileView,
  chart: ChartView,
  train: TrainView,
  evaluate: EvaluateView,
};

export function cellView(kind: string): Component<CellViewProps> {
  return views[kind] ?? UnknownView;
}
